//! Early flushes of the partitions whose memtables hold the most.
//!
//! RocksDB's own trigger (the write-buffer manager at 7/8 of the budget, with atomic flush)
//! flushes every family at once. With writes spread over a thousand partitions that is a
//! thousand small SST files at once, each costing a file creation, an fdatasync and a close,
//! and writers stall on the budget's last eighth while they are written. Flushing the fullest
//! families a part of the budget at a time, before that trigger, writes fewer and larger files
//! (a family is flushed when it is among the fullest, not whenever any is) and frees memory in
//! steps that writers do not wait for.
//!
//! A family that is never among the fullest would keep the WAL file holding its oldest record,
//! and every later one, alive: the WAL would grow to `--max-wal-size` and a restart would
//! replay all of it. So a family whose data has waited through [`MAX_SLICES_WAITING`] early
//! flushes is flushed with the next one, however little it holds.
use std::collections::HashMap;
use std::ffi::CStr;
use std::sync::Arc;

use rocksdb::FlushOptions;

use super::db::{META_CF, OFFSETS_CF, Store};
use super::error::StorageResult;
use super::families::{BorrowedFamily, Family};
use super::rocksdb_ffi;

/// Active memtables holding less are left for RocksDB's flush of every family (or for their
/// turn as overdue): a file for a few kilobytes is what this avoids.
const WORTH_A_FILE: u64 = 64 << 10;

/// Early flushes a family's unflushed data may wait through: eight slices of an eighth of the
/// budget keep the WAL to about the budget's worth of writes beyond what memtables hold.
const MAX_SLICES_WAITING: u64 = 8;

/// How long each partition's unflushed data has waited, counted in early flushes.
#[derive(Debug, Default)]
pub struct SliceAges {
    slices: u64,
    /// Family slot -> the slice count when its active memtable was first seen holding data,
    /// and how many entries it held when last seen (fewer later: another flush switched it).
    /// A memtable switched and refilled past its old count between two scans keeps its old
    /// start, and is flushed early once: RocksDB has no cheap memtable identity to compare.
    holding_since: HashMap<u32, (u64, u64)>,
}

/// What an early flush took.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flushed {
    pub partitions: usize,
    /// What their active memtables held when chosen.
    pub bytes: u64,
}

impl Store {
    /// Flushes, in one atomic flush, the partition families whose active memtables hold the
    /// most, until they add up to `bytes`, those whose data has waited too long (see the
    /// module doc), and the metadata families (every write group writes to `meta`, so its
    /// memtable would otherwise keep every WAL file alive). Waits for it.
    pub fn flush_fullest(&self, bytes: u64, ages: &mut SliceAges) -> StorageResult<Flushed> {
        let (chosen, held) = self.families_to_flush(bytes, ages);
        let flushed = Flushed { partitions: chosen.len(), bytes: held };
        if chosen.is_empty() {
            return Ok(flushed);
        }
        let (meta, offsets) = (self.cf(META_CF)?, self.cf(OFFSETS_CF)?);
        let mut targets: Vec<BorrowedFamily<'_>> = chosen.iter().map(|f| BorrowedFamily::of(&**f)).collect();
        targets.extend([BorrowedFamily::of(&meta), BorrowedFamily::of(&offsets)]);
        let targets: Vec<&BorrowedFamily<'_>> = targets.iter().collect();
        self.db.flush_cfs_opt(&targets, &FlushOptions::default())?;
        for family in &chosen {
            ages.holding_since.remove(&family.slot);
        }
        ages.slices += 1;
        Ok(flushed)
    }

    /// The families that waited too long, then the rest holding the most in their active
    /// memtables, fullest first, until those add up to `bytes` (or every one worth a file);
    /// and what their active memtables hold together.
    fn families_to_flush(&self, bytes: u64, ages: &mut SliceAges) -> (Vec<Arc<Family>>, u64) {
        let (mut overdue, mut held) = (Vec::new(), Vec::new());
        // Copied out, so a topic being created or deleted does not wait for the scan.
        let in_use: Vec<Arc<Family>> = self.families_read().in_use().cloned().collect();
        let mut seen = HashMap::with_capacity(ages.holding_since.len());
        for family in in_use {
            if !family.take_written() {
                continue; // seen empty, and not written since
            }
            let Some(entries) = self.active_memtable(&family, c"rocksdb.num-entries-active-mem-table") else {
                family.mark_written(); // unreadable: look again next time
                continue;
            };
            if entries == 0 {
                continue;
            }
            family.mark_written(); // still holding data: look again next time
            let since = match ages.holding_since.get(&family.slot) {
                Some(&(since, before)) if entries >= before => since,
                _ => ages.slices,
            };
            seen.insert(family.slot, (since, entries));
            let size = self.active_memtable(&family, c"rocksdb.cur-size-active-mem-table").unwrap_or(0);
            if ages.slices.saturating_sub(since) >= MAX_SLICES_WAITING {
                overdue.push((size, family));
            } else if size >= WORTH_A_FILE {
                held.push((size, family));
            }
        }
        // Families not seen holding data (flushed, emptied, deleted) start afresh next time.
        ages.holding_since = seen;
        held.sort_unstable_by_key(|(size, _)| std::cmp::Reverse(*size));
        let mut total = 0;
        let fullest = held.into_iter().take_while(|(size, _)| {
            let wanted = total < bytes;
            total += size;
            wanted
        });
        overdue.extend(fullest);
        let held = overdue.iter().map(|(size, _)| size).sum();
        (overdue.into_iter().map(|(_, family)| family).collect(), held)
    }

    fn active_memtable(&self, family: &Family, property: &CStr) -> Option<u64> {
        rocksdb_ffi::int_property(&self.db, family, property)
    }
}

