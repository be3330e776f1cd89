//! The Rust client's producer: per-record offsets, order, and retries across a broker restart.
use std::collections::BTreeMap;

use bytes::Bytes;
use strata::client::{Producer, ProducerConfig, RecordOffset};
use strata::proto;

use crate::support::*;

#[tokio::test]
async fn producer_returns_each_records_offset_in_order() {
    let broker = TestBroker::start().await;
    let mut client = broker.client().await;
    create_topic(&mut client, "t", 3).await;
    let producer = Producer::new(client.clone(), "t", ProducerConfig::default()).await.expect("producer");
    let mut deliveries = Vec::new();
    for i in 0..300 {
        let key = (i % 2 == 0).then(|| Bytes::from(format!("k{}", i % 7)));
        let record = proto::Record { key, value: Bytes::from(format!("{i}")), ..Default::default() };
        deliveries.push((i, producer.send(record, None).await.expect("send")));
    }
    producer.flush().await;
    let mut offsets: Vec<(usize, RecordOffset)> = Vec::new();
    for (i, d) in deliveries {
        offsets.push((i, d.await.expect("delivered").expect("acknowledged")));
    }
    producer.close().await;
    let mut last: BTreeMap<u32, i64> = BTreeMap::new();
    for (i, at) in &offsets {
        let stored = fetch_all(&mut client, "t", at.partition, at.offset).await;
        assert_eq!(stored[0].value, Bytes::from(format!("{i}")), "record {i} is where its offset says");
        let previous = last.insert(at.partition, at.offset);
        assert!(previous.is_none_or(|p| p < at.offset), "send order is offset order within a partition");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn producer_retries_through_a_broker_restart_without_reordering() {
    // The broker comes back on its old address: a port nothing else takes meanwhile.
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], crate::ports::fixed_ports(1)[0]));
    let broker = TestBroker::start_at(addr, tempfile::tempdir().expect("temp dir"), |_| {}).await;
    let mut client = broker.client().await;
    create_topic(&mut client, "t", 1).await;
    let config = ProducerConfig { linger: std::time::Duration::from_millis(1), ..ProducerConfig::default() };
    let producer = Producer::new(client.clone(), "t", config).await.expect("producer");
    let mut deliveries = Vec::new();
    for i in 0..200 {
        deliveries.push(producer.send(record(format!("{i}")), Some(0)).await.expect("send"));
    }
    let dir = broker.stop().await; // the producer's requests now fail with UNAVAILABLE
    for i in 200..400 {
        deliveries.push(producer.send(record(format!("{i}")), Some(0)).await.expect("send"));
    }
    // Flush while the broker is down, so its requests fail and are retried; restart it a little
    // later (the pause only makes the outage long enough to matter).
    let restart = async {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        TestBroker::start_at(addr, dir, |_| {}).await
    };
    let ((), broker) = tokio::join!(producer.flush(), restart);
    for d in deliveries {
        d.await.expect("delivered").expect("acknowledged after retrying");
    }
    producer.close().await;
    let mut client = broker.client().await;
    let values: Vec<Bytes> = fetch_all(&mut client, "t", 0, 0).await.into_iter().map(|r| r.value).collect();
    let expected: Vec<Bytes> = (0..400).map(|i| Bytes::from(format!("{i}"))).collect();
    assert_eq!(values, expected, "every record once, in send order");
}

#[tokio::test]
async fn producer_batches_stay_under_the_brokers_request_limit() {
    let broker = TestBroker::start_with(small_size_limits).await;
    let mut client = broker.client().await;
    create_topic(&mut client, "t", 1).await;
    let config = ProducerConfig { batch_size: 1024, linger: std::time::Duration::ZERO, ..ProducerConfig::default() };
    let producer = Producer::new(client.clone(), "t", config).await.expect("producer");
    let mut deliveries = Vec::new();
    for i in 0..200 {
        let record = proto::Record { value: Bytes::from(format!("{i:0>500}")), ..Default::default() };
        deliveries.push(producer.send(record, Some(0)).await.expect("send"));
    }
    producer.flush().await;
    for d in deliveries {
        d.await.expect("delivered").expect("no batch grew past --max-request-bytes");
    }
    producer.close().await;
    assert_eq!(fetch_all(&mut client, "t", 0, 0).await.len(), 200);
}
