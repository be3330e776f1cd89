//! `make bench-cluster`: three brokers on this machine against one, in the same run. 1 KiB
//! records, acks ALL, `--fsync always` (the default), a 30-partition topic (every partition on
//! all three brokers). Prints, per round: maximum sustained throughput of each and their ratio
//! (three copies share one disk and two cores: ideally ~0.33), the cluster's ack latency at
//! 10 MiB/s offered with the bytes the three brokers wrote to storage meanwhile per 1 KiB record
//! (three copies), and after the rounds the time from `kill -9` of a leader to the next
//! acknowledged produce to a partition it led, over STRATA_BENCH_KILLS (default 20) kills.
//!
//! Last, 10,000 partitions: STRATA_BENCH_SCALE_TOPICS (default 10) topics of 1,000 partitions
//! created one after another, then the three brokers' idle CPU (20 s) and RSS.
//!
//! STRATA_BENCH_ROUNDS (default 3), STRATA_BENCH_SECS (default 10) per throughput and latency
//! run, STRATA_BENCH_DIR (default .) for the data dirs, STRATA_BENCH_SERVE_FLAGS extra
//! `strata serve` flags for every broker (e.g. `--fsync never`), STRATA_BENCH_RATE_MIB (default
//! 10) the latency run's offered rate, STRATA_BENCH_METRICS_DIR a dir to save every broker's
//! /metrics in after each throughput run.
mod brokers;
mod load;
mod scale;

use std::time::{Duration, Instant};

use brokers::Brokers;

const PARTITIONS: u32 = 30;

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn main() -> anyhow::Result<()> {
    let rounds = env_or("STRATA_BENCH_ROUNDS", 3);
    let secs = Duration::from_secs(env_or("STRATA_BENCH_SECS", 10));
    let kills = env_or("STRATA_BENCH_KILLS", 20);
    // The offered rate for the latency run (the target is stated at 10 MiB/s).
    let rate_mib = env_or("STRATA_BENCH_RATE_MIB", 10) as f64;
    let dir = std::env::var("STRATA_BENCH_DIR").unwrap_or_else(|_| ".".into());
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async {
        println!(
            "{:<6} {:>14} {:>14} {:>7} {:>12} {:>12} {:>12} {:>12} {:>13}",
            "round",
            "single rec/s",
            "cluster rec/s",
            "ratio",
            "p50 ms@10M",
            "p90 ms@10M",
            "p99 ms@10M",
            "max ms@10M",
            "disk KiB/rec"
        );
        let mut ratios = Vec::new();
        for round in 1..=rounds {
            let single = throughput(&dir, 1, secs).await?;
            let cluster = throughput(&dir, 3, secs).await?;
            let (latency, disk_kib_per_record) = {
                let brokers = Brokers::start(dir.as_ref(), 3)?;
                brokers.settle().await?;
                brokers.create_topic("bench", PARTITIONS).await?;
                // Steady state: a new topic makes each broker create spare column families in
                // the background, which holds RocksDB's writes for a moment.
                load::fixed_rate(&brokers, PARTITIONS, rate_mib, Duration::from_secs(5)).await?;
                let written = brokers.written_bytes()?;
                let latency = load::fixed_rate(&brokers, PARTITIONS, rate_mib, secs).await?;
                let records = (latency.len() * load::FIXED_RATE_PER_REQUEST) as f64;
                (latency, (brokers.written_bytes()? - written) as f64 / 1024.0 / records)
            };
            ratios.push(cluster / single);
            println!(
                "{round:<6} {single:>14.0} {cluster:>14.0} {:>7.3} {:>12.2} {:>12.2} {:>12.2} {:>12.2} {disk_kib_per_record:>13.2}",
                cluster / single,
                load::percentile_ms(&latency, 0.5),
                load::percentile_ms(&latency, 0.9),
                load::percentile_ms(&latency, 0.99),
                load::percentile_ms(&latency, 1.0),
            );
        }
        ratios.sort_by(f64::total_cmp);
        if let Some(median) = ratios.get(ratios.len() / 2) {
            println!("throughput ratio cluster/single: median {median:.3} (of {ratios:.3?})");
        }
        failovers(&dir, kills).await?;
        let topics = env_or("STRATA_BENCH_SCALE_TOPICS", 10) as u32;
        if topics > 0 {
            scale::run(&dir, topics, 1_000, Duration::from_secs(20)).await?;
        }
        Ok(())
    })
}

/// Maximum sustained records/s of `count` brokers (1 = a single broker).
async fn throughput(dir: &str, count: usize, secs: Duration) -> anyhow::Result<f64> {
    let brokers = Brokers::start(dir.as_ref(), count)?;
    brokers.settle().await?;
    brokers.create_topic("bench", PARTITIONS).await?;
    let records = load::max_throughput(&brokers, PARTITIONS, secs).await?;
    brokers.save_metrics(&format!("throughput-{count}"))?;
    Ok(records)
}

/// Kills a leader `kills` times under a steady trickle of produce to the partitions it leads;
/// prints the time from each kill to the next acknowledged produce to one of them.
async fn failovers(dir: &str, kills: u64) -> anyhow::Result<()> {
    let mut brokers = Brokers::start(dir.as_ref(), 3)?;
    brokers.settle().await?;
    brokers.create_topic("bench", PARTITIONS).await?;
    let mut times = Vec::new();
    if kills == 0 {
        return Ok(());
    }
    for _ in 0..kills {
        // The metadata shard's leader, or the next broker that leads partitions: a kill of a
        // broker that leads none would measure nothing.
        let first = brokers.leader().await?;
        let mut victim = None;
        for i in (0..brokers.clients.len()).map(|n| (first + n) % brokers.clients.len()) {
            // A broker restarted by the last kill may not serve clients yet.
            let led = brokers.partitions_led_by(i, "bench").await.unwrap_or_default();
            if !led.is_empty() {
                victim = Some((i, led));
                break;
            }
        }
        let (leader, led) = victim.ok_or_else(|| anyhow::anyhow!("no broker leads a partition"))?;
        let writer = load::Trickle::start(brokers.connect().await?, led);
        tokio::time::sleep(Duration::from_millis(500)).await;
        let killed = Instant::now();
        brokers.kill_9(leader);
        let recovered = writer.first_ack_after(killed, Duration::from_secs(60)).await?;
        times.push(recovered.duration_since(killed).as_secs_f64() * 1000.0);
        writer.stop().await;
        brokers.restart(leader)?;
    }
    times.sort_by(f64::total_cmp);
    let at = |p: f64| times[((times.len() - 1) as f64 * p).round() as usize];
    println!(
        "failover (kill -9 of the leader → next ack), {} kills: p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms; all: {:?}",
        times.len(),
        at(0.5),
        at(0.99),
        at(1.0),
        times.iter().map(|t| t.round() as u64).collect::<Vec<_>>()
    );
    Ok(())
}
