//! A data shard's state as rows, for a broker given a copy of a shard it did not carry: the
//! leader reads every row of the shard's partitions (batches, partition state, producer
//! windows) and its applied mark at one moment of the database; the receiver empties its own
//! rows of those partitions and writes the leader's.
//!
//! Installing is many writes (a shard may be far larger than one write should be). The first
//! marks the shard `installing` and drops its applied mark; the last writes the applied mark
//! and removes `installing`. A broker that stops in between finds the mark at its next start and
//! forgets the shard's log and marks but its vote ([`Store::forget_interrupted_install`]): it
//! opens the shard as a new learner, and the leader sends the copy again. Members trim their logs
//! only below what every member holds, so under `--fsync always` only a learner is ever sent a
//! copy and nothing a voter acknowledged is forgotten. A voter is sent one only when its log
//! lost entries it had acknowledged and the others trimmed (a power loss under `--fsync
//! interval` or `never`, which already gives up what was not synced).
use rocksdb::{Direction, IteratorMode, WriteBatch};

use super::db::{META_CF, Store};
use super::error::StorageResult;
use super::keys;
use super::raft_log::RAFT_LOG_CF;
use super::write_group::WriteGroup;

/// One row of a shard's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShardRow {
    /// A stored batch, under its offset key.
    Batch { topic_id: u64, partition: u32, key: Vec<u8>, value: Vec<u8> },
    /// A partition's persisted state (log start, size, next offset).
    PartitionMeta { topic_id: u64, partition: u32, value: Vec<u8> },
    /// One producer's window in a partition.
    ProducerState { topic_id: u64, partition: u32, producer_id: i64, value: Vec<u8> },
}

/// The mark of a shard whose copy is being written.
const INSTALLING: &str = "installing";
/// The mark of a data shard this broker left, noted while it ran (`cluster::left_shard`).
pub(super) const LEFT: &str = "left";
/// Marks of a shard's Raft log that an interrupted install makes meaningless (the vote stays).
const LOG_MARKS: [&str; 4] = ["purged", "committed", "applied", "snapshot"];
/// Bytes of rows written per write while installing.
const WRITE_BYTES: usize = 4 << 20;

impl Store {
    /// Every row of the partitions `carried` says belong to `group`, read at one moment; returns
    /// `group`'s applied mark of that moment. Each row goes to `emit`, which returns false to
    /// stop (the receiver went away).
    pub fn read_shard(
        &self,
        group: u64,
        carried: impl Fn(u64, u32) -> bool,
        mut emit: impl FnMut(ShardRow) -> bool,
    ) -> StorageResult<Option<Vec<u8>>> {
        // The families are resolved and the snapshot taken under the families lock: no topic is
        // created or deleted in between, so the families hold what the snapshot says they hold.
        let (snapshot, families) = {
            let families = self.families_read();
            let partitions: Vec<_> = families.in_use_partitions().filter(|&(t, p, _)| carried(t, p)).collect();
            (self.db.snapshot(), partitions)
        };
        let meta = self.cf(META_CF)?;
        for (topic_id, partition, family) in families {
            let state = snapshot.get_cf(&meta, keys::partition_meta_key(topic_id, partition))?;
            if let Some(value) = state
                && !emit(ShardRow::PartitionMeta { topic_id, partition, value })
            {
                return Ok(None);
            }
            for item in snapshot.iterator_cf(&*family, IteratorMode::Start) {
                let (key, value) = item?;
                if !emit(ShardRow::Batch { topic_id, partition, key: key.to_vec(), value: value.to_vec() }) {
                    return Ok(None);
                }
            }
        }
        let prefix = keys::producer_state_prefix();
        for item in snapshot.iterator_cf(&meta, IteratorMode::From(prefix, Direction::Forward)) {
            let (key, value) = item?;
            if !key.starts_with(prefix) {
                break;
            }
            let Some((topic_id, partition, producer_id)) = keys::decode_producer_state_key(&key) else { continue };
            if carried(topic_id, partition) {
                let row = ShardRow::ProducerState { topic_id, partition, producer_id, value: value.to_vec() };
                if !emit(row) {
                    return Ok(None);
                }
            }
        }
        Ok(snapshot.get_cf(&meta, keys::raft_meta_key(group, "applied"))?)
    }

    /// Starts installing a copy of `group`: marks it `installing`, drops its applied mark, and
    /// empties the `partitions` it carries here (batches, state, producer windows). Durable when
    /// it returns.
    pub fn begin_shard_install(&self, group: u64, partitions: &[(u64, u32)]) -> StorageResult<()> {
        let mut write = WriteGroup::new(self)?;
        self.clear_rows(&mut write, partitions)?;
        write.delete_meta(&keys::raft_meta_key(group, "applied"));
        write.put_meta(&keys::raft_meta_key(group, INSTALLING), b"");
        write.commit(true)
    }

