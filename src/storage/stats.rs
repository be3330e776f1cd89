//! RocksDB figures worth graphing, summed over every column family.
use rocksdb::AsColumnFamilyRef;

use super::db::{META_CF, OFFSETS_CF, Store};
use super::error::StorageResult;

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
        self.add_family_stats(&mut stats, &self.cf(META_CF)?)?;
        self.add_family_stats(&mut stats, &self.cf(OFFSETS_CF)?)?;
        for family in self.families_read().in_use() {
            self.add_family_stats(&mut stats, &**family)?;
        }
        stats.write_stopped = self.db.property_int_value("rocksdb.is-write-stopped")?.unwrap_or(0) > 0;
        stats.delayed_write_rate = self.db.property_int_value("rocksdb.actual-delayed-write-rate")?.unwrap_or(0);
        for jobs in ["rocksdb.num-running-flushes", "rocksdb.num-running-compactions"] {
            stats.running_jobs += self.db.property_int_value(jobs)?.unwrap_or(0);
        }
        Ok(stats)
    }

    fn add_family_stats(&self, stats: &mut RocksStats, cf: &impl AsColumnFamilyRef) -> StorageResult<()> {
        let int = |property: &str| self.db.property_int_value_cf(cf, property).map(|v| v.unwrap_or(0));
        stats.memtable_bytes += int("rocksdb.cur-size-all-mem-tables")?;
        stats.sst_bytes += int("rocksdb.total-sst-files-size")?;
        stats.pending_compaction_bytes += int("rocksdb.estimate-pending-compaction-bytes")?;
        Ok(())
    }
}
