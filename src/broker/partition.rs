//! A partition's live state: what readers need to know without touching RocksDB.
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use tokio::sync::watch;

use crate::storage::ReadBounds;

/// Shared by the commit loop (the only writer) and every reader of the partition.
#[derive(Debug)]
pub struct PartitionState {
    pub topic_id: u64,
    /// The topic's name, for messages and logs.
    pub topic: Arc<str>,
    pub partition: u32,
    /// The next offset to assign. Published only after the data below it is in RocksDB, so
    /// readers never see an offset they cannot read. Long-polls wait on its changes.
    high_watermark: watch::Sender<i64>,
    log_start: AtomicI64,
    /// Base offset of the oldest stored batch (<= log start); reads seek from here.
    first_batch: AtomicI64,
    size_bytes: AtomicU64,
}

/// What a partition holds, as persisted in its `PartitionMeta` and recovered at open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PartitionExtent {
    pub log_start: i64,
    pub first_batch: i64,
    pub high_watermark: i64,
    pub size_bytes: u64,
}

impl PartitionState {
    pub fn new(topic_id: u64, topic: Arc<str>, partition: u32, extent: PartitionExtent) -> Self {
        PartitionState {
            topic_id,
            topic,
            partition,
            high_watermark: watch::Sender::new(extent.high_watermark),
            log_start: AtomicI64::new(extent.log_start),
            first_batch: AtomicI64::new(extent.first_batch),
            size_bytes: AtomicU64::new(extent.size_bytes),
        }
    }

    pub fn high_watermark(&self) -> i64 {
        *self.high_watermark.borrow()
    }

    pub fn log_start(&self) -> i64 {
        self.log_start.load(Ordering::Acquire)
    }

    pub fn first_batch(&self) -> i64 {
        self.first_batch.load(Ordering::Acquire)
    }

    /// Where reads may look right now.
    pub fn read_bounds(&self) -> ReadBounds {
        ReadBounds {
            first_batch: self.first_batch(),
            log_start: self.log_start(),
            high_watermark: self.high_watermark(),
        }
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

    /// Called by a replica's apply after its copy of the partition was replaced whole (a copy
    /// of its shard installed from the leader).
    pub(super) fn reset(&self, extent: PartitionExtent) {
        self.first_batch.store(extent.first_batch, Ordering::Release);
        self.log_start.store(extent.log_start, Ordering::Release);
        self.size_bytes.store(extent.size_bytes, Ordering::Release);
        self.high_watermark.send_replace(extent.high_watermark);
    }

    /// Called by the commit loop after records below `log_start` were deleted.
    pub(super) fn publish_truncate(&self, log_start: i64, first_batch: i64, removed_bytes: u64) {
        // Only the commit loop writes these, so load-then-subtract cannot race another writer.
        self.first_batch.store(first_batch, Ordering::Release);
        self.log_start.store(log_start, Ordering::Release);
        self.size_bytes.fetch_sub(removed_bytes.min(self.size_bytes()), Ordering::AcqRel);
    }
}
