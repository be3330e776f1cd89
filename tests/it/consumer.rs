//! The Rust client's manual-assignment consumer: a catch-up over many responses (each poll
//! sends the next fetch ahead) reads every record once, in order, and then follows the tail.
use std::collections::BTreeMap;
use std::time::Duration;

use bytes::Bytes;
use strata::client::{Consumer, StartAt};

use crate::support::*;

const RECORD_BYTES: usize = 8 << 10;

fn value(partition: u32, i: usize) -> Vec<u8> {
    let mut v = format!("p{partition}-{i}-").into_bytes();
    v.resize(RECORD_BYTES, b'x');
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_catch_up_over_many_responses_reads_each_record_once_in_order_then_follows() {
    let broker = TestBroker::start().await;
    let mut client = broker.client().await;
    create_topic(&mut client, "t", 3).await;
    // 3 x 400 records of 8 KiB: a few MiB per partition, several 1 MiB responses each.
    for partition in 0..3u32 {
        for chunk in 0..4 {
            let records = (0..100).map(|i| record(value(partition, chunk * 100 + i))).collect();
            produce_to(&mut client, "t", partition, records).await;
        }
    }
    let mut consumer = Consumer::assign(client.clone(), "t", &[0, 1, 2], StartAt::Earliest).await.expect("assign");
    let mut seen: BTreeMap<u32, Vec<(i64, Bytes)>> = BTreeMap::new();
    let mut polls = 0;
    while seen.values().map(Vec::len).sum::<usize>() < 1200 {
        polls += 1;
        assert!(polls < 1000, "the catch-up never finished: {:?}", seen.values().map(Vec::len).collect::<Vec<_>>());
        for r in consumer.poll(Duration::from_millis(100)).await.expect("poll") {
            seen.entry(r.partition).or_default().push((r.offset, r.value));
        }
    }
    assert!(polls > 6, "the backlog should take several responses, took {polls}");
    for partition in 0..3u32 {
        let got = &seen[&partition];
        let offsets: Vec<i64> = got.iter().map(|(o, _)| *o).collect();
        assert_eq!(offsets, (0..400).collect::<Vec<i64>>(), "partition {partition}: every offset once, in order");
        for (offset, v) in got {
            assert_eq!(v, &Bytes::from(value(partition, *offset as usize)), "partition {partition} offset {offset}");
        }
    }
    assert_eq!(consumer.positions(), &BTreeMap::from([(0, 400), (1, 400), (2, 400)]));

    // Caught up: polls come back empty, then pick up what arrives next.
    assert!(consumer.poll(Duration::from_millis(50)).await.expect("poll at the end").is_empty());
    produce_to(&mut client, "t", 1, vec![record("late")]).await;
    let mut late = Vec::new();
    for _ in 0..10 {
        late.extend(consumer.poll(Duration::from_millis(200)).await.expect("poll"));
        if !late.is_empty() {
            break;
        }
    }
    assert_eq!(late.len(), 1);
    assert_eq!((late[0].partition, late[0].offset, late[0].value.clone()), (1, 400, Bytes::from("late")));
}
