//! `--flush-write-limit`: RocksDB gets a rate limiter for flushes and compactions, flushes still
//! happen under it, and nothing written is lost.
use std::time::{Duration, Instant};

use strata::config::BrokerConfig;

use crate::support::*;

const RECORD: usize = 256 << 10;

/// RocksDB's LOG line for the rate limiter it opened with: `(nil)` when there is none. Read
/// once the broker has answered a request, so that the store is open.
fn rate_limiter_line(broker: &TestBroker) -> String {
    let log = std::fs::read_to_string(broker.data_dir().join("LOG")).expect("RocksDB LOG");
    log.lines().find(|l| l.contains("Options.rate_limiter:")).expect("rate limiter in the LOG").to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_flush_write_limit_records_are_flushed_and_read_back_after_a_restart() {
    let limited = |config: &mut BrokerConfig| {
        config.store.flush_write_limit = Some(8 << 20);
        config.store.write_buffer_total_bytes = 4 << 20;
    };
    let broker = TestBroker::start_with(limited).await;
    let mut client = broker.client().await;
    create_topic(&mut client, "t", 1).await;
    let line = rate_limiter_line(&broker);
    assert!(!line.contains("(nil)"), "RocksDB opened without the limiter: {line}");
    for i in 0..24u8 {
        produce_to(&mut client, "t", 0, vec![record(vec![i; RECORD])]).await;
    }
    let data_dir = broker.data_dir();
    let give_up = Instant::now() + Duration::from_secs(60);
    while sst_file_sizes(&data_dir).iter().sum::<u64>() < (RECORD * 8) as u64 {
        assert!(Instant::now() < give_up, "nothing was flushed under the limit: {:?}", sst_file_sizes(&data_dir));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let broker = TestBroker::start_in(broker.stop().await, limited).await;
    let mut client = broker.client().await;
    let records = fetch_all(&mut client, "t", 0, 0).await;
    assert_eq!(records.len(), 24);
    for (i, r) in records.iter().enumerate() {
        assert!(r.value.len() == RECORD && r.value.iter().all(|&b| usize::from(b) == i), "record {i}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn by_default_flushes_are_not_limited() {
    let broker = TestBroker::start().await;
    create_topic(&mut broker.client().await, "t", 1).await; // the store is open
    let line = rate_limiter_line(&broker);
    assert!(line.contains("(nil)"), "{line}");
}
