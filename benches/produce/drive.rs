//! Runs producers back to back for a fixed time and summarizes throughput and latency.
use std::time::{Duration, Instant};

use futures::future::BoxFuture;

use crate::Shape;

/// Sends one batch and resolves when it is acknowledged.
pub type SendBatch = Box<dyn FnMut() -> BoxFuture<'static, anyhow::Result<()>> + Send>;

pub struct Outcome {
    pub shape: Shape,
    pub batches: u64,
    pub elapsed: Duration,
    /// Per-batch send→ack latencies in microseconds, sorted.
    pub latencies_us: Vec<u64>,
    /// Bytes the server process sent to the storage layer during the run (`/proc/PID/io`
    /// write_bytes): its write amplification made visible. `None` where it cannot be read.
    pub disk_written: Option<u64>,
}

impl Outcome {
    pub fn records_per_sec(&self) -> f64 {
        (self.batches * self.shape.per_batch as u64) as f64 / self.elapsed.as_secs_f64()
    }

    pub fn bytes_per_sec(&self) -> f64 {
        self.records_per_sec() * self.shape.record_bytes as f64
    }

    pub fn print(&self, name: &str, disk: f64) {
        let written = self.disk_written.map(|w| w as f64 / self.elapsed.as_secs_f64());
        println!(
            "{name:<44} {:>11.0} {:>8.1} {:>6.2} {:>8} {:>8.2} {:>8.2} {:>8.2} {:>8.2}",
            self.records_per_sec(),
            self.bytes_per_sec() / (1 << 20) as f64,
            self.bytes_per_sec() / disk,
            written.map_or("-".to_string(), |w| format!("{:.2}", w / disk)),
            percentile_ms(&self.latencies_us, 0.5),
            percentile_ms(&self.latencies_us, 0.99),
            percentile_ms(&self.latencies_us, 0.999),
            percentile_ms(&self.latencies_us, 1.0),
        );
    }
}

/// The `p` quantile (0..=1) of sorted microsecond latencies, in milliseconds.
pub fn percentile_ms(sorted_us: &[u64], p: f64) -> f64 {
    let Some(last) = sorted_us.len().checked_sub(1) else { return f64::NAN };
    sorted_us[((last as f64) * p).round() as usize] as f64 / 1000.0
}

pub fn print_header() {
    println!(
        "{:<44} {:>11} {:>8} {:>6} {:>8} {:>8} {:>8} {:>8} {:>8}",
        "workload", "records/s", "MiB/s", "÷disk", "wr÷disk", "p50 ms", "p99 ms", "p99.9 ms", "max ms"
    );
}

/// Bytes process `pid` has sent to the storage layer so far (counted when it dirties pages).
fn written_bytes(pid: u32) -> Option<u64> {
    let io = std::fs::read_to_string(format!("/proc/{pid}/io")).ok()?;
    io.lines().find_map(|l| l.strip_prefix("write_bytes:")).and_then(|v| v.trim().parse().ok())
}

/// Runs every sender in a loop until `duration` has passed; `server_pid` is the process whose
/// disk writes are counted.
pub async fn drive(
    shape: Shape,
    senders: Vec<SendBatch>,
    duration: Duration,
    server_pid: u32,
) -> anyhow::Result<Outcome> {
    let written_before = written_bytes(server_pid);
    let start = Instant::now();
    let tasks: Vec<_> = senders
        .into_iter()
        .map(|mut send| {
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                while start.elapsed() < duration {
                    let sent = Instant::now();
                    send().await?;
                    latencies.push(sent.elapsed().as_micros() as u64);
                }
                anyhow::Ok(latencies)
            })
        })
        .collect();
    let mut latencies_us = Vec::new();
    for task in tasks {
        latencies_us.extend(task.await??);
    }
    let elapsed = start.elapsed();
    let disk_written =
        written_before.zip(written_bytes(server_pid)).map(|(before, after)| after.saturating_sub(before));
    latencies_us.sort_unstable();
    Ok(Outcome { shape, batches: latencies_us.len() as u64, elapsed, latencies_us, disk_written })
}
