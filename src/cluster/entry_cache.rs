//! A group's most recently appended Raft entries, kept in memory. A leader reads each entry it
//! appends back from its log once per follower (replication) and once more to apply it; a
//! follower once to apply it. From RocksDB each read is a trip to the blocking pool, an iterator
//! and a decode that copies the entry's records; from here it is a clone of the entry (its
//! records are shared `Bytes`). Entries a lagging follower needs from further back are read
//! from the log as before.
//!
//! The cache holds a suffix of the log: the entries from some index up to the last one
//! appended, with no gap. Appends go on its end (a rewrite of an index drops what followed),
//! truncations cut its end, purges its front, and the oldest entries fall out past a byte budget.
use std::collections::VecDeque;
use std::sync::Mutex;

use super::types::Entry;

/// Bytes of encoded entries kept per group: at 10 MiB/s spread over a few shards, about a
/// second of appends, far longer than a healthy follower or the apply lags.
const BUDGET_BYTES: u64 = 8 << 20;

#[derive(Default)]
pub struct EntryCache {
    inner: Mutex<Cached>,
}

#[derive(Default)]
struct Cached {
    /// (entry, its encoded size), indexes ascending without a gap.
    entries: VecDeque<(Entry, u64)>,
    bytes: u64,
}

impl Cached {
    fn first(&self) -> Option<u64> {
        self.entries.front().map(|(e, _)| e.log_id.index)
    }

    fn pop_back_from(&mut self, index: u64) {
        while self.entries.back().is_some_and(|(e, _)| e.log_id.index >= index) {
            if let Some((_, size)) = self.entries.pop_back() {
                self.bytes -= size;
            }
        }
    }

    fn pop_front_upto(&mut self, index: u64) {
        while self.entries.front().is_some_and(|(e, _)| e.log_id.index <= index) {
            self.pop_front();
        }
    }

    fn pop_front(&mut self) {
        if let Some((_, size)) = self.entries.pop_front() {
            self.bytes -= size;
        }
    }
}

impl EntryCache {
    /// Entries just written to the log (with their encoded sizes), in log order.
    pub fn appended(&self, entries: impl IntoIterator<Item = (Entry, u64)>) {
        let mut cached = self.lock();
        for (entry, size) in entries {
            let index = entry.log_id.index;
            cached.pop_back_from(index);
            let follows = cached.entries.back().is_none_or(|(last, _)| last.log_id.index + 1 == index);
            if !follows {
                // Not the next index (cannot happen through openraft's appends): keep a suffix.
                cached.entries.clear();
                cached.bytes = 0;
            }
            cached.entries.push_back((entry, size));
            cached.bytes += size;
        }
        while cached.bytes > BUDGET_BYTES && cached.entries.len() > 1 {
            cached.pop_front();
        }
    }

    /// The log's entries in `from..to`, if the cache holds every one of them the log holds
    /// (`None`: read the log).
    pub fn get(&self, from: u64, to: u64) -> Option<Vec<Entry>> {
        let cached = self.lock();
        let first = cached.first()?;
        if from < first {
            return None;
        }
        let skip = usize::try_from(from - first).ok()?;
        let take = usize::try_from(to.saturating_sub(from)).unwrap_or(usize::MAX);
        Some(cached.entries.iter().skip(skip).take(take).map(|(e, _)| e.clone()).collect())
    }

    /// The log lost its entries after `last_kept` (none: all of them).
    pub fn truncated_after(&self, last_kept: Option<u64>) {
        self.lock().pop_back_from(last_kept.map_or(0, |kept| kept + 1));
    }

    /// The log lost its entries up to `upto`.
    pub fn purged(&self, upto: u64) {
        self.lock().pop_front_upto(upto);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Cached> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::codec;
    use crate::cluster::types::LogCommand;
    use crate::proto::peer as pb;

    fn entry(term: u64, index: u64) -> Entry {
        let log_id = codec::from_log_id(pb::LogId { term, leader_node: 1, index });
        let payload = openraft::EntryPayload::Normal(LogCommand(bytes::Bytes::from(format!("{term}/{index}"))));
        Entry { log_id, payload }
    }

    fn indexes(entries: Option<Vec<Entry>>) -> Option<Vec<(u64, u64)>> {
        entries.map(|e| e.iter().map(|e| (e.log_id.leader_id.term, e.log_id.index)).collect())
    }

    #[test]
    fn serves_what_it_holds_of_the_logs_end_and_nothing_older() {
        let cache = EntryCache::default();
        assert_eq!(indexes(cache.get(0, 10)), None, "empty: read the log");
        cache.appended((5..10).map(|i| (entry(1, i), 10)));
        assert_eq!(indexes(cache.get(4, 10)), None, "4 is older than the cache");
        assert_eq!(indexes(cache.get(6, 8)), Some(vec![(1, 6), (1, 7)]));
        assert_eq!(indexes(cache.get(8, u64::MAX)), Some(vec![(1, 8), (1, 9)]), "up to the log's end");
        assert_eq!(indexes(cache.get(10, 20)), Some(vec![]), "past the end: nothing, as the log");
    }

    #[test]
    fn rewrites_truncations_and_purges_follow_the_log() {
        let cache = EntryCache::default();
        cache.appended((1..=6).map(|i| (entry(1, i), 10)));
        // A new leader's entries replace 5 and 6.
        cache.appended([(entry(2, 5), 10)]);
        assert_eq!(indexes(cache.get(4, 10)), Some(vec![(1, 4), (2, 5)]));
        cache.truncated_after(Some(3));
        assert_eq!(indexes(cache.get(1, 10)), Some(vec![(1, 1), (1, 2), (1, 3)]));
        cache.purged(2);
        assert_eq!(indexes(cache.get(2, 10)), None, "2 was purged");
        assert_eq!(indexes(cache.get(3, 10)), Some(vec![(1, 3)]));
        cache.truncated_after(None);
        assert_eq!(indexes(cache.get(3, 10)), None);
        // An append that is not the next index starts the cache over at it.
        cache.appended([(entry(2, 3), 10)]);
        cache.appended([(entry(2, 7), 10)]);
        assert_eq!(indexes(cache.get(7, 10)), Some(vec![(2, 7)]));
        assert_eq!(indexes(cache.get(3, 10)), None);
    }

    #[test]
    fn the_oldest_entries_fall_out_past_the_budget() {
        let cache = EntryCache::default();
        let size = BUDGET_BYTES / 4;
        cache.appended((1..=6).map(|i| (entry(1, i), size)));
        assert_eq!(indexes(cache.get(2, 10)), None);
        assert_eq!(indexes(cache.get(3, 10)).map(|e| e.len()), Some(4));
        // One entry larger than the budget is still kept (it is the log's end).
        cache.appended([(entry(1, 7), 2 * BUDGET_BYTES)]);
        assert_eq!(indexes(cache.get(7, 10)), Some(vec![(1, 7)]));
    }
}
