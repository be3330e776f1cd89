//! The RocksDB instance: column families, shared memory budget, topic creation and deletion.
use std::path::Path;
use std::sync::{Arc, RwLock, RwLockReadGuard};

use prost::Message;
use rocksdb::{
    BlockBasedOptions, BoundColumnFamily, Cache, ColumnFamilyDescriptor, DB, DBCompressionType, Direction,
    IteratorMode, Options, WriteBatch, WriteBufferManager, WriteOptions,
};

use super::error::{StorageError, StorageResult};
use super::keys;
use crate::proto::meta::{PartitionMeta, TopicMeta};

pub const META_CF: &str = "meta";
pub const OFFSETS_CF: &str = "offsets";

/// Memory and WAL limits shared by every column family: memory is bounded by these, not by the
/// number of partitions.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    pub block_cache_bytes: usize,
    pub write_buffer_total_bytes: usize,
    pub max_total_wal_bytes: u64,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions { block_cache_bytes: 256 << 20, write_buffer_total_bytes: 256 << 20, max_total_wal_bytes: 1 << 30 }
    }
}

/// One RocksDB database holding every topic of the broker.
pub struct Store {
    pub(super) db: DB,
    partition_opts: Options,
    /// Writers hold it shared while they resolve and write column families; topic deletion
    /// holds it exclusively, so no write group ever sees a family vanish half-way.
    topology: RwLock<()>,
}

impl Store {
    /// Opens (or creates) the database at `path`, with every column family it holds.
    pub fn open(path: &Path, opts: &StoreOptions) -> StorageResult<Arc<Store>> {
        let cache = Cache::new_lru_cache(opts.block_cache_bytes);
        let wbm =
            WriteBufferManager::new_write_buffer_manager_with_cache(opts.write_buffer_total_bytes, true, cache.clone());
        let db_opts = db_options(opts, &wbm);
        let partition_opts = partition_options(&cache);
        let existing = if path.join("CURRENT").exists() { DB::list_cf(&db_opts, path)? } else { vec![] };
        let mut names: Vec<String> = existing;
        for fixed in [META_CF, OFFSETS_CF] {
            if !names.iter().any(|n| n == fixed) {
                names.push(fixed.to_string());
            }
        }
        let descriptors = names.iter().map(|name| {
            let cf_opts = if keys::parse_partition_cf_name(name).is_some() {
                partition_opts.clone()
            } else {
                small_cf_options(&cache)
            };
            ColumnFamilyDescriptor::new(name, cf_opts)
        });
        let db = DB::open_cf_descriptors(&db_opts, path, descriptors)?;
        Ok(Arc::new(Store { db, partition_opts, topology: RwLock::new(()) }))
    }

