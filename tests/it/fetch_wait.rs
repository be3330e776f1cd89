//! Long-poll fetch and Subscribe streams: woken by produce, ended by shutdown.
use std::time::Duration;

use bytes::Bytes;
use strata::proto;

use crate::support::*;

#[tokio::test]
async fn long_poll_fetch_wakes_when_records_arrive() {
    let broker = TestBroker::start().await;
    let mut client = broker.client().await;
    create_topic(&mut client, "t", 1).await;
    let mut waiter = client.clone();
    let poll = tokio::spawn(async move {
        // A minute-long wait: if produce did not wake it, the test would hang, not pass.
        let request = proto::FetchRequest { max_wait_ms: 60_000, ..fetch_request("t", 0, 0) };
        waiter.fetch(request).await.expect("fetch").into_inner()
    });
    // Give the poll a head start so it is usually already waiting; either way it must return
    // the record (a poll that was never woken would return empty after a minute).
    tokio::time::sleep(Duration::from_millis(100)).await;
    produce_to(&mut client, "t", 0, vec![record("r0")]).await;
    let response = poll.await.expect("poll task");
    assert!(!response.records.is_empty(), "woken with data, not by the timeout");
    assert_eq!(response.records[0].offset, 0);
    assert_eq!(response.records[0].value, Bytes::from("r0"));
}

#[tokio::test]
async fn subscribe_streams_records_as_they_are_appended() {
    let broker = TestBroker::start().await;
    let mut client = broker.client().await;
    create_topic(&mut client, "t", 2).await;
    produce_to(&mut client, "t", 1, vec![record("before")]).await;
    let request = proto::SubscribeRequest { topic: "t".into(), partition: 1, offset: 0, max_bytes: 0 };
    let mut stream = client.subscribe(request).await.expect("subscribe").into_inner();
    for i in 0..3 {
        produce_to(&mut client, "t", 1, vec![record(format!("after-{i}"))]).await;
    }
    let mut seen = Vec::new();
    while seen.len() < 4 {
        let message = stream.message().await.expect("stream item").expect("stream open");
        assert_eq!(message.partition, 1);
        seen.extend(message.records.into_iter().map(|r| (r.offset, r.value)));
    }
    let expected: Vec<(i64, Bytes)> = vec![
        (0, Bytes::from("before")),
        (1, Bytes::from("after-0")),
        (2, Bytes::from("after-1")),
        (3, Bytes::from("after-2")),
    ];
    assert_eq!(seen, expected);
}

#[tokio::test]
async fn subscribe_ends_cleanly_when_the_server_shuts_down() {
    let broker = TestBroker::start().await;
    let mut client = broker.client().await;
    create_topic(&mut client, "t", 1).await;
    let request = proto::SubscribeRequest { topic: "t".into(), partition: 0, offset: 0, max_bytes: 0 };
    let mut stream = client.subscribe(request).await.expect("subscribe").into_inner();
    produce_to(&mut client, "t", 0, vec![record("one")]).await;
    let first = stream.message().await.expect("item").expect("open");
    assert_eq!(first.records.len(), 1);
    let stopping = tokio::spawn(broker.stop());
    let end = stream.message().await.expect("a clean end, not an error");
    assert!(end.is_none(), "the stream ends when the server shuts down");
    stopping.await.expect("stop task");
}

#[tokio::test]
async fn subscribe_rejects_a_bad_position_up_front() {
    let broker = TestBroker::start().await;
    let mut client = broker.client().await;
    create_topic(&mut client, "t", 1).await;
    let request = proto::SubscribeRequest { topic: "t".into(), partition: 0, offset: 5, max_bytes: 0 };
    let status = client.subscribe(request).await.expect_err("offset past the end");
    assert_eq!(status.code(), tonic::Code::OutOfRange);
    let request = proto::SubscribeRequest { topic: "nope".into(), partition: 0, offset: 0, max_bytes: 0 };
    assert_eq!(client.subscribe(request).await.expect_err("unknown").code(), tonic::Code::NotFound);
}
