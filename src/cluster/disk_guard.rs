//! A broker whose data dir's disk runs low on space does not lead. A leader that cannot write
//! its Raft log holds every client write of the cluster (followers only take entries it wrote),
//! so below `--min-free-disk` it hands leadership to a follower, as a stopping broker does. Its
//! own log writes wait for space as a follower's do, and it catches up once space returns.
//!
//! Two brokers out of three low on space leave no majority that can write: leadership may
//! then move between them, at most once per three hand-over waits each, until space returns.
use std::path::PathBuf;
use std::time::Duration;

use super::hand_over::hand_over_all;
use super::types::Raft;
use crate::metrics::{DATA_DIR_AVAILABLE, DISK_LOW};
use crate::storage::free_space::available_bytes;

/// How often the free space is checked.
const CHECK_EVERY: Duration = Duration::from_secs(1);

pub struct DiskGuard {
    /// Every shard's Raft node on this broker.
    pub rafts: Vec<Raft>,
    pub me: u64,
    pub data_dir: PathBuf,
    /// Below this many available bytes the disk is low.
    pub min_free: u64,
    /// How long a hand-over may take. Three of them pass between two hand-overs of one broker,
    /// so brokers that are all low on space do not pass leadership around every second.
    pub hand_over_wait: Duration,
}

impl DiskGuard {
    /// Checks the free space every second, until the task is aborted.
    pub async fn run(self) {
        let mut low = false;
        metrics::gauge!(DISK_LOW).set(0.0);
        let mut last_hand_over: Option<tokio::time::Instant> = None;
        let mut ticker = tokio::time::interval(CHECK_EVERY);
        loop {
            ticker.tick().await;
            let available = match available_bytes(&self.data_dir) {
                Ok(bytes) => bytes,
                Err(e) => {
                    tracing::warn!(error = %e, dir = %self.data_dir.display(), "cannot read the free space of the data dir");
                    continue;
                }
            };
            metrics::gauge!(DATA_DIR_AVAILABLE).set(available as f64);
            if (available < self.min_free) != low {
                low = !low;
                metrics::gauge!(DISK_LOW).set(if low { 1.0 } else { 0.0 });
                self.log_change(low, available);
            }
            let may_hand_over = last_hand_over.is_none_or(|at| at.elapsed() >= 3 * self.hand_over_wait);
            if low && may_hand_over {
                let started = tokio::time::Instant::now();
                if hand_over_all(&self.rafts, self.me, self.hand_over_wait, "disk_low").await {
                    last_hand_over = Some(started);
                }
            }
        }
    }

    fn log_change(&self, low: bool, available: u64) {
        if low {
            tracing::warn!(
                available,
                min_free = self.min_free,
                "the data dir's disk is low on space (--min-free-disk): this broker hands leadership over"
            );
        } else {
            tracing::info!(available, "the data dir's disk has space again");
        }
    }
}
