//! Every bad input gets the right status, a message that says what to fix, and changes nothing.
use strata::proto;
use tonic::Code;

use crate::support::*;

fn reason(status: &tonic::Status) -> &str {
    status.metadata().get("strata-reason").and_then(|v| v.to_str().ok()).unwrap_or("")
}

#[tokio::test]
async fn unknown_topic_and_partition_are_not_found() {
    let broker = TestBroker::start().await;
    let mut client = broker.client().await;
    create_topic(&mut client, "t", 2).await;

    let produce = proto::ProduceRequest { topic: "missing".into(), records: vec![record("x")], ..Default::default() };
    let status = client.produce(produce).await.unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    assert!(status.message().contains("\"missing\""), "{}", status.message());
    assert_eq!(reason(&status), "UNKNOWN_TOPIC");

    let status = client.fetch(fetch_request("t", 2, 0)).await.unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    assert!(status.message().contains("0..2"), "names the valid partitions: {}", status.message());

    let produce = proto::ProduceRequest {
        topic: "t".into(),
        partition: Some(9),
        records: vec![record("x")],
        ..Default::default()
    };
    assert_eq!(client.produce(produce).await.unwrap_err().code(), Code::NotFound);
    let delete = proto::DeleteTopicRequest { name: "missing".into() };
    assert_eq!(client.delete_topic(delete).await.unwrap_err().code(), Code::NotFound);
}

#[tokio::test]
async fn a_single_broker_has_no_brokers_to_remove() {
    let broker = TestBroker::start().await;
    let mut client = broker.client().await;
    let status = client.remove_broker(proto::RemoveBrokerRequest { node_id: 1 }).await.unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition);
    assert_eq!(reason(&status), "MEMBERSHIP_CHANGE_REFUSED");
    assert!(status.message().contains("not a cluster member"), "{}", status.message());
}

#[tokio::test]
async fn creating_an_existing_topic_is_already_exists() {
    let broker = TestBroker::start().await;
    let mut client = broker.client().await;
    create_topic(&mut client, "t", 1).await;
    let request = proto::CreateTopicRequest { name: "t".into(), partitions: 3, config: None, ..Default::default() };
    let status = client.create_topic(request).await.unwrap_err();
    assert_eq!(status.code(), Code::AlreadyExists);
    assert_eq!(describe(&mut client, "t").await.partition_count, 1, "the existing topic is unchanged");
}

#[tokio::test]
async fn bad_topic_names_and_partition_counts_are_invalid() {
    let broker = TestBroker::start().await;
    let mut client = broker.client().await;
    let long = "x".repeat(250);
    for name in ["", ".", "..", "has space", "slash/", "tab\t", long.as_str()] {
        let request =
            proto::CreateTopicRequest { name: name.into(), partitions: 1, config: None, ..Default::default() };
        let status = client.create_topic(request).await.unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument, "name {name:?}");
        assert!(status.message().contains("name"), "{}", status.message());
    }
    let request =
        proto::CreateTopicRequest { name: "big".into(), partitions: 10_001, config: None, ..Default::default() };
    let status = client.create_topic(request).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(status.message().contains("partitions") && status.message().contains("10000"), "{}", status.message());
    let topics = client.list_topics(proto::ListTopicsRequest {}).await.expect("list").into_inner().topics;
    assert!(topics.is_empty(), "nothing was created");
}

#[tokio::test]
async fn zero_partitions_takes_the_broker_default() {
    let broker = TestBroker::start_with(|c| c.default_partitions = 5).await;
    let mut client = broker.client().await;
    assert_eq!(create_topic(&mut client, "t", 0).await.partition_count, 5);
}

#[tokio::test]
async fn oversized_records_and_requests_are_rejected_whole() {
    let broker = TestBroker::start_with(small_size_limits).await;
    let mut client = broker.client().await;
    create_topic(&mut client, "t", 1).await;

    let records = vec![record("fine"), record(vec![0u8; 1025])];
    let request =
        proto::ProduceRequest { topic: "t".into(), partition: Some(0), records, acks: 0, ..Default::default() };
    let status = client.produce(request).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(status.message().contains("--max-record-bytes is 1024"), "{}", status.message());

    let records = (0..5).map(|_| record(vec![0u8; 1000])).collect();
    let request =
        proto::ProduceRequest { topic: "t".into(), partition: Some(0), records, acks: 0, ..Default::default() };
    let status = client.produce(request).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(status.message().contains("--max-request-bytes is 4096"), "{}", status.message());

    let request =
        proto::ProduceRequest { topic: "t".into(), partition: Some(0), records: vec![], acks: 0, ..Default::default() };
    assert_eq!(client.produce(request).await.unwrap_err().code(), Code::InvalidArgument);

    assert_eq!(describe(&mut client, "t").await.partitions[0].high_watermark, 0, "nothing was appended");
}

#[tokio::test]
async fn unknown_enum_values_and_negative_timestamps_are_invalid() {
    let broker = TestBroker::start().await;
    let mut client = broker.client().await;
    create_topic(&mut client, "t", 1).await;
    let request = proto::ProduceRequest {
        topic: "t".into(),
        partition: Some(0),
        records: vec![record("x")],
        acks: 42,
        ..Default::default()
    };
    let status = client.produce(request).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(status.message().contains("acks"), "{}", status.message());

    let records = vec![proto::Record { timestamp_ms: -5, ..record("x") }];
    let request =
        proto::ProduceRequest { topic: "t".into(), partition: Some(0), records, acks: 0, ..Default::default() };
    assert_eq!(client.produce(request).await.unwrap_err().code(), Code::InvalidArgument);

    let request = proto::ListOffsetsRequest { topic: "t".into(), partition: 0, spec: 0, timestamp_ms: 0 };
    assert_eq!(client.list_offsets(request).await.unwrap_err().code(), Code::InvalidArgument);
}

#[tokio::test]
async fn offsets_outside_the_log_are_out_of_range_with_both_bounds() {
    let broker = TestBroker::start().await;
    let mut client = broker.client().await;
    create_topic(&mut client, "t", 1).await;
    produce_to(&mut client, "t", 0, vec![record("a"), record("b"), record("c")]).await;
    for offset in [4, -1, i64::MAX, i64::MIN] {
        let status = client.fetch(fetch_request("t", 0, offset)).await.unwrap_err();
        assert_eq!(status.code(), Code::OutOfRange, "offset {offset}");
        assert!(status.message().contains("0..=3"), "both bounds: {}", status.message());
        assert_eq!(reason(&status), "OFFSET_OUT_OF_RANGE");
    }
    let too_long = proto::FetchRequest { max_wait_ms: u32::MAX, ..fetch_request("t", 0, 3) };
    let status = client.fetch(too_long).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(status.message().contains("max_wait_ms"), "{}", status.message());
}

#[tokio::test]
async fn a_closing_broker_answers_unavailable() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = strata::config::BrokerConfig { data_dir: dir.path().to_path_buf(), ..Default::default() };
    let broker = strata::broker::Broker::open(config).expect("open");
    broker.create_topic("t", 1, Default::default()).await.expect("create");
    broker.begin_shutdown();
    let request = strata::broker::ProduceRequest {
        topic: "t".into(),
        records: vec![strata::broker::ProduceRecord { value: "x".into(), ..Default::default() }],
        ..Default::default()
    };
    let status = tonic::Status::from(broker.produce(request).await.unwrap_err());
    assert_eq!(status.code(), Code::Unavailable);
    assert!(status.message().contains("shutting down"), "{}", status.message());
    broker.close().await;
}
