//! One broker with many partitions: topic creation time as the total grows, memory at 10,000
//! partitions idle and loaded, restart to first fetch, produce throughput spread over 1,000
//! partitions against 8, and deleting a 1,000-partition topic. Prints each figure next to its
//! target (issue #9). In-process broker, default options (`--fsync always`, acks ALL); the
//! restart and everything after it run in a child process, as a real restart would.
//!
//! `make bench-scale`; `STRATA_SCALE_TOPICS` (default 10) topics of `STRATA_SCALE_PARTITIONS`
//! (default 1,000) partitions; `STRATA_BENCH_SECS` (default 10) per throughput run, in
//! `STRATA_SCALE_PAIRS` (default 3) alternating pairs;
//! `STRATA_SCALE_BLOCK_CACHE_MIB`, `STRATA_SCALE_WRITE_BUFFER_MIB` and `STRATA_SCALE_MAX_WAL_MIB`
//! set the broker's `--block-cache`, `--write-buffer-total` and `--max-wal-size` (defaults: the
//! broker's); `STRATA_DIRECT_IO=true` its `--direct-io`.
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use strata::broker::{Broker, FetchRequest, ProduceRecord, ProduceRequest, TopicConfig};
use strata::config::BrokerConfig;

const RECORD: usize = 1024;
const PER_REQUEST: usize = 100;
const PRODUCERS: usize = 8;

/// Set in the child process that measures the restart: the data dir to reopen.
const RESTART_DIR: &str = "STRATA_SCALE_RESTART_DIR";

struct Scale {
    topics: usize,
    per_topic: u32,
    secs: u64,
    /// Alternating pairs of throughput runs (8 partitions, then 1,000).
    pairs: u64,
}

fn main() -> anyhow::Result<()> {
    let started = Instant::now();
    let scale = Scale {
        topics: env_or("STRATA_SCALE_TOPICS", 10) as usize,
        per_topic: env_or("STRATA_SCALE_PARTITIONS", 1000) as u32,
        secs: env_or("STRATA_BENCH_SECS", 10),
        pairs: env_or("STRATA_SCALE_PAIRS", 3),
    };
    // The broker logs how its open divides between RocksDB and recovery.
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("strata::broker=info"));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stdout());
    tracing_subscriber::fmt().with_env_filter(filter).with_ansi(ansi).init();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    if let Some(dir) = std::env::var_os(RESTART_DIR) {
        return runtime.block_on(restart_and_load(broker_config(dir.into()), &scale, started));
    }
    let dir = tempfile::tempdir_in(std::env::var("STRATA_BENCH_DIR").unwrap_or_else(|_| ".".into()))?;
    let config = broker_config(dir.path().join("data"));
    runtime.block_on(create_and_fill(config.clone(), &scale))?;
    // A restarted broker is a new process. Measure it in one, so that its RSS is one broker's
    // memory and not also what this process's allocator kept from the first broker.
    let status = std::process::Command::new(std::env::current_exe()?)
        .args(std::env::args_os().skip(1))
        .env(RESTART_DIR, &config.data_dir)
        .status()?;
    anyhow::ensure!(status.success(), "the restarted broker's process failed: {status}");
    Ok(())
}

/// Default options, except the memory budgets the environment sets.
fn broker_config(data_dir: std::path::PathBuf) -> BrokerConfig {
    let mut config = BrokerConfig { data_dir, ..BrokerConfig::default() };
    if let Some(bytes) = env_mib("STRATA_SCALE_BLOCK_CACHE_MIB") {
        config.store.block_cache_bytes = bytes as usize;
    }
    if let Some(bytes) = env_mib("STRATA_SCALE_WRITE_BUFFER_MIB") {
        config.store.write_buffer_total_bytes = bytes as usize;
    }
    if let Some(bytes) = env_mib("STRATA_SCALE_MAX_WAL_MIB") {
        config.store.max_total_wal_bytes = bytes;
    }
    config.store.direct_io = std::env::var("STRATA_DIRECT_IO").is_ok_and(|v| v == "true");
    println!(
        "block cache {} MiB, write buffers {} MiB, max WAL {} MiB, direct I/O {}",
        config.store.block_cache_bytes >> 20,
        config.store.write_buffer_total_bytes >> 20,
        config.store.max_total_wal_bytes >> 20,
        config.store.direct_io
    );
    config
}

