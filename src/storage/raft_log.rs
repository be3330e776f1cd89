//! The replicated commit log's Raft entries, in column family `raftlog` keyed by (group, index),
//! both big-endian so a group's entries are one ordered key range; and per group, small records
//! in `meta`: the vote, the committed and purged log ids, the applied state. Values are opaque
//! here (the cluster module encodes them); this module only stores them, in order.
use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};

use rocksdb::{Direction, IteratorMode, Options, WriteBatch, WriteOptions};

use super::db::{META_CF, Store};
use super::error::{StorageError, StorageResult};
use super::keys;

pub const RAFT_LOG_CF: &str = "raftlog";

impl Store {
    /// Creates the `raftlog` family if this data dir has none yet (a broker joining a cluster
    /// for the first time).
    pub fn ensure_raft_log(&self) -> StorageResult<()> {
        if self.db.cf_handle(RAFT_LOG_CF).is_none() {
            self.db.create_cf(RAFT_LOG_CF, &raft_log_options())?;
        }
        Ok(())
    }

    /// Stores entries (index, encoded entry) of `group`, readable when this returns; with
    /// `sync`, also on disk.
    pub fn raft_append(&self, group: u64, entries: &[(u64, impl AsRef<[u8]>)], sync: bool) -> StorageResult<()> {
        let cf = self.cf(RAFT_LOG_CF)?;
        let mut batch = WriteBatch::default();
        for (index, entry) in entries {
            batch.put_cf(&cf, keys::raft_entry_key(group, *index), entry.as_ref());
        }
        self.write(batch, sync)
    }

    /// `group`'s entries with indexes in `from..to`, in order.
    pub fn raft_entries(&self, group: u64, from: u64, to: u64) -> StorageResult<Vec<(u64, Vec<u8>)>> {
        let cf = self.cf(RAFT_LOG_CF)?;
        let start = keys::raft_entry_key(group, from);
        let end = keys::raft_entry_key(group, to);
        let mut entries = Vec::new();
        for item in self.db.iterator_cf(&cf, IteratorMode::From(&start, Direction::Forward)) {
            let (key, value) = item?;
            if key.as_ref() >= end.as_slice() {
                break;
            }
            let index = keys::decode_raft_entry_key(&key)
                .ok_or_else(|| StorageError::BadKey { cf: RAFT_LOG_CF.into(), key: key.to_vec() })?;
            entries.push((index.1, value.to_vec()));
        }
        Ok(entries)
    }

    /// `group`'s newest entry, if it has any.
    pub fn raft_last_entry(&self, group: u64) -> StorageResult<Option<(u64, Vec<u8>)>> {
        let cf = self.cf(RAFT_LOG_CF)?;
        let end = keys::raft_entry_key(group, u64::MAX);
        let mut iter = self.db.iterator_cf(&cf, IteratorMode::From(&end, Direction::Reverse));
        match iter.next().transpose()? {
            Some((key, value)) => match keys::decode_raft_entry_key(&key) {
                Some((g, index)) if g == group => Ok(Some((index, value.to_vec()))),
                _ => Ok(None),
            },
            None => Ok(None),
        }
    }

    /// Deletes `group`'s entries from index `from` on (a leader's conflicting tail), durably.
    pub fn raft_truncate_from(&self, group: u64, from: u64) -> StorageResult<()> {
        let cf = self.cf(RAFT_LOG_CF)?;
        let mut batch = WriteBatch::default();
        batch.delete_range_cf(&cf, keys::raft_entry_key(group, from), keys::raft_entry_key(group + 1, 0));
        self.write(batch, true)
    }

    /// Records `purged` (the encoded last purged log id) under `group`'s `purged` mark, then
    /// deletes its entries up to and including `upto`, in one write.
    pub fn raft_purge(&self, group: u64, upto: u64, purged: &[u8]) -> StorageResult<()> {
        let (cf, meta) = (self.cf(RAFT_LOG_CF)?, self.cf(META_CF)?);
        let mut batch = WriteBatch::default();
        batch.put_cf(&meta, keys::raft_meta_key(group, "purged"), purged);
        batch.delete_range_cf(&cf, keys::raft_entry_key(group, 0), keys::raft_entry_key(group, upto.saturating_add(1)));
        self.write(batch, false)
    }

    /// Stores one of `group`'s marks ("vote", "committed", ...); with `sync`, on disk when this
    /// returns.
    pub fn raft_put_mark(&self, group: u64, name: &str, value: &[u8], sync: bool) -> StorageResult<()> {
        let mut batch = WriteBatch::default();
        batch.put_cf(&self.cf(META_CF)?, keys::raft_meta_key(group, name), value);
        self.write(batch, sync)
    }

    pub fn raft_mark(&self, group: u64, name: &str) -> StorageResult<Option<Vec<u8>>> {
        Ok(self.db.get_cf(&self.cf(META_CF)?, keys::raft_meta_key(group, name))?)
    }

    fn write(&self, batch: WriteBatch, sync: bool) -> StorageResult<()> {
        let mut opts = WriteOptions::default();
        opts.set_sync(sync);
        Ok(self.db.write_opt(batch, &opts)?)
    }
}

/// Entries carry already-batched record data: no compression (it would cost CPU for little).
/// The log is trimmed every half second (`cluster::trim`), so most entries are deleted while
/// still in the memtable and a flush writes only the trims' range tombstones, not a second copy
/// of every record: memtables of about 32 MiB (and up to four of them, like a partition's)
/// give the trims time to come first. Disk writes per record fell by a third with the trim
/// change (docs/experiments/2026-12-07-raft-log-trimmed-in-the-memtable.md).
pub(super) fn raft_log_options() -> Options {
    let mut o = Options::default();
    o.set_write_buffer_size(raft_log_memtable_bytes(RandomState::new().build_hasher().finish()));
    o.set_max_write_buffer_number(super::db::MEMTABLES_PER_FAMILY);
    o.set_compression_type(rocksdb::DBCompressionType::None);
    o
}

/// The `raftlog` memtable's size: 32 MiB give or take a quarter, by `draw` (random, drawn as
/// the broker opens its data dir). It is the memtable that fills first, and its flush writes every family
/// (atomic flush). Brokers sharing one disk that carry the same load (three copies of every
/// shard) filled theirs at the same moment with one fixed size, and their flushes landed
/// together, stalling the WAL syncs of all three at once, so no majority could acknowledge.
/// Spread apart, the flushes cost one copy at a time. Three brokers on this machine, 10 MiB/s
/// offered, six alternated pairs: ack p99 41-66 ms against 88-223 ms, max 76-117 ms against
/// 128-311 ms, p50 inside the noise
/// (docs/experiments/2026-12-07-raft-log-flushes-spread-apart.md).
fn raft_log_memtable_bytes(draw: u64) -> usize {
    const LEAST: u64 = 24 << 20;
    const SPREAD: u64 = 16 << 20;
    (LEAST + draw % (SPREAD + 1)) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_raft_log_memtable_is_32_mib_give_or_take_a_quarter() {
        assert_eq!(raft_log_memtable_bytes(0), 24 << 20);
        assert_eq!(raft_log_memtable_bytes(16 << 20), 40 << 20);
        assert_eq!(raft_log_memtable_bytes((16 << 20) + 1), 24 << 20);
        let drawn: std::collections::BTreeSet<usize> =
            (0..8).map(|_| raft_log_memtable_bytes(RandomState::new().build_hasher().finish())).collect();
        assert!(drawn.len() > 1, "brokers draw sizes of their own: {drawn:?}");
    }
}