    /// Adds to `write` the deletion of every row of `partitions`.
    fn clear_rows(&self, write: &mut WriteGroup<'_>, partitions: &[(u64, u32)]) -> StorageResult<()> {
        let carried = |t: u64, p: u32| partitions.contains(&(t, p));
        self.scan_meta(keys::producer_state_prefix(), |key, _| {
            if keys::decode_producer_state_key(key).is_some_and(|(t, p, _)| carried(t, p)) {
                write.delete_meta(key);
            }
            Ok(())
        })?;
        for &(topic_id, partition) in partitions {
            if let Some(cf) = write.partition(topic_id, partition) {
                write.delete_range(&cf, 0, i64::MAX);
            }
            write.delete_meta(&keys::partition_meta_key(topic_id, partition));
        }
        Ok(())
    }

    /// Writes `rows` of a copy being installed, in writes of a few MiB; rows of partitions this
    /// broker does not have (their topic was deleted here already) are left out.
    pub fn write_shard_rows(&self, rows: &[ShardRow]) -> StorageResult<()> {
        let mut write = WriteGroup::new(self)?;
        for row in rows {
            match row {
                ShardRow::Batch { topic_id, partition, key, value } => {
                    let offset = keys::decode_offset_key(key);
                    if let (Some(cf), Some(offset)) = (write.partition(*topic_id, *partition), offset) {
                        write.append(&cf, offset, value);
                    }
                }
                ShardRow::PartitionMeta { topic_id, partition, value } => {
                    if write.partition(*topic_id, *partition).is_some() {
                        write.put_meta(&keys::partition_meta_key(*topic_id, *partition), value);
                    }
                }
                ShardRow::ProducerState { topic_id, partition, producer_id, value } => {
                    if write.partition(*topic_id, *partition).is_some() {
                        write.put_meta(&keys::producer_state_key(*topic_id, *partition, *producer_id), value);
                    }
                }
            }
            if write.size_in_bytes() >= WRITE_BYTES {
                write.commit(false)?;
                write = WriteGroup::new(self)?;
            }
        }
        write.commit(false)
    }

    /// Ends installing a copy of `group`: its `marks` (the applied state of the rows, and the
    /// snapshot mark) written and `installing` removed, durably.
    pub fn finish_shard_install(&self, group: u64, marks: &[(&str, &[u8])]) -> StorageResult<()> {
        let mut write = WriteGroup::new(self)?;
        for (name, value) in marks {
            write.put_meta(&keys::raft_meta_key(group, name), value);
        }
        write.delete_meta(&keys::raft_meta_key(group, INSTALLING));
        write.commit(true)
    }

    /// Has `group` forgotten at the next open, as an interrupted install is: a joiner's copy
    /// of a member's data dir holds the member's data shards, which the joiner does not carry.
    pub fn forget_shard_at_open(&self, group: u64) -> StorageResult<()> {
        self.raft_put_mark(group, INSTALLING, b"", true)
    }

    /// Notes, durably, that this broker left data shard `group`; the next open decides whether
    /// to forget it (`cluster::left_shard`).
    pub fn note_left_shard(&self, group: u64) -> StorageResult<()> {
        self.raft_put_mark(group, LEFT, b"", true)
    }

    /// Whether this broker noted it left `group`.
    pub fn left_shard_noted(&self, group: u64) -> StorageResult<bool> {
        Ok(self.raft_mark(group, LEFT)?.is_some())
    }

    /// Drops the note that this broker left `group` (it is a voter of it again).
    pub fn unnote_left_shard(&self, group: u64) -> StorageResult<()> {
        let mut batch = WriteBatch::default();
        batch.delete_cf(&self.cf(META_CF)?, keys::raft_meta_key(group, LEFT));
        self.write_synced(batch)
    }

    /// Before `group`'s Raft node opens: if a copy of it was being installed when the broker
    /// stopped (or it is to be forgotten), its log, its marks but the vote and the rows of its
    /// `partitions` (asked for only then) are forgotten, so the shard opens empty and its leader sends a copy when
    /// this broker is added to it. Returns whether it did.
    pub fn forget_interrupted_install(
        &self,
        group: u64,
        partitions: impl FnOnce() -> Vec<(u64, u32)>,
    ) -> StorageResult<bool> {
        if self.raft_mark(group, INSTALLING)?.is_none() {
            return Ok(false);
        }
        let mut write = WriteGroup::new(self)?;
        self.clear_rows(&mut write, &partitions())?;
        write.commit(false)?;
        let (log, meta) = (self.cf(RAFT_LOG_CF)?, self.cf(META_CF)?);
        let mut batch = WriteBatch::default();
        batch.delete_range_cf(&log, keys::raft_entry_key(group, 0), keys::raft_entry_key(group + 1, 0));
        for name in LOG_MARKS.iter().chain([&INSTALLING, &LEFT]) {
            batch.delete_cf(&meta, keys::raft_meta_key(group, name));
        }
        self.write_synced(batch)?;
        Ok(true)
    }
}

#[cfg(test)]
#[path = "shard_copy_tests.rs"]
mod tests;
