//! Flushes the partitions whose memtables hold the most before RocksDB's own trigger flushes
//! every family at once (see `Store::flush_fullest` for why that matters with many partitions).
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

use super::ticker;
use crate::metrics as m;
use crate::storage::{SliceAges, Store};

/// Memtable usage is one atomic counter, so it is cheap to check often.
const PERIOD: Duration = Duration::from_millis(10);

/// When to flush and how much. From 5/8 of the budget, flush back down to 1/2: at least a
/// slice of 1/8, more when writers outran the last flush. That leaves a quarter of the budget
/// below the write-buffer manager's own trigger (7/8 in active memtables), which flushes every
/// family at once, and writers stop when active and flushing memtables together fill the
/// budget. Starting at 3/4 with a fixed slice lost that race under spread-out load (bench-scale,
/// ~180 MB/s over 1,000 partitions): writers refilled a slice while the next flush waited for
/// the last one's memory to be freed, so RocksDB flushed all ~900 partitions at once every
/// 1.5 s (~0.5 s each), and writers stopped at the full budget 3-5 times per 10 s run. From
/// 5/8, across 15 such runs, RocksDB's flush of every family never ran and writers stopped
/// twice in all.
#[derive(Debug, Default)]
struct Trigger {
    /// The last attempt found nothing worth a file: wait for usage to fall below the start
    /// (RocksDB's own flush) instead of scanning every family again each tick.
    exhausted: bool,
    last_flush: Option<LastFlush>,
}

/// The last early flush whose memory may still be counted. The write-buffer manager goes on
/// counting a flushed memtable until RocksDB frees it, which can be after the flush returned,
/// and a flush on that count took the next-fullest partitions for nothing (seven quiet ones
/// after the busy one, in the memtable-budget test, when the machine was busy). So its bytes
/// are taken as still counted until usage falls by half of them, for at most [`SETTLE`].
#[derive(Debug, Clone, Copy)]
struct LastFlush {
    returned: Instant,
    /// Usage when the flush returned.
    usage: usize,
    bytes: usize,
}

/// How long a flushed memtable may still be counted after its flush returned.
const SETTLE: Duration = Duration::from_millis(250);

impl Trigger {
    /// Bytes to flush now, if any.
    fn due(&mut self, used: usize, budget: usize, now: Instant) -> Option<u64> {
        let (start, slice) = (budget / 8 * 5, budget / 8);
        let unflushed = used.saturating_sub(self.still_counted(used, now));
        if unflushed < start {
            self.exhausted = false;
            return None;
        }
        if self.exhausted {
            return None;
        }
        Some(slice.max(unflushed - (start - slice)) as u64)
    }

    /// Call when an early flush of `bytes`, due at usage `before`, returned at usage `after`.
    /// Writers only add to usage, so if it fell, the flushed memory is already freed.
    fn flushed(&mut self, bytes: u64, before: usize, after: usize, now: Instant) {
        self.last_flush = (after >= before).then_some(LastFlush { returned: now, usage: after, bytes: bytes as usize });
    }

    /// The last flush's bytes while they may still be counted; once usage fell (or the time is
    /// up), usage is what writers added since.
    fn still_counted(&mut self, used: usize, now: Instant) -> usize {
        if let Some(f) = self.last_flush {
            if now < f.returned + SETTLE && used + f.bytes / 2 > f.usage {
                return f.bytes;
            }
            self.last_flush = None;
        }
        0
    }
}

pub fn spawn(store: Arc<Store>, stop: CancellationToken) -> std::io::Result<JoinHandle<()>> {
    let what = "early flushes of the fullest partitions; RocksDB flushes every family at 7/8";
    let (mut trigger, mut ages) = (Trigger::default(), SliceAges::default());
    ticker::spawn("strata-early-flush", what, PERIOD, stop, move || {
        let (used, budget) = store.memtable_usage();
        let Some(bytes) = trigger.due(used, budget, Instant::now()) else { return };
        match store.flush_fullest(bytes, &mut ages) {
            Ok(0) => trigger.exhausted = true,
            Ok(flushed) => {
                trigger.flushed(bytes, used, store.memtable_usage().0, Instant::now());
                metrics::counter!(m::EARLY_FLUSHES).increment(1);
                metrics::counter!(m::EARLY_FLUSHED_PARTITIONS).increment(flushed as u64);
                tracing::debug!(flushed, used, "flushed the fullest partitions");
            }
            Err(e) => {
                tracing::warn!(error = %e, "early flush failed; RocksDB's own flush of every family takes over");
                trigger.exhausted = true;
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_five_eighths_full_flushes_back_down_to_half() {
        let (mut trigger, now) = (Trigger::default(), Instant::now());
        assert_eq!(trigger.due(639, 1024, now), None);
        assert_eq!(trigger.due(640, 1024, now), Some(128), "at least a slice");
        assert_eq!(trigger.due(600, 1024, now), None);
        assert_eq!(trigger.due(722, 1024, now), Some(210), "writers outran the last flush");
    }

    #[test]
    fn memory_still_counted_after_a_flush_is_not_flushed_again() {
        let (mut trigger, now) = (Trigger::default(), Instant::now());
        assert_eq!(trigger.due(672, 1024, now), Some(160));
        trigger.flushed(160, 672, 672, now);
        assert_eq!(trigger.due(672, 1024, now + PERIOD), None, "the flushed memtable is still counted");
        assert_eq!(trigger.due(772, 1024, now + PERIOD), None, "only 612 are unflushed");
        assert_eq!(trigger.due(802, 1024, now + PERIOD), Some(130), "642 are");
        assert_eq!(trigger.due(772, 1024, now + PERIOD + SETTLE), Some(260), "settled: usage is real");
    }

    #[test]
    fn once_usage_fell_what_writers_add_counts_again() {
        let (mut trigger, now) = (Trigger::default(), Instant::now());
        trigger.flushed(160, 672, 690, now);
        assert_eq!(trigger.due(600, 1024, now + PERIOD), None, "freed");
        assert_eq!(trigger.due(662, 1024, now + PERIOD * 2), Some(150), "refilled");
    }

    #[test]
    fn usage_that_fell_during_the_flush_was_freed_by_it() {
        let (mut trigger, now) = (Trigger::default(), Instant::now());
        trigger.flushed(160, 672, 652, now);
        assert_eq!(trigger.due(662, 1024, now + PERIOD), Some(150));
    }

    #[test]
    fn after_finding_nothing_to_flush_waits_for_usage_to_fall_first() {
        let (mut trigger, now) = (Trigger { exhausted: true, last_flush: None }, Instant::now());
        assert_eq!(trigger.due(900, 1024, now), None);
        assert_eq!(trigger.due(600, 1024, now), None);
        assert_eq!(trigger.due(672, 1024, now), Some(160));
    }
}