#[cfg(test)]
mod tests {
    use super::{MAX_SLICES_WAITING, SliceAges};
    use crate::storage::test_store::{TOPIC_ID, append_one_record_batches, store_with_topic};
    use crate::storage::{Store, StoreOptions};

    /// Larger than a quarter of an arena block, so each is allocated (and counted) on its own.
    static VALUE: [u8; 100_000] = [7; 100_000];

    /// Partition `p` gets `p` batches of one 100 kB record.
    fn store_with_growing_partitions(dir: &std::path::Path, partitions: u32) -> std::sync::Arc<Store> {
        let store = store_with_topic(dir, partitions);
        for partition in 0..partitions {
            append(&store, partition, 0..i64::from(partition));
        }
        store
    }

    fn append(store: &Store, partition: u32, offsets: std::ops::Range<i64>) {
        append_one_record_batches(store, partition, offsets, &VALUE);
    }

    fn file_bytes(store: &Store, partition: u32) -> u64 {
        store.partition_sst_bytes(TOPIC_ID, partition).expect("sst bytes")
    }

    #[test]
    fn flushes_the_fullest_partitions_until_they_add_up_to_the_bytes_asked() {
        let dir = tempfile::tempdir().expect("dir");
        let store = store_with_growing_partitions(dir.path(), 20);
        let held = |partition| {
            let family = store.partition_family(TOPIC_ID, partition).expect("family");
            store.active_memtable(&family, c"rocksdb.cur-size-active-mem-table").expect("size")
        };
        // A byte more than the two fullest hold takes the third fullest too, and no more.
        let fullest: Vec<u64> = (17..20).map(held).collect();
        let flushed = store.flush_fullest(fullest[2] + fullest[1] + 1, &mut SliceAges::default()).expect("flush");
        assert_eq!(flushed.partitions, 3);
        assert_eq!(flushed.bytes, fullest.iter().sum::<u64>(), "what the three held");
        for partition in 0..20 {
            let on_disk = file_bytes(&store, partition);
            assert_eq!(on_disk > 0, partition >= 17, "partition {partition}: {on_disk} bytes in SST files");
        }
    }

    #[test]
    fn flushes_nothing_when_no_partition_holds_data() {
        let dir = tempfile::tempdir().expect("dir");
        let store = store_with_growing_partitions(dir.path(), 1);
        assert_eq!(store.flush_fullest(1 << 20, &mut SliceAges::default()).expect("flush").partitions, 0);
    }

    #[test]
    fn a_partition_never_among_the_fullest_is_flushed_once_its_data_waited_too_long() {
        let dir = tempfile::tempdir().expect("dir");
        let store = store_with_growing_partitions(dir.path(), 20);
        let has_file = |partition| file_bytes(&store, partition) > 0;
        let mut ages = SliceAges::default();
        // Each flush asked for one byte takes the fullest left: partitions 19, 18, ... 12.
        for _ in 0..MAX_SLICES_WAITING {
            assert_eq!(store.flush_fullest(1, &mut ages).expect("flush").partitions, 1);
        }
        assert!(has_file(12) && !has_file(11) && !has_file(1));
        // The rest have waited through eight flushes: the next takes all of them, however small.
        assert_eq!(store.flush_fullest(1, &mut ages).expect("flush").partitions, 11);
        assert!((1..12).all(has_file));
        assert!(!has_file(0), "partition 0 holds nothing");
    }

    #[test]
    fn data_flushed_by_another_flush_starts_its_wait_afresh() {
        let dir = tempfile::tempdir().expect("dir");
        let store = store_with_growing_partitions(dir.path(), 20);
        let mut ages = SliceAges::default();
        for _ in 0..MAX_SLICES_WAITING - 1 {
            store.flush_fullest(1, &mut ages).expect("flush");
        }
        // Partition 1 is flushed by someone else (RocksDB's own trigger, a topic flush), seen
        // empty by the next scan, then gets new data: that data has not waited.
        store.flush_partition(TOPIC_ID, 1).expect("flush partition 1");
        let flushed_once = file_bytes(&store, 1);
        store.flush_fullest(1, &mut ages).expect("flush");
        append(&store, 1, 1..2);
        append(&store, 19, 19..21); // fuller than partition 1: the next flush's fullest
        // Partitions 2-11 waited too long, and 19 is the fullest.
        assert_eq!(store.flush_fullest(1, &mut ages).expect("flush").partitions, 11);
        assert!(file_bytes(&store, 2) > 0);
        assert_eq!(file_bytes(&store, 1), flushed_once, "partition 1's new data was flushed as if it had waited");
    }

    #[test]
    fn a_partition_written_after_it_was_seen_empty_is_looked_at_again() {
        let dir = tempfile::tempdir().expect("dir");
        let store = store_with_topic(dir.path(), 2);
        assert_eq!(store.flush_fullest(1, &mut SliceAges::default()).expect("flush").partitions, 0, "both seen empty");
        append(&store, 1, 0..1);
        assert_eq!(store.flush_fullest(1, &mut SliceAges::default()).expect("flush").partitions, 1);
        assert!(file_bytes(&store, 1) > 0);
    }

    #[test]
    fn after_a_restart_the_memtables_replayed_from_the_wal_are_looked_at() {
        let dir = tempfile::tempdir().expect("dir");
        drop(store_with_growing_partitions(dir.path(), 3));
        let store = Store::open(dir.path(), &StoreOptions::default()).expect("reopen");
        store.attach_topics(&store.load_topics().expect("topics"));
        assert_eq!(store.flush_fullest(1 << 30, &mut SliceAges::default()).expect("flush").partitions, 2);
        assert!(file_bytes(&store, 2) > 0);
    }
}
