//! Consumer groups across a coordinator failover: the coordinator (the leader) dies, the member
//! rejoins at the new one through its bootstrap list, and resumes from the last acknowledged
//! commit: nothing below it is delivered again, nothing is skipped, and commits never go back.
use std::collections::BTreeSet;
use std::time::Duration;

use strata::client::{GroupConsumer, GroupConsumerConfig};
use strata::proto;
use tonic::Code;

use crate::cluster::Cluster;
use crate::support::*;

/// The group's committed offsets of partitions 0 and 1, as `addr` answers (-1: none).
async fn committed(addr: std::net::SocketAddr) -> Vec<i64> {
    let mut client = connect(addr).await;
    let request =
        proto::FetchCommittedOffsetsRequest { group: "readers".into(), topic: "t".into(), partitions: vec![0, 1] };
    let answer = client.fetch_committed_offsets(request).await.expect("committed offsets").into_inner();
    answer.offsets.iter().map(|o| o.offset).collect()
}

/// Polls (retrying what a failover makes retriable, bounded: 60 s) until `seen` has `total`
/// distinct records; commits after each poll.
async fn consume(consumer: &mut GroupConsumer, seen: &mut Vec<(u32, i64)>, total: usize) {
    for _ in 0..600 {
        if seen.iter().collect::<BTreeSet<_>>().len() >= total {
            return;
        }
        match consumer.poll().await {
            Ok(records) => {
                seen.extend(records.iter().map(|r| (r.partition, r.offset)));
                if let Err(status) = consumer.commit().await {
                    assert!(retriable(&status), "commit: {status}");
                }
            }
            Err(status) if retriable(&status) => tokio::time::sleep(Duration::from_millis(100)).await,
            Err(status) => panic!("poll: {status}"),
        }
    }
    panic!("only {} of {total} records consumed", seen.iter().collect::<BTreeSet<_>>().len());
}

/// What a failover answers: the coordinator or leader moved, or the membership is gone.
fn retriable(status: &tonic::Status) -> bool {
    matches!(status.code(), Code::Unavailable | Code::FailedPrecondition | Code::Unknown)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_member_rejoins_at_the_new_coordinator_and_resumes_from_its_commit() {
    // One group: the coordinator moves only when it is killed (no preferred leader to hand the
    // metadata shard to).
    let mut cluster = Cluster::start_with(3, &["--data-shards", "0"]);
    let leader = cluster.leader().await;
    let mut client = connect(cluster.addr(leader)).await;
    create_topic(&mut client, "t", 2).await;
    for p in 0..2 {
        produce_to(&mut client, "t", p, (0..100).map(|i| record(format!("{p}-{i}"))).collect()).await;
    }
    let config = GroupConsumerConfig {
        session_timeout: Duration::from_secs(10),
        auto_commit_interval: None,
        max_wait: Duration::from_millis(50),
        ..GroupConsumerConfig::new("readers", &["t"])
    };
    let bootstrap = strata::client::connect(&cluster.bootstrap()).await.expect("bootstrap");
    let mut consumer = GroupConsumer::join(bootstrap, config).await.expect("join");
    let mut before = Vec::new();
    consume(&mut consumer, &mut before, 50).await;
    consumer.commit().await.expect("commit before the failover");
    let at_kill = committed(cluster.addr(leader)).await;
    assert!(at_kill.iter().sum::<i64>() >= 50, "committed {at_kill:?}");

    cluster.kill_9(leader);
    let next = cluster.leader().await;
    let mut after = Vec::new();
    consume(&mut consumer, &mut after, 200 - before.iter().collect::<BTreeSet<_>>().len()).await;
    let everything: BTreeSet<(u32, i64)> = before.iter().chain(&after).copied().collect();
    assert_eq!(everything.len(), 200, "every record consumed");
    for (partition, offset) in &after {
        assert!(*offset >= at_kill[*partition as usize], "{partition}/{offset} was below the commit {at_kill:?}");
    }
    // A commit under the membership the old coordinator knew is refused (UNKNOWN_MEMBER_ID);
    // the member rejoins, reads again from the last commit, and commits there.
    let mut end = Vec::new();
    for _ in 0..600 {
        let _ = consumer.commit().await;
        end = committed(cluster.addr(next)).await;
        if end == [100, 100] {
            break;
        }
        match consumer.poll().await {
            Ok(records) => after.extend(records.iter().map(|r| (r.partition, r.offset))),
            Err(status) => assert!(retriable(&status), "poll: {status}"),
        }
    }
    assert_eq!(end, vec![100, 100], "the new coordinator holds the final commit");
    for (partition, offset) in &after {
        assert!(*offset >= at_kill[*partition as usize], "{partition}/{offset} was below the commit {at_kill:?}");
    }
    assert!(end.iter().zip(&at_kill).all(|(e, k)| e >= k), "commits never went back");
    consumer.close().await.expect("close");
}
