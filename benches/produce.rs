//! End-to-end produce throughput: an in-process broker on loopback, `--fsync always`, acks ALL,
//! 1 KiB records in 100-record requests, with 1 and 8 concurrent producers (one connection
//! each). Also measures the disk itself (sequential writes, fdatasync every 1 MiB, in the same
//! temp dir) so the numbers can be read as a ratio on a noisy machine.
//!
//! `make bench`; `STRATA_BENCH_SECS` sets each run's length (default 10).
use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use strata::config::BrokerConfig;
use strata::proto::broker_client::BrokerClient;
use strata::proto::{CreateTopicRequest, ProduceRequest, Record};
use tokio::net::TcpListener;

const RECORD_BYTES: usize = 1024;
const RECORDS_PER_REQUEST: usize = 100;

fn main() -> anyhow::Result<()> {
    let secs: u64 = std::env::var("STRATA_BENCH_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(10);
    let duration = Duration::from_secs(secs);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let dir = tempfile::tempdir_in(std::env::var("STRATA_BENCH_DIR").unwrap_or_else(|_| ".".into()))?;
    let disk = disk_fdatasync_bandwidth(dir.path(), duration.min(Duration::from_secs(5)))?;
    println!("disk: sequential write + fdatasync every 1 MiB: {:.1} MiB/s", disk / (1 << 20) as f64);
    println!("{:<34} {:>12} {:>10} {:>10}", "workload", "records/s", "MiB/s", "÷ disk");
    for producers in [1usize, 8] {
        let (records, elapsed) = runtime.block_on(run_produce(dir.path(), producers, duration))?;
        let rate = records as f64 / elapsed.as_secs_f64();
        let bytes = rate * RECORD_BYTES as f64;
        let name = format!("produce 1KiB x100, fsync always, {producers}p");
        println!("{name:<34} {rate:>12.0} {:>10.1} {:>10.2}", bytes / (1 << 20) as f64, bytes / disk);
    }
    Ok(())
}

async fn run_produce(dir: &Path, producers: usize, duration: Duration) -> anyhow::Result<(u64, Duration)> {
    let data_dir = dir.join(format!("broker-{producers}"));
    let config = BrokerConfig { data_dir, ..BrokerConfig::default() };
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(strata::grpc::run(listener, config, async move {
        let _ = stopped.await;
    }));
    let endpoint = format!("http://{addr}");
    let mut admin = loop {
        match BrokerClient::connect(endpoint.clone()).await {
            Ok(client) => break client,
            Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    };
    admin.create_topic(CreateTopicRequest { name: "bench".into(), partitions: 8, config: None }).await?;
    let records: Vec<Record> = (0..RECORDS_PER_REQUEST)
        .map(|i| Record { value: Bytes::from(vec![(i % 251) as u8; RECORD_BYTES]), ..Record::default() })
        .collect();
    let produced = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for p in 0..producers {
        let mut client = BrokerClient::connect(endpoint.clone()).await?.max_encoding_message_size(64 << 20);
        let (records, produced) = (records.clone(), produced.clone());
        tasks.push(tokio::spawn(async move {
            while start.elapsed() < duration {
                let request = ProduceRequest {
                    topic: "bench".into(),
                    partition: Some(p as u32 % 8),
                    records: records.clone(),
                    acks: 0,
                };
                client.produce(request).await?;
                produced.fetch_add(RECORDS_PER_REQUEST as u64, Ordering::Relaxed);
            }
            anyhow::Ok(())
        }));
    }
    for task in tasks {
        task.await??;
    }
    let elapsed = start.elapsed();
    let _ = stop.send(());
    server.await??;
    Ok((produced.load(Ordering::Relaxed), elapsed))
}

/// Bytes per second of 1 MiB writes each followed by fdatasync.
fn disk_fdatasync_bandwidth(dir: &Path, duration: Duration) -> anyhow::Result<f64> {
    let path = dir.join("disk-probe");
    let mut file = std::fs::File::create(&path)?;
    let chunk = vec![0x5au8; 1 << 20];
    let start = Instant::now();
    let mut written = 0u64;
    while start.elapsed() < duration {
        file.write_all(&chunk)?;
        file.sync_data()?;
        written += chunk.len() as u64;
    }
    let rate = written as f64 / start.elapsed().as_secs_f64();
    std::fs::remove_file(path)?;
    Ok(rate)
}
