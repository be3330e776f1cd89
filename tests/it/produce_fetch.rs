//! The basic life of a topic: create, produce, fetch, list offsets, describe, delete.
use std::collections::BTreeSet;

use bytes::Bytes;
use strata::proto;

use crate::support::*;

#[tokio::test]
async fn round_trip_keeps_keys_headers_and_timestamps() {
    let broker = TestBroker::start().await;
    let mut client = broker.client().await;
    let topic = create_topic(&mut client, "orders", 3).await;
    assert_eq!(topic.partition_count, 3);

    let records = vec![
        with_headers(keyed("k1", "first"), &[("trace", "t-1"), ("source", "test")]),
        proto::Record { timestamp_ms: 1_600_000_000_123, ..keyed("", "empty key, explicit time") },
        record("no key"),
    ];
    let base = produce_to(&mut client, "orders", 1, records).await;
    assert_eq!(base, 0);

    let fetched = fetch_all(&mut client, "orders", 1, 0).await;
    assert_eq!(fetched.len(), 3);
    assert_eq!(fetched.iter().map(|r| r.offset).collect::<Vec<_>>(), vec![0, 1, 2]);
    assert_eq!(fetched[0].key.as_deref(), Some(&b"k1"[..]));
    assert_eq!(fetched[0].value, Bytes::from_static(b"first"));
    assert_eq!(fetched[0].headers.get("trace").map(|v| v.as_ref()), Some(&b"t-1"[..]));
    assert_eq!(fetched[0].headers.len(), 2);
    assert!(fetched[0].timestamp_ms > 1_700_000_000_000, "broker time was assigned");
    assert_eq!(fetched[1].key.as_deref(), Some(&b""[..]), "an empty key stays an empty key");
    assert_eq!(fetched[1].timestamp_ms, 1_600_000_000_123);
    assert_eq!(fetched[2].key, None, "a null key stays null");
    assert_eq!(fetched[2].value, Bytes::from_static(b"no key"));
}

#[tokio::test]
async fn fetch_starts_exactly_at_the_requested_offset_inside_a_batch() {
    let broker = TestBroker::start().await;
    let mut client = broker.client().await;
    create_topic(&mut client, "t", 1).await;
    produce_to(&mut client, "t", 0, (0..10).map(|i| record(format!("v{i}"))).collect()).await;
    produce_to(&mut client, "t", 0, (10..20).map(|i| record(format!("v{i}"))).collect()).await;

    let fetched = fetch_all(&mut client, "t", 0, 7).await;
    assert_eq!(fetched.first().map(|r| r.offset), Some(7));
    assert_eq!(fetched.len(), 13);
    for r in &fetched {
        assert_eq!(r.value, Bytes::from(format!("v{}", r.offset)));
    }
}

#[tokio::test]
async fn max_bytes_limits_a_fetch_but_always_returns_one_record() {
    let broker = TestBroker::start().await;
    let mut client = broker.client().await;
    create_topic(&mut client, "t", 1).await;
    produce_to(&mut client, "t", 0, (0..10).map(|_| record(vec![b'x'; 1000])).collect()).await;

    let small = proto::FetchRequest { max_bytes: 2500, ..fetch_request("t", 0, 0) };
    let response = client.fetch(small).await.expect("fetch").into_inner();
    assert_eq!(response.records.len(), 2, "2 x 1000 bytes fit in 2500, a third does not");

    let tiny = proto::FetchRequest { max_bytes: 1, ..fetch_request("t", 0, 5) };
    let response = client.fetch(tiny).await.expect("fetch").into_inner();
    assert_eq!(response.records.len(), 1, "one record even when larger than max_bytes");
    assert_eq!(response.records[0].offset, 5);
    assert_eq!(response.high_watermark, 10);
}

#[tokio::test]
async fn fetch_at_the_high_watermark_without_wait_returns_nothing() {
    let broker = TestBroker::start().await;
    let mut client = broker.client().await;
    create_topic(&mut client, "t", 1).await;
    produce_to(&mut client, "t", 0, vec![record("a")]).await;
    let response = client.fetch(fetch_request("t", 0, 1)).await.expect("fetch").into_inner();
    assert!(response.records.is_empty());
    assert_eq!(response.high_watermark, 1);
    assert_eq!(response.log_start_offset, 0);
}

#[tokio::test]
async fn concurrent_producers_get_dense_unique_offsets() {
    let broker = TestBroker::start().await;
    let mut client = broker.client().await;
    create_topic(&mut client, "t", 1).await;
    let producers = 8;
    let requests = 25;
    let per_request = 10;
    let mut tasks = Vec::new();
    for producer in 0..producers {
        let mut client = broker.client().await;
        tasks.push(tokio::spawn(async move {
            let mut acked = Vec::new();
            for request in 0..requests {
                let records = (0..per_request).map(|i| record(format!("{producer}-{request}-{i}"))).collect();
                let base = produce_to(&mut client, "t", 0, records).await;
                acked.push((base, producer, request));
            }
            acked
        }));
    }
    let mut acked = Vec::new();
    for task in tasks {
        acked.extend(task.await.expect("producer task"));
    }
    let bases: BTreeSet<i64> = acked.iter().map(|(base, _, _)| *base).collect();
    assert_eq!(bases.len(), acked.len(), "no two requests got the same base offset");
    let total = (producers * requests * per_request) as i64;
    let expected: BTreeSet<i64> = (0..total).step_by(per_request).collect();
    assert_eq!(bases, expected, "requests tile 0..{total} with no gap or overlap");

    let fetched = fetch_all(&mut client, "t", 0, 0).await;
    assert_eq!(fetched.len() as i64, total);
    for (base, producer, request) in acked {
        for i in 0..per_request as i64 {
            let r = &fetched[(base + i) as usize];
            assert_eq!(r.offset, base + i);
            assert_eq!(r.value, Bytes::from(format!("{producer}-{request}-{i}")));
        }
    }
}

