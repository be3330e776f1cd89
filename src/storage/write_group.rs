//! One atomic RocksDB write for a whole commit-loop group: batches for any number of
//! partitions, their updated partition state and committed offsets.
use std::sync::{Arc, RwLockReadGuard};

use prost::Message;
use rocksdb::{BoundColumnFamily, WriteBatch, WriteOptions};

use super::db::{META_CF, OFFSETS_CF, Store};
use super::error::StorageResult;
use super::families::{Families, Family};
use super::keys;
use crate::proto::meta::{CommittedOffsetValue, PartitionMeta, ProducerIdMeta, ProducerStateMeta};

/// A partition's column family, resolved for the lifetime of one group.
pub struct PartitionCf(Arc<Family>);

/// Collects a group's writes; nothing is visible until [`WriteGroup::commit`].
pub struct WriteGroup<'a> {
    store: &'a Store,
    batch: WriteBatch,
    meta: Arc<BoundColumnFamily<'a>>,
    offsets: Arc<BoundColumnFamily<'a>>,
    // Held from the first lookup to the write: topic deletion cannot empty a family in between.
    families: RwLockReadGuard<'a, Families>,
    /// The partition families written, marked once the write is applied (see `Family::written`).
    written: Vec<Arc<Family>>,
}

impl<'a> WriteGroup<'a> {
    pub fn new(store: &'a Store) -> StorageResult<Self> {
        let families = store.families_read();
        Ok(WriteGroup {
            store,
            batch: WriteBatch::default(),
            meta: store.cf(META_CF)?,
            offsets: store.cf(OFFSETS_CF)?,
            families,
            written: Vec::new(),
        })
    }

    /// The partition's family, or `None` if its topic was deleted while the request waited.
    pub fn partition(&self, topic_id: u64, partition: u32) -> Option<PartitionCf> {
        self.families.partition(topic_id, partition).map(PartitionCf)
    }

    /// Stores one batch under its base offset.
    pub fn append(&mut self, cf: &PartitionCf, base_offset: i64, batch: &[u8]) {
        self.batch.put_cf(&*cf.0, keys::offset_key(base_offset), batch);
        self.wrote(cf);
    }

    /// Deletes the batches whose base offsets are in `[from, to)` (one range tombstone).
    pub fn delete_range(&mut self, cf: &PartitionCf, from: i64, to: i64) {
        self.batch.delete_range_cf(&*cf.0, keys::offset_key(from), keys::offset_key(to));
        self.wrote(cf);
    }

    fn wrote(&mut self, cf: &PartitionCf) {
        if !self.written.last().is_some_and(|last| Arc::ptr_eq(last, &cf.0)) {
            self.written.push(cf.0.clone());
        }
    }

    /// Records a partition's log start and size alongside its data.
    pub fn set_partition_meta(&mut self, topic_id: u64, partition: u32, meta: &PartitionMeta) {
        self.batch.put_cf(&self.meta, keys::partition_meta_key(topic_id, partition), meta.encode_to_vec());
    }

    /// Stores a consumer group's position in a partition.
    pub fn commit_offset(&mut self, group: &str, topic: &str, partition: u32, value: &CommittedOffsetValue) {
        let key = keys::committed_offset_key(group, topic, partition);
        self.batch.put_cf(&self.offsets, key, value.encode_to_vec());
    }

    /// Records an issued producer id (`None`: forgets it).
    pub fn set_producer_id(&mut self, producer_id: i64, meta: Option<&ProducerIdMeta>) {
        let key = keys::producer_id_key(producer_id);
        match meta {
            Some(meta) => self.batch.put_cf(&self.meta, key, meta.encode_to_vec()),
            None => self.batch.delete_cf(&self.meta, key),
        }
    }

    /// Records where the next producer id starts.
    pub fn set_next_producer_id(&mut self, next: i64) {
        self.batch.put_cf(&self.meta, keys::NEXT_PRODUCER_ID_KEY, next.to_be_bytes());
    }

    /// Records a producer's recent batches in a partition (`None`: forgets them), in the same
    /// write as the batch that changed them.
    pub fn set_producer_state(&mut self, at: (u64, u32, i64), state: Option<&ProducerStateMeta>) {
        let key = keys::producer_state_key(at.0, at.1, at.2);
        match state {
            Some(state) => self.batch.put_cf(&self.meta, key, state.encode_to_vec()),
            None => self.batch.delete_cf(&self.meta, key),
        }
    }

    /// Stores a raw `meta` record alongside (a replicated log's applied state).
    pub fn put_meta(&mut self, key: &[u8], value: &[u8]) {
        self.batch.put_cf(&self.meta, key, value);
    }

    /// Deletes a raw `meta` record.
    pub fn delete_meta(&mut self, key: &[u8]) {
        self.batch.delete_cf(&self.meta, key);
    }

    /// Deletes the offsets `group` committed: all of them, or only those of `only`'s topic (and
    /// partitions, if any are listed); returns how many were deleted.
    pub fn delete_group_offsets(&mut self, group: &str, only: Option<(&str, &[u32])>) -> StorageResult<usize> {
        let offsets = self.store.group_offsets(group)?;
        let wanted = |topic: &str, partition: u32| {
            only.is_none_or(|(t, partitions)| t == topic && (partitions.is_empty() || partitions.contains(&partition)))
        };
        let mut deleted = 0;
        for o in offsets.iter().filter(|o| wanted(&o.topic, o.partition)) {
            self.batch.delete_cf(&self.offsets, keys::committed_offset_key(group, &o.topic, o.partition));
            deleted += 1;
        }
        Ok(deleted)
    }

    /// Bytes the write will carry.
    pub fn size_in_bytes(&self) -> usize {
        self.batch.size_in_bytes()
    }

    pub fn is_empty(&self) -> bool {
        self.batch.is_empty()
    }

    /// Writes everything atomically; with `sync`, returns only once the WAL is on disk.
    pub fn commit(self, sync: bool) -> StorageResult<()> {
        let mut opts = WriteOptions::default();
        opts.set_sync(sync);
        self.store.db.write_opt(self.batch, &opts)?;
        for family in &self.written {
            family.mark_written();
        }
        Ok(())
    }
}