    pub(super) fn cf(&self, name: &str) -> StorageResult<Arc<BoundColumnFamily<'_>>> {
        self.db.cf_handle(name).ok_or_else(|| StorageError::MissingPartition(name.to_string()))
    }

    /// Shared access to the set of column families, for a write group.
    pub(super) fn topology_read(&self) -> RwLockReadGuard<'_, ()> {
        self.topology.read().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Reads every topic's metadata (in name order).
    pub fn load_topics(&self) -> StorageResult<Vec<TopicMeta>> {
        let meta = self.cf(META_CF)?;
        let prefix = keys::topic_key_prefix();
        let mut topics = Vec::new();
        for item in self.db.iterator_cf(&meta, IteratorMode::From(prefix, Direction::Forward)) {
            let (key, value) = item?;
            if !key.starts_with(prefix) {
                break;
            }
            let what = String::from_utf8_lossy(&key).into_owned();
            topics.push(TopicMeta::decode(&*value).map_err(|source| StorageError::CorruptMeta { what, source })?);
        }
        Ok(topics)
    }

    /// A partition's persisted log start and size (zero for a partition never written).
    pub fn load_partition_meta(&self, topic_id: u64, partition: u32) -> StorageResult<PartitionMeta> {
        let meta = self.cf(META_CF)?;
        match self.db.get_pinned_cf(&meta, keys::partition_meta_key(topic_id, partition))? {
            None => Ok(PartitionMeta::default()),
            Some(bytes) => PartitionMeta::decode(&*bytes).map_err(|source| StorageError::CorruptMeta {
                what: format!("partition {topic_id}/{partition}"),
                source,
            }),
        }
    }

    /// Hands out a topic id never used before in this database (durably, before it is used).
    pub fn next_topic_id(&self) -> StorageResult<u64> {
        let meta = self.cf(META_CF)?;
        let current = match self.db.get_pinned_cf(&meta, keys::NEXT_TOPIC_ID_KEY)? {
            Some(bytes) if bytes.len() == 8 => u64::from_be_bytes(bytes.as_ref().try_into().unwrap_or_default()),
            _ => 1,
        };
        let mut opts = WriteOptions::default();
        opts.set_sync(true);
        self.db.put_cf_opt(&meta, keys::NEXT_TOPIC_ID_KEY, (current + 1).to_be_bytes(), &opts)?;
        Ok(current)
    }

    /// Creates the topic's partition column families, then records the topic. A crash in
    /// between leaves only unreferenced families, which [`Store::drop_orphans`] removes at open.
    pub fn create_topic(&self, topic: &TopicMeta) -> StorageResult<()> {
        self.add_partitions(topic, 0)
    }

    /// Rewrites a topic's record (configuration changes).
    pub fn update_topic(&self, topic: &TopicMeta) -> StorageResult<()> {
        let meta = self.cf(META_CF)?;
        let mut batch = WriteBatch::default();
        batch.put_cf(&meta, keys::topic_key(&topic.name), topic.encode_to_vec());
        self.write_synced(batch)
    }

    /// Creates the column families of partitions `from..topic.partitions`, then records the
    /// larger topic. As in creation, a crash in between leaves only orphans.
    pub fn add_partitions(&self, topic: &TopicMeta, from: u32) -> StorageResult<()> {
        for partition in from..topic.partitions {
            self.db.create_cf(keys::partition_cf_name(topic.id, partition), &self.partition_opts)?;
        }
        self.update_topic(topic)
    }

    /// Deletes the topic record, its partition state and its committed offsets in one atomic
    /// write, then drops its column families (which frees their files). An error means the
    /// topic still exists.
    pub fn delete_topic(&self, topic: &TopicMeta) -> StorageResult<()> {
        let _exclusive = self.topology.write().unwrap_or_else(|p| p.into_inner());
        let meta = self.cf(META_CF)?;
        let offsets = self.cf(OFFSETS_CF)?;
        let mut batch = WriteBatch::default();
        batch.delete_cf(&meta, keys::topic_key(&topic.name));
        for partition in 0..topic.partitions {
            batch.delete_cf(&meta, keys::partition_meta_key(topic.id, partition));
        }
        for item in self.db.iterator_cf(&offsets, IteratorMode::Start) {
            let (key, _) = item?;
            if keys::committed_offset_topic(&key) == Some(topic.name.as_bytes()) {
                batch.delete_cf(&offsets, key);
            }
        }
        self.write_synced(batch)?;
        // From here the topic is deleted: a family that fails to drop is an orphan, removed at
        // the next open, and must not bring the topic back.
        for partition in 0..topic.partitions {
            if let Err(e) = self.db.drop_cf(&keys::partition_cf_name(topic.id, partition)) {
                tracing::warn!(topic = %topic.name, partition, error = %e, "dropping a deleted partition failed; it goes at the next start");
            }
        }
        Ok(())
    }

    /// Drops partition column families that no topic references (left by a crash during topic
    /// creation or deletion). Returns how many were dropped.
    pub fn drop_orphans(&self, topics: &[TopicMeta]) -> StorageResult<usize> {
        let path = self.db.path().to_path_buf();
        let mut dropped = 0;
        for name in DB::list_cf(&Options::default(), path)? {
            let Some((id, partition)) = keys::parse_partition_cf_name(&name) else { continue };
            let referenced = topics.iter().any(|t| t.id == id && partition < t.partitions);
            if !referenced {
                self.db.drop_cf(&name)?;
                dropped += 1;
            }
        }
        Ok(dropped)
    }

    /// Makes every write so far durable (for `--fsync interval` and shutdown).
    pub fn sync_wal(&self) -> StorageResult<()> {
        Ok(self.db.flush_wal(true)?)
    }

    pub(super) fn write_synced(&self, batch: WriteBatch) -> StorageResult<()> {
        let mut opts = WriteOptions::default();
        opts.set_sync(true);
        Ok(self.db.write_opt(batch, &opts)?)
    }
}

fn db_options(opts: &StoreOptions, wbm: &WriteBufferManager) -> Options {
    let mut o = Options::default();
    o.create_if_missing(true);
    o.create_missing_column_families(true);
    o.set_write_buffer_manager(wbm);
    o.set_max_total_wal_size(opts.max_total_wal_bytes);
    o.set_max_background_jobs(2);
    o.set_keep_log_file_num(4);
    // Spread the cost of writing back SST files instead of stalling on one big sync.
    o.set_bytes_per_sync(1 << 20);
    o
}

/// Partition families hold already-batched values that are read sequentially.
fn partition_options(cache: &Cache) -> Options {
    let mut table = BlockBasedOptions::default();
    table.set_block_cache(cache);
    table.set_block_size(64 << 10);
    let mut o = Options::default();
    o.set_block_based_table_factory(&table);
    o.set_write_buffer_size(32 << 20);
    o.set_compression_type(DBCompressionType::None);
    o.set_level_compaction_dynamic_level_bytes(true);
    o
}

fn small_cf_options(cache: &Cache) -> Options {
    let mut table = BlockBasedOptions::default();
    table.set_block_cache(cache);
    let mut o = Options::default();
    o.set_block_based_table_factory(&table);
    o.set_write_buffer_size(4 << 20);
    o.set_compression_type(DBCompressionType::Lz4);
    o
}
