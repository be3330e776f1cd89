//! A partition's live state: what readers need to know without touching RocksDB.
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use tokio::sync::watch;

/// Shared by the commit loop (the only writer) and every reader of the partition.
#[derive(Debug)]
pub struct PartitionState {
    pub topic_id: u64,
    pub partition: u32,
    /// The next offset to assign. Published only after the data below it is in RocksDB, so
    /// readers never see an offset they cannot read. Long-polls wait on its changes.
    high_watermark: watch::Sender<i64>,
    log_start: AtomicI64,
    size_bytes: AtomicU64,
}

impl PartitionState {
    pub fn new(topic_id: u64, partition: u32, log_start: i64, high_watermark: i64, size_bytes: u64) -> Self {
        PartitionState {
            topic_id,
            partition,
            high_watermark: watch::Sender::new(high_watermark),
            log_start: AtomicI64::new(log_start),
            size_bytes: AtomicU64::new(size_bytes),
        }
    }

    pub fn high_watermark(&self) -> i64 {
        *self.high_watermark.borrow()
    }

    pub fn log_start(&self) -> i64 {
        self.log_start.load(Ordering::Acquire)
    }

    pub fn size_bytes(&self) -> u64 {
        self.size_bytes.load(Ordering::Acquire)
    }

    /// A receiver that sees every later high-watermark change (for long-polls).
    pub fn watch_high_watermark(&self) -> watch::Receiver<i64> {
        self.high_watermark.subscribe()
    }

    /// Called by the commit loop after a write holding `added_bytes` up to `high_watermark`
    /// reached RocksDB.
    pub(super) fn publish_append(&self, high_watermark: i64, added_bytes: u64) {
        self.size_bytes.fetch_add(added_bytes, Ordering::AcqRel);
        self.high_watermark.send_replace(high_watermark);
    }
}
