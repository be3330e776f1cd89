//! A graceful restart on the same data dir gives back everything: topics, records, offsets.
use bytes::Bytes;

use super::offsets::{commit, committed};
use crate::support::*;

#[tokio::test]
async fn restart_reads_everything_back_including_committed_offsets() {
    let broker = TestBroker::start().await;
    let mut client = broker.client().await;
    create_topic(&mut client, "events", 3).await;
    create_topic(&mut client, "empty", 2).await;
    for partition in 0..3 {
        for batch in 0..4 {
            let records = (0..25).map(|i| keyed(&format!("k{i}"), format!("p{partition}-b{batch}-{i}"))).collect();
            produce_to(&mut client, "events", partition, records).await;
        }
    }
    client.commit_offsets(commit("readers", "events", &[(0, 100), (1, 42)])).await.expect("commit");
    let before = describe(&mut client, "events").await;

    let broker = broker.restart().await;
    let mut client = broker.client().await;
    let after = describe(&mut client, "events").await;
    assert_eq!(after, before, "partitions, offsets and sizes survive a restart");
    assert_eq!(describe(&mut client, "empty").await.partition_count, 2);
    for partition in 0..3u32 {
        let fetched = fetch_all(&mut client, "events", partition, 0).await;
        assert_eq!(fetched.len(), 100);
        for (i, r) in fetched.iter().enumerate() {
            assert_eq!(r.offset, i as i64);
            assert_eq!(r.value, Bytes::from(format!("p{partition}-b{}-{}", i / 25, i % 25)));
        }
    }
    let offsets = committed(&mut client, "readers", "events").await;
    assert_eq!(offsets[0].1, 100);
    assert_eq!(offsets[1].1, 42);
    assert_eq!(offsets[2].1, -1);

    // New records continue the offsets where they stopped.
    assert_eq!(produce_to(&mut client, "events", 0, vec![record("next")]).await, 100);
}

#[tokio::test]
async fn a_deleted_topic_stays_deleted_after_restart() {
    let broker = TestBroker::start().await;
    let mut client = broker.client().await;
    create_topic(&mut client, "gone", 2).await;
    produce_to(&mut client, "gone", 0, vec![record("x")]).await;
    client.delete_topic(strata::proto::DeleteTopicRequest { name: "gone".into() }).await.expect("delete");
    let broker = broker.restart().await;
    let mut client = broker.client().await;
    let topics = client.list_topics(strata::proto::ListTopicsRequest {}).await.expect("list").into_inner().topics;
    assert!(topics.is_empty(), "{topics:?}");
}
