//! The disk's own limits, measured in the data dir's filesystem next to the runs they explain:
//! bandwidth (for the throughput ratios) and the latency of a durable append at a fixed rate
//! (the floor under the fixed-rate runs' tail).
use std::fs::File;
use std::io::{Seek, SeekFrom, Write};
use std::path::Path;
use std::time::{Duration, Instant};

/// Bytes per second of 1 MiB writes each followed by fdatasync.
pub fn fdatasync_bandwidth(dir: &Path, duration: Duration) -> anyhow::Result<f64> {
    let path = dir.join("disk-probe");
    let mut file = File::create(&path)?;
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

/// The file the latency probe overwrites in a ring, as RocksDB reuses its recycled WAL files:
/// an fdatasync over blocks already allocated needs no metadata update.
const RING_BYTES: u64 = 64 << 20;

/// What an ideal durable log would see at this rate: batches of `batch_bytes` due every
/// `batch_bytes / bytes_per_sec`, each written and fdatasync'd; batches that fell due during
/// the previous fdatasync go out together in the next (group commit). Returns each batch's
/// latency from its due time (open loop, as the fixed-rate runs count), sorted, in µs.
pub fn append_latencies(
    dir: &Path,
    batch_bytes: usize,
    bytes_per_sec: f64,
    duration: Duration,
) -> anyhow::Result<Vec<u64>> {
    let path = dir.join("disk-latency-probe");
    let mut file = File::create(&path)?;
    let filler = vec![0u8; 1 << 20];
    for _ in 0..RING_BYTES / filler.len() as u64 {
        file.write_all(&filler)?;
    }
    file.sync_all()?;
    file.seek(SeekFrom::Start(0))?;
    let interval = Duration::from_secs_f64(batch_bytes as f64 / bytes_per_sec);
    let batch = vec![0xa5u8; batch_bytes];
    let (start, mut position, mut next, mut latencies) = (Instant::now(), 0u64, 0u32, Vec::new());
    while interval * next < duration {
        if let Some(wait) = (start + interval * next).checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        // `next` is due now; so is every later batch whose time has already passed.
        let now = Instant::now();
        let overdue = (next + 1..).take_while(|&k| start + interval * k <= now && interval * k < duration);
        let due: Vec<u32> = std::iter::once(next).chain(overdue).collect();
        for _ in &due {
            if position + batch_bytes as u64 > RING_BYTES {
                file.seek(SeekFrom::Start(0))?;
                position = 0;
            }
            file.write_all(&batch)?;
            position += batch_bytes as u64;
        }
        file.sync_data()?;
        let done = start.elapsed();
        latencies.extend(due.iter().map(|&k| (done - interval * k).as_micros() as u64));
        next += due.len() as u32;
    }
    std::fs::remove_file(path)?;
    latencies.sort_unstable();
    Ok(latencies)
}