#[tokio::test]
async fn list_offsets_by_earliest_latest_and_time() {
    let broker = TestBroker::start().await;
    let mut client = broker.client().await;
    create_topic(&mut client, "t", 1).await;
    let at = |ts: i64, v: &str| proto::Record { timestamp_ms: ts, ..record(v) };
    produce_to(&mut client, "t", 0, vec![at(1_000, "a"), at(2_000, "b")]).await;
    produce_to(&mut client, "t", 0, vec![at(3_000, "c"), at(4_000, "d")]).await;

    let list = |spec: proto::OffsetSpec, timestamp_ms: i64| proto::ListOffsetsRequest {
        topic: "t".into(),
        partition: 0,
        spec: spec as i32,
        timestamp_ms,
    };
    let ask = |req| {
        let mut client = client.clone();
        async move {
            let r = client.list_offsets(req).await.expect("list offsets").into_inner();
            (r.offset, r.timestamp_ms)
        }
    };
    assert_eq!(ask(list(proto::OffsetSpec::Earliest, 0)).await.0, 0);
    assert_eq!(ask(list(proto::OffsetSpec::Latest, 0)).await.0, 4);
    assert_eq!(ask(list(proto::OffsetSpec::Timestamp, 0)).await, (0, 1_000));
    assert_eq!(ask(list(proto::OffsetSpec::Timestamp, 2_500)).await, (2, 3_000));
    assert_eq!(ask(list(proto::OffsetSpec::Timestamp, 4_000)).await, (3, 4_000));
    assert_eq!(ask(list(proto::OffsetSpec::Timestamp, 9_999)).await, (4, -1), "after every record: latest");
}

#[tokio::test]
async fn topics_are_listed_described_and_deleted_with_their_data() {
    let broker = TestBroker::start().await;
    let mut client = broker.client().await;
    create_topic(&mut client, "b-topic", 2).await;
    create_topic(&mut client, "a-topic", 1).await;
    produce_to(&mut client, "b-topic", 1, vec![record("x"), record("y")]).await;

    let topics = client.list_topics(proto::ListTopicsRequest {}).await.expect("list").into_inner().topics;
    let names: Vec<&str> = topics.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, vec!["a-topic", "b-topic"]);

    let described = describe(&mut client, "b-topic").await;
    assert_eq!(described.partitions.len(), 2);
    assert_eq!(described.partitions[1].high_watermark, 2);
    assert_eq!(described.partitions[0].high_watermark, 0);
    assert!(described.partitions[1].size_bytes > 0);
    assert_eq!(described.partitions[0].size_bytes, 0);

    client.delete_topic(proto::DeleteTopicRequest { name: "b-topic".into() }).await.expect("delete");
    let status = client.describe_topic(proto::DescribeTopicRequest { name: "b-topic".into() }).await.unwrap_err();
    assert_eq!(status.code(), tonic::Code::NotFound);

    // The name is free again and the new topic starts empty.
    create_topic(&mut client, "b-topic", 2).await;
    let described = describe(&mut client, "b-topic").await;
    assert_eq!(described.partitions[1].high_watermark, 0);
    assert!(fetch_all(&mut client, "b-topic", 1, 0).await.is_empty());
}

#[tokio::test]
async fn unkeyed_records_of_one_request_stay_together_and_requests_spread() {
    let broker = TestBroker::start().await;
    let mut client = broker.client().await;
    create_topic(&mut client, "t", 4).await;
    let mut used = BTreeSet::new();
    for _ in 0..8 {
        let request = proto::ProduceRequest {
            topic: "t".into(),
            partition: None,
            records: vec![record("a"), record("b"), record("c")],
            acks: 0,
            ..Default::default()
        };
        let results = client.produce(request).await.expect("produce").into_inner().results;
        assert_eq!(results.len(), 1, "sticky: one partition per request");
        assert_eq!(results[0].record_count, 3);
        used.insert(results[0].partition);
    }
    assert!(used.len() > 1, "unkeyed requests are spread over partitions: {used:?}");
}

#[tokio::test]
async fn acks_none_and_leader_are_written_too() {
    let broker = TestBroker::start().await;
    let mut client = broker.client().await;
    create_topic(&mut client, "t", 1).await;
    let request = |acks: proto::Acks, value: &str| proto::ProduceRequest {
        topic: "t".into(),
        partition: Some(0),
        records: vec![record(value)],
        acks: acks as i32,
        ..Default::default()
    };
    let leader = client.produce(request(proto::Acks::Leader, "leader")).await.expect("produce").into_inner();
    assert_eq!(leader.results[0].base_offset, 0);
    let none = client.produce(request(proto::Acks::None, "none")).await.expect("produce").into_inner();
    assert!(none.results.is_empty(), "acks NONE carries no offsets");
    // A later acks ALL produce is ordered after the NONE one in the same queue.
    let all = client.produce(request(proto::Acks::All, "all")).await.expect("produce").into_inner();
    assert_eq!(all.results[0].base_offset, 2);
    let values: Vec<Bytes> = fetch_all(&mut client, "t", 0, 0).await.into_iter().map(|r| r.value).collect();
    assert_eq!(values, vec![Bytes::from("leader"), Bytes::from("none"), Bytes::from("all")]);
}
