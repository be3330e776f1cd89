//! RocksDB figures worth graphing, summed over every column family.
use std::ffi::CStr;

use rocksdb::AsColumnFamilyRef;

use super::db::{META_CF, OFFSETS_CF, Store};
use super::error::StorageResult;
use super::rocksdb_ffi;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RocksStats {
    pub memtable_bytes: u64,
    pub sst_bytes: u64,
    pub pending_compaction_bytes: u64,
    pub write_stopped: bool,
    pub delayed_write_rate: u64,
    /// Flushes and compactions running now.
    pub running_jobs: u64,
}

impl Store {
    pub fn rocks_stats(&self) -> StorageResult<RocksStats> {
        let mut stats = RocksStats::default();
        self.add_family_stats(&mut stats, &self.cf(META_CF)?);
        self.add_family_stats(&mut stats, &self.cf(OFFSETS_CF)?);
        // Copied out, so a topic being created or deleted does not wait for the reads.
        let in_use: Vec<_> = self.families_read().in_use().cloned().collect();
        for family in in_use {
            self.add_family_stats(&mut stats, &*family);
        }
        stats.write_stopped = self.db.property_int_value("rocksdb.is-write-stopped")?.unwrap_or(0) > 0;
        stats.delayed_write_rate = self.db.property_int_value("rocksdb.actual-delayed-write-rate")?.unwrap_or(0);
        for jobs in ["rocksdb.num-running-flushes", "rocksdb.num-running-compactions"] {
            stats.running_jobs += self.db.property_int_value(jobs)?.unwrap_or(0);
        }
        Ok(stats)
    }

    /// Whether a flush is running now (the early flush's own are waited for, so any running
    /// when it looks is RocksDB's).
    pub fn flush_running(&self) -> bool {
        self.db.property_int_value("rocksdb.num-running-flushes").ok().flatten().unwrap_or(0) > 0
    }

    fn add_family_stats(&self, stats: &mut RocksStats, cf: &impl AsColumnFamilyRef) {
        let int = |property: &CStr| rocksdb_ffi::int_property(&self.db, cf, property).unwrap_or(0);
        stats.memtable_bytes += int(c"rocksdb.cur-size-all-mem-tables");
        stats.sst_bytes += int(c"rocksdb.total-sst-files-size");
        stats.pending_compaction_bytes += int(c"rocksdb.estimate-pending-compaction-bytes");
    }
}

#[cfg(test)]
mod tests {
    use crate::storage::test_store::{TOPIC_ID, append_one_record_batches, store_with_topic};

    #[test]
    fn sums_memtable_and_sst_bytes_over_the_families() {
        let dir = tempfile::tempdir().expect("dir");
        let store = store_with_topic(dir.path(), 2);
        for partition in 0..2 {
            append_one_record_batches(&store, partition, 0..1, &[3u8; 50_000]);
        }

        let before = store.rocks_stats().expect("stats");
        assert!(before.memtable_bytes >= 100_000, "{before:?}");
        assert_eq!(before.sst_bytes, 0, "{before:?}");
        store.flush_partition(TOPIC_ID, 0).expect("flush");
        let after = store.rocks_stats().expect("stats");
        assert!(after.sst_bytes >= 50_000, "{after:?}");
        assert!(after.memtable_bytes < before.memtable_bytes, "{after:?}");
    }
}
