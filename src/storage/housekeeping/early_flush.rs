//! Flushes the partitions whose memtables hold the most before RocksDB's own trigger flushes
//! every family at once (see `Store::flush_fullest` for why that matters with many partitions).
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

use super::ticker;
use crate::metrics as m;
use crate::storage::{Flushed, SliceAges, Store};

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
/// 5/8, writers stopped twice in 15 such runs, and RocksDB's flush of every family did not run
/// in those whose RocksDB LOG was read.
#[derive(Debug, Default)]
struct Trigger {
    /// The last attempt found nothing worth a file: wait for usage (less what the last flush may
    /// still hold) to fall below the start, e.g. by RocksDB's own flush, instead of scanning
    /// every family again each tick.
    exhausted: bool,
    last_flush: Option<LastFlush>,
}

/// The last early flush whose memory may still be counted. The write-buffer manager goes on
/// counting a flushed memtable until RocksDB frees it, which can be after the flush returned,
/// and a flush on that count took the next-fullest partitions for nothing (seven quiet ones
/// after the busy one, in the memtable-budget test, when the machine was busy). So the part of
/// the flush that usage has not fallen by since it returned is taken as still counted, until
/// usage fell by half the flush or [`SETTLE`] passed.
#[derive(Debug, Clone, Copy)]
struct LastFlush {
    returned: Instant,
    /// Usage when the flush returned.
    usage: usize,
    /// The lowest usage seen since.
    lowest: usize,
    bytes: usize,
}

/// How long a flushed memtable may still be counted after its flush returned.
const SETTLE: Duration = Duration::from_millis(250);

impl Trigger {
    /// Bytes to flush now, if any: down to half the budget, so at least an eighth of it.
    fn due(&mut self, used: usize, budget: usize, now: Instant) -> Option<u64> {
        let (start, target) = (budget / 8 * 5, budget / 2);
        let unflushed = used.saturating_sub(self.still_counted(used, now));
        if budget == 0 || unflushed < start {
            self.exhausted = false;
            return None;
        }
        if self.exhausted {
            return None;
        }
        Some((unflushed - target) as u64)
    }

    /// Call when an early flush of `bytes`, due at usage `before`, returned at usage `after`.
    /// Writers only add to usage, so if it fell, the flushed memory is already freed (or
    /// another flush's was, which leaves less to flush anyway).
    fn flushed(&mut self, bytes: u64, before: usize, after: usize, now: Instant) {
        let bytes = bytes as usize;
        self.last_flush = (after >= before).then_some(LastFlush { returned: now, usage: after, lowest: after, bytes });
    }

    /// What of the last flush may still be counted: its bytes less what usage fell by since.
    fn still_counted(&mut self, used: usize, now: Instant) -> usize {
        if let Some(f) = &mut self.last_flush {
            f.lowest = f.lowest.min(used);
            let fell = f.usage - f.lowest;
            if now < f.returned + SETTLE && fell < f.bytes / 2 {
                return f.bytes - fell;
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
        // RocksDB's own flush (of every family, at a partition's 16 MiB or 7/8 of the budget)
        // is counted in usage until it ends, and then frees what it holds. Flushing the fullest
        // on top of it took all 8 partitions again, ~1.4 MiB each, after each of its flushes in
        // bench-scale's 8-partition run.
        if store.flush_running() {
            return;
        }
        match store.flush_fullest(bytes, &mut ages) {
            Ok(Flushed { partitions: 0, .. }) => trigger.exhausted = true,
            Ok(Flushed { partitions, bytes }) => {
                trigger.flushed(bytes, used, store.memtable_usage().0, Instant::now());
                metrics::counter!(m::EARLY_FLUSHES).increment(1);
                metrics::counter!(m::EARLY_FLUSHED_PARTITIONS).increment(partitions as u64);
                tracing::debug!(partitions, bytes, used, "flushed the fullest partitions");
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
        assert_eq!(trigger.due(640, 1024, now), Some(128));
        assert_eq!(trigger.due(600, 1024, now), None);
        assert_eq!(trigger.due(722, 1024, now), Some(210), "further past the start, more");
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
    fn what_usage_fell_by_is_no_longer_counted_twice() {
        let (mut trigger, now) = (Trigger::default(), Instant::now());
        trigger.flushed(160, 700, 720, now);
        assert_eq!(trigger.due(720, 1024, now + PERIOD), None, "560 unflushed");
        assert_eq!(trigger.due(700, 1024, now + PERIOD), None, "fell by 20: 560 unflushed");
        assert_eq!(trigger.due(780, 1024, now + PERIOD), Some(128), "still fell by 20: 640 unflushed");
    }

    #[test]
    fn once_usage_fell_by_half_the_flush_what_writers_add_counts_again() {
        let (mut trigger, now) = (Trigger::default(), Instant::now());
        trigger.flushed(160, 672, 690, now);
        assert_eq!(trigger.due(611, 1024, now + PERIOD), None, "fell by 79 of 160: 530 unflushed");
        assert_eq!(trigger.due(609, 1024, now + PERIOD), None, "fell by 81: freed");
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

    #[test]
    fn without_a_budget_nothing_is_due() {
        assert_eq!(Trigger::default().due(0, 0, Instant::now()), None);
    }
}
