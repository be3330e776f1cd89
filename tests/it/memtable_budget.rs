//! Near the memtable budget the broker flushes the partitions holding the most, not every
//! partition: a busy partition goes to an SST file while quiet ones keep their few records in
//! memory (and in the WAL) instead of each getting a small file.
use std::time::{Duration, Instant};

use crate::process::ServerProcess;
use crate::support::*;

/// Early flushes start at 5/8 of this (10 MiB); RocksDB's own flush of every family at 7/8
/// (14 MiB), and a single partition's at 16 MiB.
const BUDGET: usize = 16 << 20;
const HOT_RECORD: usize = 256 << 10;
/// With the quiet partitions' 2.7 MB, memtables pass 10 MiB at about the 30th hot record (the
/// exact count varies with RocksDB's per-core arena shards: 28 seen). From the 26th on, the test waits
/// after each for the flush (which may queue behind other tests' flushes: RocksDB's flush pool
/// is shared by the process), so it never writes far enough past 10 MiB to reach 14.
const HOT_BEFORE_WAITING: usize = 26;
/// The hot partition's records are at least this many when it is flushed.
const HOT_FLUSHED_AT_LEAST: usize = 24;
const HOT_AT_MOST: usize = 44;
const COLD_RECORD: usize = 300_000;
const COLD_PARTITIONS: u32 = 9;

fn budget(config: &mut strata::config::BrokerConfig) {
    config.store.write_buffer_total_bytes = BUDGET;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn near_the_budget_the_fullest_partition_is_flushed_and_quiet_ones_are_not() {
    let broker = TestBroker::start_with(budget).await;
    let mut client = broker.client().await;
    let data_dir = broker.data_dir();
    let on_disk = || sst_file_sizes(&data_dir).iter().sum::<u64>();
    let hot_records = fill_until(&mut client, async || on_disk() > 0).await;

    let flushed_at_least = (HOT_RECORD * HOT_FLUSHED_AT_LEAST) as u64;
    let give_up = Instant::now() + Duration::from_secs(60);
    while on_disk() < flushed_at_least {
        assert!(Instant::now() < give_up, "the hot partition was never flushed: {} bytes in SST files", on_disk());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Only the hot partition's records: not the quiet partitions' as well.
    let hot_bytes = (HOT_RECORD * hot_records) as u64;
    // Not even one quiet partition's record (metadata files add a few kilobytes).
    assert!(
        on_disk() < hot_bytes + COLD_RECORD as u64 / 2,
        "quiet partitions were flushed too: {} bytes after {hot_records} hot records; SST files {:?}",
        on_disk(),
        sst_file_sizes(&data_dir)
    );

    // Both halves are there after a restart: the flushed one from its file, the rest from the WAL.
    let broker = TestBroker::start_in(broker.stop().await, budget).await;
    let mut client = broker.client().await;
    let hot = fetch_all(&mut client, "mixed", 0, 0).await;
    assert_eq!(hot.len(), hot_records);
    assert!(hot.iter().all(|r| r.value.len() == HOT_RECORD && r.value[0] == b'h'));
    for partition in 1..=COLD_PARTITIONS {
        let cold = fetch_all(&mut client, "mixed", partition, 0).await;
        assert_eq!(cold.len(), 1, "mixed/{partition}");
        assert_eq!(cold[0].value.len(), COLD_RECORD, "mixed/{partition}");
    }
}

/// Writes one record to each quiet partition of a new topic "mixed", then hot records to its
/// partition 0 until `flushed` (or [`HOT_AT_MOST`]), waiting for it after each from
/// [`HOT_BEFORE_WAITING`] on. Returns how many hot records it wrote.
async fn fill_until(client: &mut Client, mut flushed: impl AsyncFnMut() -> bool) -> usize {
    create_topic(client, "mixed", 1 + COLD_PARTITIONS).await;
    for partition in 1..=COLD_PARTITIONS {
        produce_to(client, "mixed", partition, vec![record(vec![b'c'; COLD_RECORD])]).await;
    }
    let mut hot_records = 0;
    while !flushed().await && hot_records < HOT_AT_MOST {
        produce_to(client, "mixed", 0, vec![record(vec![b'h'; HOT_RECORD])]).await;
        hot_records += 1;
        if hot_records >= HOT_BEFORE_WAITING {
            let quiet_until = Instant::now() + Duration::from_secs(3);
            while !flushed().await && Instant::now() < quiet_until {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }
    }
    hot_records
}

/// A spawned broker, since the metrics exporter is one per process.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn early_flushes_are_counted_in_the_metrics() {
    let data = tempfile::tempdir().expect("temp dir");
    let metrics = std::net::SocketAddr::from(([127, 0, 0, 1], crate::ports::fixed_ports(1)[0]));
    let (budget, metrics_arg) = (BUDGET.to_string(), metrics.to_string());
    let args = ["--write-buffer-total", budget.as_str(), "--metrics-listen", metrics_arg.as_str()];
    let server = ServerProcess::spawn(data.path(), &args);
    let mut client = connect(server.addr).await;
    let hot_records = fill_until(&mut client, async || early_flushes(metrics).await.0 > 0.0).await;
    let (flushes, partitions) = early_flushes(metrics).await;
    assert!(flushes >= 1.0, "no early flush was counted after {hot_records} hot records");
    assert!(partitions >= flushes, "each early flush took the hot partition: {partitions} for {flushes} flushes");
}

/// `strata_early_flushes_total` and `strata_early_flushed_partitions_total` (0 until counted).
async fn early_flushes(addr: std::net::SocketAddr) -> (f64, f64) {
    let values = scrape(addr, &["strata_early_flushes_total", "strata_early_flushed_partitions_total"]).await;
    (values[0], values[1])
}
