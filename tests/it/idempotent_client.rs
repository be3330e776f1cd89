//! The Rust client's idempotent producer against lost and late answers, a kill -9 and restart,
//! a fencing successor, and a broker that forgot it: every record is stored exactly once, in
//! send order, at the offset it was acknowledged with.
use std::collections::BTreeMap;
use std::time::Duration;

use bytes::Bytes;
use strata::client::{Producer, ProducerConfig, RecordOffset};
use strata::proto;
use tokio::sync::oneshot;
use tonic::Status;

use crate::faults::{Fault, FaultyBroker, Proxy};
use crate::process::ServerProcess;
use crate::support::*;

type Delivered = oneshot::Receiver<Result<RecordOffset, Status>>;

fn fast_retries() -> ProducerConfig {
    ProducerConfig {
        linger: Duration::from_millis(1),
        batch_size: 2 << 10,
        request_timeout: Duration::from_secs(1),
        retry_backoff: Duration::from_millis(20),
        ..ProducerConfig::default()
    }
}

/// Record `i`'s value: its index, padded so that a 2 KiB batch holds about ten.
fn value(i: usize) -> String {
    format!("{i:0>200}")
}

/// Sends the records of `range`, keyed over a few keys.
async fn send_all(producer: &Producer, range: std::ops::Range<usize>) -> Vec<(usize, Delivered)> {
    let mut deliveries = Vec::new();
    for i in range {
        let record = proto::Record {
            key: Some(Bytes::from(format!("k{}", i % 5))),
            value: Bytes::from(value(i)),
            ..Default::default()
        };
        deliveries.push((i, producer.send(record, None).await.expect("send")));
    }
    deliveries
}

/// Awaits every delivery; returns where each record was acknowledged.
async fn acknowledged(deliveries: Vec<(usize, Delivered)>) -> Vec<(usize, RecordOffset)> {
    let mut acked = Vec::new();
    for (i, delivered) in deliveries {
        acked.push((i, delivered.await.expect("answered").expect("acknowledged")));
    }
    acked
}

/// Every partition holds exactly the records acknowledged there, once each, in send order, at
/// their acknowledged offsets.
async fn assert_stored_exactly_once(client: &mut Client, topic: &str, acked: &[(usize, RecordOffset)]) {
    let mut expected: BTreeMap<u32, Vec<(i64, String)>> = BTreeMap::new();
    for (i, at) in acked {
        expected.entry(at.partition).or_default().push((at.offset, value(*i)));
    }
    for (partition, records) in expected {
        let stored: Vec<(i64, String)> = fetch_all(client, topic, partition, 0)
            .await
            .into_iter()
            .map(|r| (r.offset, String::from_utf8_lossy(&r.value).into_owned()))
            .collect();
        assert_eq!(stored, records, "partition {partition}: once each, in order, where acknowledged");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lost_and_late_answers_are_retried_without_duplicates() {
    // Of every four Produce requests, one answer is lost after the append; of the first forty,
    // five more answers arrive after the client gave up waiting.
    let broker = FaultyBroker::start(|n| match n % 8 {
        1 | 5 => Fault::Lost,
        3 if n < 40 => Fault::Late(Duration::from_millis(2_500)),
        _ => Fault::None,
    })
    .await;
    let mut client = connect(broker.addr).await;
    create_topic(&mut client, "t", 3).await;
    let producer = Producer::new(client.clone(), "t", fast_retries()).await.expect("producer");
    let deliveries = send_all(&producer, 0..600).await;
    producer.flush().await;
    let acked = acknowledged(deliveries).await;
    producer.close().await;
    let (lost, late) = broker.faults();
    assert!(lost > 0 && late > 0, "answers lost after the append: {lost}, late: {late}");
    // Those appends were stored once, so their retries were answered from the window.
    assert_stored_exactly_once(&mut client, "t", &acked).await;
    broker.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kill_9_and_restart_under_load_stores_every_record_once() {
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path().join("data");
    let server = ServerProcess::spawn(&data, &[]);
    let proxy = Proxy::start(server.addr).await;
    let mut client = connect(proxy.addr).await;
    create_topic(&mut client, "t", 2).await;
    let producer = Producer::new(client.clone(), "t", fast_retries()).await.expect("producer");
    let mut deliveries = send_all(&producer, 0..1_000).await;
    // Kill once a third of the records are in, while the rest are being sent.
    let mut acked = acknowledged(deliveries.drain(..300).collect()).await;
    server.kill_9();
    deliveries.extend(send_all(&producer, 1_000..1_500).await);
    let server = ServerProcess::spawn(&data, &[]);
    proxy.set_upstream(server.addr);
    producer.flush().await;
    acked.extend(acknowledged(deliveries).await);
    producer.close().await;
    let mut client = connect(server.addr).await;
    assert_eq!(acked.len(), 1_500);
    assert_stored_exactly_once(&mut client, "t", &acked).await;
}

#[tokio::test]
async fn a_producer_fenced_by_its_successor_fails_its_sends() {
    let broker = TestBroker::start().await;
    let mut client = broker.client().await;
    create_topic(&mut client, "t", 1).await;
    let named = ProducerConfig { producer_name: Some("loader".into()), ..fast_retries() };
    let old = Producer::new(client.clone(), "t", named.clone()).await.expect("old instance");
    acknowledged(send_all(&old, 0..10).await).await;
    let new = Producer::new(client.clone(), "t", named).await.expect("new instance");
    let fenced = send_all(&old, 10..20).await;
    for (_, delivered) in fenced {
        let status = delivered.await.expect("answered").expect_err("fenced");
        assert_eq!(status.metadata().get("strata-reason").and_then(|v| v.to_str().ok()), Some("PRODUCER_FENCED"));
    }
    let later = old.send(record("after"), None).await.expect("queued").await.expect("answered");
    assert!(later.is_err(), "a fenced producer stays fenced");
    let acked = acknowledged(send_all(&new, 20..30).await).await;
    new.close().await;
    old.close().await;
    let stored: Vec<String> = fetch_all(&mut client, "t", 0, 0)
        .await
        .into_iter()
        .map(|r| String::from_utf8_lossy(&r.value).into_owned())
        .collect();
    let expected: Vec<String> = (0..10).chain(20..30).map(value).collect();
    assert_eq!(stored, expected);
    assert_eq!(acked.len(), 10);
}

#[tokio::test]
async fn a_producer_the_broker_forgot_renews_its_id_and_goes_on() {
    let expiry = |config: &mut strata::config::BrokerConfig| config.producers.expiry = Duration::from_millis(300);
    let broker = TestBroker::start_with(expiry).await;
    let mut client = broker.client().await;
    create_topic(&mut client, "t", 1).await;
    let producer = Producer::new(client.clone(), "t", fast_retries()).await.expect("producer");
    let mut acked = acknowledged(send_all(&producer, 0..10).await).await;
    // A probe id made after the producer's last send expires after it; wait for the probe.
    let probe = super::idempotence::init_producer(&mut client, None).await;
    for round in 0.. {
        let request = super::idempotence::sequenced(0, &probe, 7, &["probe"]);
        let status = client.produce(request).await.expect_err("out of order, then unknown");
        if status.metadata().get("strata-reason").and_then(|v| v.to_str().ok()) == Some("UNKNOWN_PRODUCER_ID") {
            break;
        }
        assert!(round < 200, "the probe was never forgotten");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    acked.extend(acknowledged(send_all(&producer, 10..20).await).await);
    producer.close().await;
    assert_stored_exactly_once(&mut client, "t", &acked).await;
}
