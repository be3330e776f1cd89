//! Produce throughput and produce→ack latency, strata next to Redis Streams, NATS JetStream and
//! the disk itself, all in one run so the numbers read as ratios on a noisy machine.
//!
//! Workloads: 1 KiB and 100 B records in batches (100 records of 1 KiB, 1,000 of 100 B) sent
//! back to back; strata with acks ALL under `--fsync always` and with acks LEADER, over 1 and 8
//! partitions from 1 and 4 producers, then 8 producers over 8 partitions (its best batching,
//! the row compared with the peers). Peers run on loopback from Debian's packages:
//! `redis-server` (appendonly, appendfsync always; pipelined XADD) and `nats-server -js` (file
//! storage; async publishes, acks awaited per batch). A peer that cannot start is skipped with
//! the reason. Latency is per batch, from send to acknowledgement (p50/p99/p99.9/max).
//!
//! Then idempotent producers against plain ones (acks ALL), in alternating pairs.
//!
//! `make bench`; `STRATA_BENCH_SECS` sets each run's length (default 10), and
//! `STRATA_BENCH_ONLY` (comma-separated: throughput, idempotence, fixed, catchup) picks sections.
mod disk;
mod drive;
mod fixed_rate;
mod page_cache;
mod peers;
mod strata_target;

use std::path::Path;
use std::time::Duration;

use drive::Outcome;
use strata_target::Mode;

/// One workload: record size, records per batch, producers, and the partitions they spread over.
#[derive(Clone, Copy)]
pub struct Shape {
    pub record_bytes: usize,
    pub per_batch: usize,
    pub producers: usize,
    pub partitions: usize,
}

/// The matrix of (partitions, producers), run at each record size and acks level.
const MATRIX: [(usize, usize); 4] = [(1, 1), (1, 4), (8, 1), (8, 4)];

