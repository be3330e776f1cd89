//! Support for deleting a partition's oldest batches (retention, DeleteRecords): scanning batch
//! headers from the front, and compacting a deleted range so its disk space really returns.
use rocksdb::{BottommostLevelCompaction, CompactOptions};

use super::batch;
use super::db::{META_CF, OFFSETS_CF, Store};
use super::error::{StorageError, StorageResult};
use super::keys;
use super::partition_log::ReadBounds;

/// A stored batch as retention sees it: its offsets, size and newest timestamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchExtent {
    pub base_offset: i64,
    /// The offset after its last record.
    pub next_offset: i64,
    pub bytes: u64,
    pub max_timestamp: i64,
}

impl Store {
    /// The partition's batches from the oldest on, for as long as `take` accepts them (the first
    /// batch it refuses ends the scan). Only headers are parsed; no record is decoded.
    pub fn leading_batches(
        &self,
        topic_id: u64,
        partition: u32,
        bounds: ReadBounds,
        mut take: impl FnMut(&BatchExtent) -> bool,
    ) -> StorageResult<Vec<BatchExtent>> {
        let cf = self.partition_family(topic_id, partition)?;
        let cf_name = cf.name();
        let mut opts = rocksdb::ReadOptions::default();
        opts.set_iterate_lower_bound(keys::offset_key(bounds.first_batch).to_vec());
        opts.set_iterate_upper_bound(keys::offset_key(bounds.high_watermark).to_vec());
        let mut it = self.db.raw_iterator_cf_opt(&*cf, opts);
        it.seek_to_first();
        let mut taken = Vec::new();
        while let (Some(key), Some(value)) = (it.key(), it.value()) {
            let base = keys::decode_offset_key(key)
                .ok_or_else(|| StorageError::BadKey { cf: cf_name.clone(), key: key.to_vec() })?;
            let header = batch::read_header(value).map_err(|source| StorageError::CorruptBatch {
                cf: cf_name.clone(),
                offset: base,
                source,
            })?;
            let extent = BatchExtent {
                base_offset: base,
                next_offset: header.next_offset(),
                bytes: value.len() as u64,
                max_timestamp: header.max_timestamp,
            };
            if !take(&extent) {
                break;
            }
            taken.push(extent);
            it.next();
        }
        it.status()?;
        Ok(taken)
    }

    /// Compacts `[from, to)` of a partition down to the last level, so range-deleted batches
    /// leave the disk (a range delete alone frees nothing until compaction reaches it).
    pub fn compact_partition_range(&self, topic_id: u64, partition: u32, from: i64, to: i64) -> StorageResult<()> {
        let cf = self.partition_family(topic_id, partition)?;
        let mut opts = CompactOptions::default();
        opts.set_bottommost_level_compaction(BottommostLevelCompaction::Force);
        self.db.compact_range_cf_opt(&*cf, Some(keys::offset_key(from)), Some(keys::offset_key(to)), &opts);
        Ok(())
    }

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

    /// Bytes of a partition's SST files on disk.
    pub fn partition_sst_bytes(&self, topic_id: u64, partition: u32) -> StorageResult<u64> {
        let cf = self.partition_family(topic_id, partition)?;
        Ok(self.db.property_int_value_cf(&*cf, "rocksdb.total-sst-files-size")?.unwrap_or(0))
    }
}
