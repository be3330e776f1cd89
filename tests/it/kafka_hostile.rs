//! Hostile input on the Kafka listener: garbage, truncated frames, absurd sizes, unknown APIs
//! and versions, a client that trickles bytes. Each gets a closed connection (or an error
//! answer), never a crash, and the broker keeps serving everyone else.
use std::net::SocketAddr;

use kafka_protocol::messages::api_versions_request::ApiVersionsRequest;

use crate::kafka_protocol::{fetch, produce, produce_one};
use crate::kafka_wire::{KafkaWire, batch};
use crate::support::{TestBroker, create_topic};

/// A fresh connection still gets answers.
async fn still_serving(addr: SocketAddr) {
    let mut wire = KafkaWire::connect(addr).await;
    assert_eq!(wire.call(ApiVersionsRequest::default(), 3).await.error_code, 0);
}

#[tokio::test]
async fn hostile_frames_close_their_connection_only() {
    let broker = TestBroker::start_with_kafka(|_| {}).await;
    let addr = broker.kafka_addr.expect("kafka");
    // One connection stays open throughout and must keep working.
    let mut bystander = KafkaWire::connect(addr).await;
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("a declared size of 2 GiB", vec![0x7f, 0xff, 0xff, 0xff, 1, 2, 3]),
        ("a negative size", vec![0xff, 0xff, 0xff, 0xfe]),
        ("an unknown API key", [&[0, 0, 0, 10][..], &[0x7f, 0x00, 0, 0, 0, 0, 0, 1, 0, 0]].concat()),
        ("Fetch v99", [&[0, 0, 0, 10][..], &[0, 1, 0, 99, 0, 0, 0, 1, 0, 0]].concat()),
        ("Produce v1 (message format v1)", [&[0, 0, 0, 10][..], &[0, 0, 0, 1, 0, 0, 0, 1, 0, 0]].concat()),
        ("a frame too short for a header", vec![0, 0, 0, 2, 0, 3]),
        (
            "a garbage Metadata body",
            [&[0, 0, 0, 14][..], &[0, 3, 0, 9, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]].concat(),
        ),
    ];
    for (case, bytes) in cases {
        let mut wire = KafkaWire::connect(addr).await;
        wire.write(&bytes).await;
        assert!(wire.closed_by_broker().await, "{case}: the connection is closed");
        assert_eq!(bystander.call(ApiVersionsRequest::default(), 3).await.error_code, 0, "after {case}");
    }
    // A truncated frame: the client goes away mid-frame.
    let mut wire = KafkaWire::connect(addr).await;
    wire.write(&[0, 0, 1, 0, 0, 18, 0, 3]).await;
    drop(wire);
    still_serving(addr).await;
}

#[tokio::test]
async fn a_client_trickling_a_frame_does_not_hold_up_others() {
    let broker = TestBroker::start_with_kafka(|_| {}).await;
    let mut client = broker.client().await;
    create_topic(&mut client, "k", 1).await;
    let addr = broker.kafka_addr.expect("kafka");
    let mut slow = KafkaWire::connect(addr).await;
    // Declares a 1 MiB frame and sends a few bytes of it: the broker waits for that connection
    // alone, holding no more than what arrived.
    slow.write(&[0, 0x10, 0, 0, 0, 0, 0, 9]).await;
    let mut other = KafkaWire::connect(addr).await;
    let answer = produce_one(&mut other, produce("k", 0, batch(&[("k", "v")]), -1)).await;
    assert_eq!(answer.error_code, 0);
    let fetched = other.call(fetch("k", 0, 0, 0), 12).await;
    assert_eq!(fetched.responses[0].partitions[0].high_watermark, 1);
}

#[tokio::test]
async fn a_huge_declared_array_is_refused_without_reserving_memory_for_it() {
    let broker = TestBroker::start_with_kafka(|_| {}).await;
    let addr = broker.kafka_addr.expect("kafka");
    // Metadata v0 (header v1: key, version, correlation id, null client id) declaring 2^31 - 1
    // topics; then Metadata v12 (flexible: compact arrays) declaring as many with a varint.
    let classic = [&[0, 3, 0, 0, 0, 0, 0, 1, 0xff, 0xff][..], &[0x7f, 0xff, 0xff, 0xff]].concat();
    let flexible = [&[0, 3, 0, 12, 0, 0, 0, 2, 0xff, 0xff, 0][..], &[0xff, 0xff, 0xff, 0xff, 0x07]].concat();
    for body in [classic, flexible] {
        let mut wire = KafkaWire::connect(addr).await;
        wire.send_raw(&body).await;
        assert!(wire.closed_by_broker().await, "a malformed request closes its connection");
        still_serving(addr).await;
    }
}