/// Creates the topics, then writes one batch into every partition.
async fn create_and_fill(config: BrokerConfig, scale: &Scale) -> anyhow::Result<()> {
    let Scale { topics, per_topic, .. } = *scale;
    let data_dir = config.data_dir.clone();
    let broker = Broker::open(config)?;
    println!("== topic creation ({topics} topics x {per_topic} partitions)");
    let mut slowest = Duration::ZERO;
    for t in 0..topics {
        let started = Instant::now();
        broker.create_topic(&format!("t{t}"), per_topic, TopicConfig::default()).await?;
        let took = started.elapsed();
        slowest = slowest.max(took);
        println!("create t{t}: {:.2} s (total now {} partitions)", took.as_secs_f64(), (t as u32 + 1) * per_topic);
    }
    let total = topics as u32 * per_topic;
    report("slowest creation of 1,000 partitions", slowest.as_secs_f64(), "s", "< 5 s");
    report("RSS, all partitions idle", rss_mib("VmRSS"), "MiB", "< 1024 MiB");

    println!("== one batch of {PER_REQUEST} x {RECORD} B into each of the {total} partitions");
    let started = Instant::now();
    fill_every_partition(&broker, topics, per_topic).await?;
    println!("filled in {:.1} s", started.elapsed().as_secs_f64());
    report("RSS after writing to every partition", rss_mib("VmRSS"), "MiB", "< 1024 MiB");
    report("peak RSS so far", rss_mib("VmHWM"), "MiB", "< 1024 MiB");
    broker.close().await;
    // Live WAL files (replayed at the restart) and up to four recycled ones kept for reuse.
    println!("WAL files in the data dir: {:.0} MiB", mib(bytes_of(&data_dir, "log")?));
    Ok(())
}

/// In a new process: reopens the broker, fetches, measures produce throughput and memory under
/// load, then deletes a topic.
async fn restart_and_load(config: BrokerConfig, scale: &Scale, started: Instant) -> anyhow::Result<()> {
    let Scale { per_topic, secs, .. } = *scale;
    println!("== restart (new process)");
    let broker = Broker::open(config.clone())?;
    let fetch = FetchRequest { topic: "t0".into(), partition: per_topic - 1, offset: 0, ..Default::default() };
    let first = broker.fetch(&fetch).await?;
    anyhow::ensure!(first.records.len() == PER_REQUEST, "restart lost records");
    report("restart to first fetch", started.elapsed().as_secs_f64(), "s", "< 10 s");
    report("RSS after restart, idle", rss_mib("VmRSS"), "MiB", "< 1024 MiB");
    println!("peak RSS during the restart: {:.0} MiB", rss_mib("VmHWM"));

    println!("== produce throughput, {PRODUCERS} producers, {secs} s each");
    broker.create_topic("narrow", 8, TopicConfig::default()).await?;
    let ratio = median_throughput_ratio(&broker, per_topic, secs, scale.pairs).await?;
    report("throughput over 1,000 partitions / over 8 (median)", ratio, "x", ">= 0.7");
    report("RSS under load", rss_mib("VmRSS"), "MiB", "< 1024 MiB");
    report("peak RSS of the restarted broker", rss_mib("VmHWM"), "MiB", "< 1024 MiB");

    println!("== delete a {per_topic}-partition topic");
    broker.flush_topic("t1").await?;
    let before = sst_bytes(&config.data_dir)?;
    let started = Instant::now();
    broker.delete_topic("t1").await?;
    report("delete topic (returns)", started.elapsed().as_secs_f64(), "s", "< 5 s");
    // The space returns in the background; wait until the SST total stops shrinking.
    let mut after = sst_bytes(&config.data_dir)?;
    let mut settled = Instant::now();
    while settled.elapsed() < Duration::from_secs(3) && started.elapsed() < Duration::from_secs(120) {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let now = sst_bytes(&config.data_dir)?;
        if now < after {
            (after, settled) = (now, Instant::now());
        }
    }
    let freed_in = settled.duration_since(started).as_secs_f64();
    println!("SST files {:.1} MiB -> {:.1} MiB, freed within {freed_in:.1} s", mib(before), mib(after));
    broker.close().await;
    Ok(())
}

/// One 100-record batch into every partition of every topic, from a few concurrent producers.
async fn fill_every_partition(broker: &Arc<Broker>, topics: usize, per_topic: u32) -> anyhow::Result<()> {
    let mut tasks = Vec::new();
    for worker in 0..PRODUCERS {
        let broker = broker.clone();
        tasks.push(tokio::spawn(async move {
            let all = (0..topics).flat_map(|t| (0..per_topic).map(move |p| (t, p)));
            for (t, p) in all.skip(worker).step_by(PRODUCERS) {
                broker.produce(request(&format!("t{t}"), p)).await?;
            }
            anyhow::Ok(())
        }));
    }
    for task in tasks {
        task.await??;
    }
    Ok(())
}

