//! Hands memory freed by flushes and compactions back to the OS. glibc keeps freed heap pages
//! for reuse, in per-thread arenas: memtables are allocated by writer threads and freed by the
//! flush thread, and compactions churn through block buffers, so hundreds of MiB sat free inside
//! glibc. With 10,000 partitions under spread-out load that was a third of the broker's RSS
//! (make bench-scale: 1,272 MiB under load, 836 MiB right after one `malloc_trim`).
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

use super::ticker;
use crate::storage::Store;

/// How often memtable usage (one atomic counter) and RSS (/proc/self/status) are sampled.
const PERIOD: Duration = Duration::from_millis(500);

/// One sample of what the trigger watches.
#[derive(Debug, Clone, Copy)]
struct Sample {
    /// Memtable bytes held, and their budget.
    memtables: usize,
    budget: usize,
    /// The process's resident memory.
    rss: usize,
}

/// Decides when a trim is worth its cost (it walks glibc's free lists under their locks, for
/// 10-100 ms with 10,000 partitions): after memtables fell from their peak since the last trim by
/// an eighth of the budget (a flush freed them), or once resident memory grew by an eighth of the
/// budget more than the memtables did (compactions and flush buffers churning through the heap).
#[derive(Debug, Default)]
struct TrimTrigger {
    peak_memtables: usize,
    /// The sample right after the last trim.
    base: Option<Sample>,
}

impl TrimTrigger {
    fn observe(&mut self, now: Sample) -> bool {
        self.peak_memtables = self.peak_memtables.max(now.memtables);
        let step = now.budget / 8;
        let flushed = self.peak_memtables - now.memtables;
        let base = *self.base.get_or_insert(now);
        let unexplained_growth =
            now.rss.saturating_sub(base.rss).saturating_sub(now.memtables.saturating_sub(base.memtables));
        step > 0 && (flushed >= step || unexplained_growth >= step)
    }

    /// Call after trimming, with a fresh sample.
    fn trimmed(&mut self, now: Sample) {
        self.peak_memtables = now.memtables;
        self.base = Some(now);
    }
}

pub fn spawn(store: Arc<Store>, stop: CancellationToken) -> std::io::Result<JoinHandle<()>> {
    let what = "heap trims; freed memory stays with the allocator";
    let mut trigger = TrimTrigger::default();
    ticker::spawn("strata-heap-trim", what, PERIOD, stop, move || {
        if trigger.observe(sample(&store)) {
            let started = Instant::now();
            crate::storage::give_freed_heap_back();
            let after = sample(&store);
            trigger.trimmed(after);
            tracing::debug!(
                rss = after.rss,
                took_us = started.elapsed().as_micros() as u64,
                "returned freed heap to the OS"
            );
        }
    })
}

fn sample(store: &Store) -> Sample {
    let (memtables, budget) = store.memtable_usage();
    Sample { memtables, budget, rss: crate::process_memory::status_bytes("VmRSS").unwrap_or(0) }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: usize = 1 << 20;
    const BUDGET: usize = 256 * MIB;

    fn at(memtables_mib: usize, rss_mib: usize) -> Sample {
        Sample { memtables: memtables_mib * MIB, budget: BUDGET, rss: rss_mib * MIB }
    }

    #[test]
    fn trims_once_a_flush_frees_an_eighth_of_the_budget() {
        let mut trigger = TrimTrigger::default();
        assert!(!trigger.observe(at(100, 700)), "growing memtables free nothing");
        assert!(!trigger.observe(at(224, 824)));
        assert!(!trigger.observe(at(200, 824)), "24 MiB freed is under an eighth");
        assert!(trigger.observe(at(20, 824)), "a flush freed 204 MiB");
        trigger.trimmed(at(20, 620));
        assert!(!trigger.observe(at(20, 620)), "nothing new freed since the trim");
        assert!(!trigger.observe(at(60, 660)));
        assert!(trigger.observe(at(10, 660)), "the peak is counted from the last trim");
    }

    #[test]
    fn trims_when_memory_grows_more_than_the_memtables() {
        let mut trigger = TrimTrigger::default();
        assert!(!trigger.observe(at(0, 600)));
        assert!(!trigger.observe(at(100, 700)), "memtables explain all the growth");
        assert!(!trigger.observe(at(100, 720)), "20 MiB unexplained is under an eighth");
        assert!(trigger.observe(at(100, 740)), "40 MiB unexplained");
        trigger.trimmed(at(100, 705));
        assert!(!trigger.observe(at(100, 730)), "counted from the last trim");
    }

    #[test]
    fn an_empty_budget_never_trims() {
        let mut trigger = TrimTrigger::default();
        assert!(!trigger.observe(Sample { memtables: 0, budget: 0, rss: 0 }));
        assert!(!trigger.observe(Sample { memtables: 0, budget: 0, rss: 1 << 30 }));
    }
}
