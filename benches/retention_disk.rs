//! Does retention give the disk back? Fills one partition with ~500 MB, trims it to ~50 MB with
//! size retention, and prints the data dir's size before and after (as `du` counts it).
//!
//! `make bench-retention`; `STRATA_BENCH_MB` sets the fill (default 500).
use std::path::Path;
use std::time::Instant;

use bytes::Bytes;
use strata::broker::{Broker, ProduceRecord, ProduceRequest, TopicConfig};
use strata::config::BrokerConfig;

const RECORD: usize = 1024;
const PER_BATCH: usize = 100;

fn main() -> anyhow::Result<()> {
    let fill_mb: u64 = std::env::var("STRATA_BENCH_MB").ok().and_then(|s| s.parse().ok()).unwrap_or(500);
    let dir = tempfile::tempdir_in(std::env::var("STRATA_BENCH_DIR").unwrap_or_else(|_| ".".into()))?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async {
        let config = BrokerConfig { data_dir: dir.path().join("data"), ..BrokerConfig::default() };
        let data_dir = config.data_dir.clone();
        let broker = Broker::open(config)?;
        broker.create_topic("fill", 1, TopicConfig { retention_ms: Some(-1), ..Default::default() }).await?;
        let records: Vec<ProduceRecord> = (0..PER_BATCH)
            .map(|i| ProduceRecord { value: Bytes::from(vec![(i % 251) as u8; RECORD]), ..Default::default() })
            .collect();
        let batches = fill_mb * (1 << 20) / (RECORD * PER_BATCH) as u64;
        for _ in 0..batches {
            let request = ProduceRequest {
                topic: "fill".into(),
                partition: Some(0),
                records: records.clone(),
                ..Default::default()
            };
            broker.produce(request).await?;
        }
        broker.flush_topic("fill").await?;
        let before = dir_bytes(&data_dir)?;
        let partition = broker.describe_topic("fill")?.partitions[0];
        println!("filled: {} records, partition size {:.1} MiB", partition.high_watermark, mib(partition.size_bytes));
        println!("data dir before retention: {:.1} MiB", mib(before));

        let limit = (fill_mb / 10) << 20;
        broker
            .alter_topic_config("fill", TopicConfig { retention_bytes: Some(limit as i64), ..Default::default() }, &[])
            .await?;
        let started = Instant::now();
        let report = broker.enforce_retention(i64::MAX).await?;
        let took = started.elapsed();
        broker.flush_topic("fill").await?;
        let after = dir_bytes(&data_dir)?;
        let partition = broker.describe_topic("fill")?.partitions[0];
        println!(
            "retention to {:.0} MiB deleted {} records ({:.1} MiB) in {:.2} s (range delete + compaction)",
            mib(limit),
            report.records,
            mib(report.bytes),
            took.as_secs_f64()
        );
        println!("partition now: log start {}, size {:.1} MiB", partition.log_start_offset, mib(partition.size_bytes));
        println!(
            "data dir after retention: {:.1} MiB ({:.1}% of before)",
            mib(after),
            100.0 * after as f64 / before as f64
        );
        broker.close().await;
        anyhow::Ok(())
    })
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1 << 20) as f64
}

/// Allocated bytes of every file under `dir` (what `du -sb` would add up for apparent sizes).
fn dir_bytes(dir: &Path) -> std::io::Result<u64> {
    let mut total = 0;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let meta = entry.metadata()?;
        total += if meta.is_dir() { dir_bytes(&entry.path())? } else { meta.len() };
    }
    Ok(total)
}
