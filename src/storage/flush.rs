//! Flushing memtables to SST files on request: a partition, the metadata families.

use super::db::{META_CF, OFFSETS_CF, Store};
use super::error::StorageResult;

impl Store {
    /// Writes a partition's memtable to an SST file.
    pub fn flush_partition(&self, topic_id: u64, partition: u32) -> StorageResult<()> {
        let cf = self.partition_family(topic_id, partition)?;
        Ok(self.db.flush_cf(&*cf)?)
    }

    /// Writes the `meta` and `offsets` memtables to SST files. Every group commit writes to
    /// `meta`, so its memtable is what keeps old WAL files alive once partitions are flushed.
    pub fn flush_metadata(&self) -> StorageResult<()> {
        for name in [META_CF, OFFSETS_CF] {
            self.db.flush_cf(&self.cf(name)?)?;
        }
        Ok(())
    }
}