/// One row of the ratio table: the 8-producer strata runs, the peers, and the disk bandwidth
/// measured just before them, at one record size.
type Ratios = (&'static str, Outcome, Outcome, Option<Outcome>, Option<Outcome>, f64);

fn main() -> anyhow::Result<()> {
    let secs: u64 = std::env::var("STRATA_BENCH_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(10);
    let duration = Duration::from_secs(secs);
    // `STRATA_BENCH_ONLY=fixed,catchup` runs only those sections (throughput, fixed, catchup).
    let only = std::env::var("STRATA_BENCH_ONLY").unwrap_or_default();
    let wanted = |section: &str| only.is_empty() || only.split(',').any(|s| s.trim() == section);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let dir = tempfile::tempdir_in(std::env::var("STRATA_BENCH_DIR").unwrap_or_else(|_| ".".into()))?;
    let disk = disk::fdatasync_bandwidth(dir.path(), duration.min(Duration::from_secs(5)))?;
    println!("disk: sequential write + fdatasync every 1 MiB: {:.1} MiB/s\n", disk / (1 << 20) as f64);
    let ratios = if wanted("throughput") { throughput(&runtime, dir.path(), disk, duration)? } else { Vec::new() };
    if wanted("idempotence") {
        idempotence(&runtime, dir.path(), disk, duration)?;
    }
    if wanted("fixed") {
        fixed_rates(&runtime, dir.path(), duration)?;
    }
    if wanted("catchup") {
        let backlog_mib = std::env::var("STRATA_BENCH_BACKLOG_MB").ok().and_then(|s| s.parse().ok()).unwrap_or(2048);
        println!("\ncatch-up read of a {backlog_mib} MiB backlog, 1 partition");
        for (reader, rate) in runtime.block_on(fixed_rate::catch_up(dir.path(), backlog_mib))? {
            println!("  {reader:<40} {:>8.1} MiB/s", rate / (1 << 20) as f64);
        }
    }
    print_ratios(ratios);
    Ok(())
}

/// The strata matrix at both record sizes, then the 8-producer runs next to the peers.
fn throughput(
    runtime: &tokio::runtime::Runtime,
    dir: &Path,
    disk: f64,
    duration: Duration,
) -> anyhow::Result<Vec<Ratios>> {
    drive::print_header();
    let mut ratios = Vec::new();
    for (record_bytes, per_batch) in [(1024usize, 100usize), (100, 1000)] {
        let shape = Shape { record_bytes, per_batch, producers: 8, partitions: 8 };
        let size = if record_bytes == 1024 { "1KiB" } else { "100B" };
        for (partitions, producers) in MATRIX {
            let cell = Shape { partitions, producers, ..shape };
            for (mode, acks) in [(Mode::Durable, "acks=all fsync=always"), (Mode::Leader, "acks=leader")] {
                let outcome = runtime.block_on(strata_target::run(dir, cell, mode, duration))?;
                outcome.print(&format!("strata {size} {acks} {partitions}part {producers}p"), disk);
            }
        }
        // This disk's bandwidth swings 2-3x from minute to minute (160-570 MiB/s seen in one
        // hour), so the ratio rows use a probe taken right before them.
        let disk = disk::fdatasync_bandwidth(dir, Duration::from_secs(3))?;
        println!("disk probe before the next rows: {:.1} MiB/s", disk / (1 << 20) as f64);
        let durable = runtime.block_on(strata_target::run(dir, shape, Mode::Durable, duration))?;
        durable.print(&format!("strata {size} acks=all fsync=always 8part 8p"), disk);
        let leader = runtime.block_on(strata_target::run(dir, shape, Mode::Leader, duration))?;
        leader.print(&format!("strata {size} acks=leader 8part 8p"), disk);
        let redis = runtime.block_on(peers::redis(dir, shape, duration));
        let nats = runtime.block_on(peers::nats(dir, shape, duration));
        for (name, peer) in [("redis appendfsync=always", &redis), ("nats jetstream file", &nats)] {
            match peer {
                Ok(outcome) => outcome.print(&format!("{name} {size} 8p"), disk),
                Err(reason) => println!("{name} {size}: SKIPPED ({reason:#})"),
            }
        }
        ratios.push((size, durable, leader, redis.ok(), nats.ok(), disk));
    }
    Ok(ratios)
}

/// Pairs pitting the same 8 producers against each other with and without idempotence (acks
/// ALL, `--fsync always`), alternating which runs first; prints each pair's ratio and the median.
fn idempotence(runtime: &tokio::runtime::Runtime, dir: &Path, disk: f64, duration: Duration) -> anyhow::Result<()> {
    println!("\nidempotence: 8 producers over 8 partitions, acks=all fsync=always, three alternating pairs");
    drive::print_header();
    for (record_bytes, per_batch, size) in [(1024usize, 100usize, "1KiB"), (100, 1000, "100B")] {
        let shape = Shape { record_bytes, per_batch, producers: 8, partitions: 8 };
        let mut ratios = Vec::new();
        for pair in 0..3 {
            let order =
                if pair % 2 == 0 { [Mode::Durable, Mode::Idempotent] } else { [Mode::Idempotent, Mode::Durable] };
            let (mut plain, mut idempotent) = (None, None);
            for mode in order {
                let outcome = runtime.block_on(strata_target::run(dir, shape, mode, duration))?;
                let label = if mode == Mode::Idempotent { "idempotent" } else { "plain" };
                outcome.print(&format!("strata {size} acks=all {label} 8part 8p"), disk);
                if mode == Mode::Idempotent { idempotent = Some(outcome) } else { plain = Some(outcome) }
            }
            if let (Some(plain), Some(idempotent)) = (plain, idempotent) {
                ratios.push(ratio(&idempotent, &plain));
            }
        }
        let pairs: Vec<String> = ratios.iter().map(|r| format!("{r:.2}")).collect();
        ratios.sort_by(f64::total_cmp);
        println!("  {size}: idempotent / plain records/s, pairs {}; median {:.2}", pairs.join(", "), ratios[1]);
    }
    Ok(())
}

fn fixed_rates(runtime: &tokio::runtime::Runtime, dir: &Path, duration: Duration) -> anyhow::Result<()> {
    println!("\nfixed rate, open loop: strata 1KiB acks=all fsync=always, 1 partition, 1 subscriber;");
    println!("before each, the disk alone: the same batches written and fdatasync'd (group commit)");
    println!(
        "{:<12} {:>9}  {:<31}  {:<31}  {:<31}",
        "target",
        "achieved",
        "disk p50/p99/p99.9/max ms",
        "ack p50/p99/p99.9/max ms",
        "end-to-end p50/p99/p99.9/max ms"
    );
    let mut tails = Vec::new();
    for mib_per_sec in [10.0, 50.0] {
        let bytes_per_sec = mib_per_sec * (1 << 20) as f64;
        let disk = disk::append_latencies(dir, fixed_rate::BATCH_BYTES, bytes_per_sec, duration)?;
        let run = runtime.block_on(fixed_rate::run(dir, mib_per_sec, duration))?;
        let summary = |v: &[u64]| {
            let p = |q| drive::percentile_ms(v, q);
            format!("{:.2}/{:.2}/{:.2}/{:.2}", p(0.5), p(0.99), p(0.999), p(1.0))
        };
        let achieved = run.achieved_bytes_per_sec / (1 << 20) as f64;
        println!(
            "{:<12} {achieved:>9.1}  {:<31}  {:<31}  {:<31}",
            format!("{mib_per_sec} MiB/s"),
            summary(&disk),
            summary(&run.ack_us),
            summary(&run.end_to_end_us)
        );
        tails.push((mib_per_sec, drive::percentile_ms(&disk, 0.99), drive::percentile_ms(&run.end_to_end_us, 0.99)));
    }
    // The disk's tail swings from ~2 ms to hundreds of ms between minutes here, so strata's p99
    // reads against the disk's p99 at the same rate, measured just before.
    for (mib_per_sec, disk_p99, strata_p99) in tails {
        println!("  {mib_per_sec} MiB/s: strata end-to-end p99 / disk p99   {:>6.2}", strata_p99 / disk_p99);
    }
    Ok(())
}

fn print_ratios(ratios: Vec<Ratios>) {
    if ratios.is_empty() {
        return;
    }
    println!("\nratios (records/s, same run; disk: the probe just before the 8-producer rows)");
    for (size, durable, leader, redis, nats, disk) in ratios {
        let disk_ratio = durable.bytes_per_sec() / disk;
        println!("  {size}: strata durable / disk bandwidth     {disk_ratio:>6.2}");
        if let Some(redis) = redis {
            println!("  {size}: strata durable / redis always       {:>6.2}", ratio(&durable, &redis));
        }
        if let Some(nats) = nats {
            println!("  {size}: strata leader  / nats jetstream     {:>6.2}", ratio(&leader, &nats));
        }
    }
}

fn ratio(a: &Outcome, b: &Outcome) -> f64 {
    a.records_per_sec() / b.records_per_sec()
}