/// Flushes `topics`, then waits until RocksDB runs and owes no flush or compaction, so that a
/// throughput run starts from a quiet broker and does not pay for the run before it.
async fn settle(broker: &Arc<Broker>, topics: &[&str]) -> anyhow::Result<()> {
    let started = Instant::now();
    for topic in topics {
        broker.flush_topic(topic).await?;
    }
    loop {
        let stats = broker.storage_stats().await?;
        if stats.running_jobs == 0 && stats.pending_compaction_bytes == 0 {
            break;
        }
        if started.elapsed() > Duration::from_secs(120) {
            println!("RocksDB still busy after 120 s; measuring anyway");
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    println!("settled (flush + compactions) in {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}

/// Runs over 8 partitions and over `per_topic` in turn, `pairs` times, each from a settled
/// store: this machine's speed drifts by 2x within minutes (the 8-partition run alone ranged
/// 84k-362k rec/s in one morning), so one pair's ratio says little and the median of a few
/// alternating pairs says more. Every pair is printed.
async fn median_throughput_ratio(broker: &Arc<Broker>, per_topic: u32, secs: u64, pairs: u64) -> anyhow::Result<f64> {
    let mut ratios = Vec::new();
    for pair in 1..=pairs.max(1) {
        settle(broker, &["narrow", "t1"]).await?;
        let narrow = throughput(broker, "narrow", 8, secs).await?;
        settle(broker, &["narrow", "t1"]).await?;
        let wide = throughput(broker, "t1", per_topic, secs).await?;
        println!("pair {pair}: {per_topic} partitions / 8 = {:.2}", wide / narrow);
        ratios.push(wide / narrow);
    }
    ratios.sort_by(f64::total_cmp);
    let middle = ratios.len() / 2;
    Ok(if ratios.len() % 2 == 1 { ratios[middle] } else { (ratios[middle - 1] + ratios[middle]) / 2.0 })
}

/// Records per second acknowledged while `PRODUCERS` loops send to `partitions` partitions in turn.
async fn throughput(broker: &Arc<Broker>, topic: &str, partitions: u32, secs: u64) -> anyhow::Result<f64> {
    let deadline = Instant::now() + Duration::from_secs(secs);
    let started = Instant::now();
    let cpu_before = strata::process_memory::cpu_seconds().unwrap_or(0.0);
    let mut tasks = Vec::new();
    for worker in 0..PRODUCERS as u32 {
        let (broker, topic) = (broker.clone(), topic.to_string());
        tasks.push(tokio::spawn(async move {
            let mut sent = 0u64;
            let mut partition = worker % partitions;
            while Instant::now() < deadline {
                broker.produce(request(&topic, partition)).await?;
                sent += PER_REQUEST as u64;
                partition = (partition + PRODUCERS as u32) % partitions;
            }
            anyhow::Ok(sent)
        }));
    }
    let mut sent = 0;
    for task in tasks {
        sent += task.await??;
    }
    let cpu = strata::process_memory::cpu_seconds().unwrap_or(0.0) - cpu_before;
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "{partitions} partitions: {:.0} rec/s, CPU {cpu:.1} s in {elapsed:.1} s ({:.2} us per record)",
        sent as f64 / elapsed,
        cpu * 1e6 / sent.max(1) as f64
    );
    Ok(sent as f64 / elapsed)
}

fn request(topic: &str, partition: u32) -> ProduceRequest {
    let records = (0..PER_REQUEST)
        .map(|i| ProduceRecord { value: Bytes::from(vec![(i % 251) as u8; RECORD]), ..Default::default() })
        .collect();
    ProduceRequest { topic: topic.into(), partition: Some(partition), records, ..Default::default() }
}

fn report(what: &str, value: f64, unit: &str, target: &str) {
    println!("RESULT {what:<45} {value:>10.2} {unit:<4} target {target}");
}

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|s| s.parse().ok()).unwrap_or(default)
}

/// A size in MiB from the environment, in bytes; a value that is not a number stops the run.
fn env_mib(name: &str) -> Option<u64> {
    let mib = std::env::var(name).ok()?;
    Some(mib.parse::<u64>().unwrap_or_else(|_| panic!("{name}: a number of MiB, not {mib:?}")) << 20)
}

/// A memory line of /proc/self/status (VmRSS: now, VmHWM: peak), in MiB.
fn rss_mib(field: &str) -> f64 {
    strata::process_memory::status_bytes(field).map_or(0.0, |bytes| mib(bytes as u64))
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1 << 20) as f64
}

/// Bytes of the SST files in the data dir (the WAL is bounded separately).
fn sst_bytes(dir: &Path) -> std::io::Result<u64> {
    bytes_of(dir, "sst")
}

/// Bytes of the files in `dir` whose names end in `.{extension}`.
fn bytes_of(dir: &Path, extension: &str) -> std::io::Result<u64> {
    let mut total = 0;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        if entry.path().extension().is_some_and(|e| e == extension) {
            // A compaction may delete the file between listing and reading it.
            total += entry.metadata().map_or(0, |m| m.len());
        }
    }
    Ok(total)
}
