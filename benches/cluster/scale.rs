//! Many partitions on the cluster: the time to create each 1,000-partition topic (every
//! partition on all three brokers), then the brokers' idle CPU and resident memory.
use std::time::{Duration, Instant};

use crate::brokers::Brokers;

/// CPU seconds (user + system) process `pid` has used, from /proc/PID/stat.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command (which may hold spaces) start after the last ')'.
    let fields: Vec<&str> =
        stat.rsplit_once(')').map(|(_, rest)| rest.split_whitespace().collect()).unwrap_or_default();
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the command.
    (ticks(11) + ticks(12)) / clock_ticks_per_second()
}

fn clock_ticks_per_second() -> f64 {
    // Linux reports CPU time in USER_HZ, 100 on every architecture strata runs on.
    100.0
}

fn rss_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let kib = status.lines().find(|l| l.starts_with("VmRSS")).and_then(|l| l.split_whitespace().nth(1));
    kib.and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0) / 1024.0
}

pub async fn run(dir: &str, topics: u32, per_topic: u32, idle: Duration) -> anyhow::Result<()> {
    let brokers = Brokers::start(dir.as_ref(), 3)?;
    // Timed from a settled cluster: not the elections and hand-overs after start.
    brokers.settle().await?;
    let mut created_ms = Vec::new();
    for t in 0..topics {
        let started = Instant::now();
        brokers.create_topic(&format!("scale{t}"), per_topic).await?;
        created_ms.push(started.elapsed().as_millis() as u64);
    }
    // Let the background work a creation starts (spare families) finish, then measure idling.
    tokio::time::sleep(Duration::from_secs(10)).await;
    let pids = brokers.pids();
    let before: Vec<f64> = pids.iter().map(|&p| cpu_seconds(p)).collect();
    tokio::time::sleep(idle).await;
    let used: f64 = pids.iter().zip(&before).map(|(&p, b)| cpu_seconds(p) - b).sum();
    let rss: Vec<String> = pids.iter().map(|&p| format!("{:.0}", rss_mib(p))).collect();
    println!(
        "scale: {topics} topics x {per_topic} partitions on 3 brokers; creation ms per topic {created_ms:?}; \
         idle CPU of all three {:.3} cores over {} s; RSS MiB per broker {}",
        used / idle.as_secs_f64(),
        idle.as_secs(),
        rss.join(", ")
    );
    Ok(())
}
