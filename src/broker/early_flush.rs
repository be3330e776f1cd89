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

/// When to flush and how much. Starting at 3/4 of the budget leaves an eighth below the
/// write-buffer manager's own trigger (7/8): writers at a few hundred MB/s do not cross it
/// while one slice is flushed (tens of milliseconds), and a slice of 1/8 keeps each flush short.
#[derive(Debug, Default)]
struct Trigger {
    /// The last attempt found nothing worth a file: wait for usage to fall below the start
    /// (RocksDB's own flush) instead of scanning every family again each tick.
    exhausted: bool,
    /// When the last early flush was due, and the usage then. The write-buffer manager goes on
    /// counting a flushed memtable until RocksDB frees it, after the flush has returned, and a
    /// flush on that count took the next-fullest partitions for nothing (seven quiet ones after
    /// the busy one, in the memtable-budget test, when the machine was busy). So for
    /// [`SETTLE`] after a flush, another waits unless usage grew half a slice past it.
    last_flush: Option<(Instant, usize)>,
}

/// How long a flushed memtable may still be counted before the next early flush goes ahead.
const SETTLE: Duration = Duration::from_millis(250);

impl Trigger {
    /// Bytes to flush now, if any.
    fn due(&mut self, used: usize, budget: usize, now: Instant) -> Option<u64> {
        let slice = budget / 8;
        if used < budget / 4 * 3 {
            self.exhausted = false;
            return None;
        }
        let settling = self.last_flush.is_some_and(|(at, usage)| now < at + SETTLE && used < usage + slice / 2);
        if self.exhausted || settling {
            return None;
        }
        self.last_flush = Some((now, used));
        Some(slice as u64)
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
    fn flushes_an_eighth_of_the_budget_from_three_quarters_full() {
        let (mut trigger, now) = (Trigger::default(), Instant::now());
        assert_eq!(trigger.due(767, 1024, now), None);
        assert_eq!(trigger.due(768, 1024, now), Some(128));
        assert_eq!(trigger.due(700, 1024, now), None);
        assert_eq!(trigger.due(800, 1024, now + SETTLE), Some(128));
    }

    #[test]
    fn right_after_a_flush_the_next_waits_for_its_memory_to_be_freed() {
        let (mut trigger, now) = (Trigger::default(), Instant::now());
        assert_eq!(trigger.due(800, 1024, now), Some(128));
        assert_eq!(trigger.due(800, 1024, now + PERIOD), None, "the flushed memtable is still counted");
        assert_eq!(trigger.due(864, 1024, now + PERIOD), Some(128), "half a slice more arrived meanwhile");
        assert_eq!(trigger.due(864, 1024, now + PERIOD + SETTLE), Some(128), "settled: usage is real");
    }

    #[test]
    fn after_finding_nothing_to_flush_waits_for_usage_to_fall_first() {
        let (mut trigger, now) = (Trigger { exhausted: true, last_flush: None }, Instant::now());
        assert_eq!(trigger.due(900, 1024, now), None);
        assert_eq!(trigger.due(700, 1024, now), None);
        assert_eq!(trigger.due(800, 1024, now), Some(128));
    }
}
