//! The RocksDB instance: column families, shared memory budget, topic creation and deletion.
use std::path::Path;
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};

use prost::Message;
use rocksdb::{
    BlockBasedOptions, BottommostLevelCompaction, BoundColumnFamily, Cache, ColumnFamilyDescriptor, CompactOptions, DB,
    DBCompressionType, IteratorMode, Options, WriteBatch, WriteBufferManager, WriteOptions,
};

use super::direct_io;
use super::error::{StorageError, StorageResult};
use super::families::{self, Families, Family};
use super::keys;
use super::open_databases::OpenDatabase;
use super::rocksdb_ffi;
use crate::proto::meta::{PartitionMeta, TopicMeta};

pub const META_CF: &str = "meta";
pub const OFFSETS_CF: &str = "offsets";

/// The most partition families kept created ahead of need (see [`Store::top_up_spares`]): a
/// topic of up to this many partitions is created without creating families.
pub const SPARE_FAMILIES: u32 = 1000;

/// Memory and WAL limits shared by every column family: memory is bounded by these, not by the
/// number of partitions.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    pub block_cache_bytes: usize,
    pub write_buffer_total_bytes: usize,
    pub max_total_wal_bytes: u64,
    /// Flushes and compactions write SST files with O_DIRECT, bypassing the page cache (reads,
    /// compactions' included, still go through it).
    pub direct_io: bool,
    /// Bytes per second flushes and compactions may write; `None`: as fast as they can.
    pub flush_write_limit: Option<u64>,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            block_cache_bytes: 256 << 20,
            write_buffer_total_bytes: 256 << 20,
            max_total_wal_bytes: 1 << 30,
            direct_io: false,
            flush_write_limit: None,
        }
    }
}

/// One RocksDB database holding every topic of the broker.
pub struct Store {
    /// Writers hold it shared from resolving a partition's family to writing it; topic deletion
    /// holds it exclusively, so no write group ever writes to a family being emptied.
    /// Declared before `db`: owned family handles must be destroyed while the database is open.
    families: RwLock<Families>,
    pub(super) db: DB,
    /// The memtable budget shared by every family.
    write_buffers: WriteBufferManager,
    partition_opts: Options,
    /// Serializes topic creation and deletion (slot allocation).
    admin: Mutex<()>,
    /// Last: counts the database as open until it has closed.
    _open: OpenDatabase,
}

impl Store {
    /// Opens (or creates) the database at `path`, with every column family it holds. Partition
    /// families stay unbound until [`Store::attach_topics`].
    pub fn open(path: &Path, opts: &StoreOptions) -> StorageResult<Arc<Store>> {
        if opts.direct_io {
            direct_io::check_supported(path)?;
        }
        let cache = Cache::new_lru_cache(opts.block_cache_bytes);
        // Writers stall once memtables reach the budget, which keeps memory bounded by it. The
        // budget triggers a flush of every family at 7/8 full, leaving only 1/8 to fill while
        // 7/8 is flushed; the early flush (`housekeeping/early_flush.rs`) starts at 5/8, and see
        // `partition_options` for how a few busy partitions avoid that stall.
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
            } else if name == super::raft_log::RAFT_LOG_CF {
                super::raft_log::raft_log_options()
            } else {
                small_cf_options(&cache)
            };
            ColumnFamilyDescriptor::new(name, cf_opts)
        });
        let db = DB::open_cf_descriptors(&db_opts, path, descriptors)?;
        let families = RwLock::new(Families::adopt(&db, &names));
        rocksdb_ffi::give_freed_heap_back(); // open rewrote the OPTIONS file
        let store = Store {
            families,
            db,
            write_buffers: wbm,
            partition_opts,
            admin: Mutex::new(()),
            _open: OpenDatabase::count(),
        };
        Ok(Arc::new(store))
    }

    pub(super) fn cf(&self, name: &str) -> StorageResult<Arc<BoundColumnFamily<'_>>> {
        self.db.cf_handle(name).ok_or_else(|| StorageError::MissingPartition(name.to_string()))
    }

    /// The column family holding a partition; `MissingPartition` once its topic is deleted.
    pub(super) fn partition_family(&self, topic_id: u64, partition: u32) -> StorageResult<Arc<Family>> {
        self.families_read()
            .partition(topic_id, partition)
            .ok_or_else(|| StorageError::MissingPartition(format!("{topic_id}/{partition}")))
    }

    /// Shared access to the partition families, for a write group.
    pub(super) fn families_read(&self) -> RwLockReadGuard<'_, Families> {
        self.families.read().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn families_write(&self) -> RwLockWriteGuard<'_, Families> {
        self.families.write().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Binds every topic's partitions to their families; the families no topic names become
    /// free slots (left by a deleted topic, or by a crash during creation), which are returned.
    /// Partitions whose family is missing are logged: they cannot be served.
    pub fn attach_topics(&self, topics: &[TopicMeta]) -> Vec<u32> {
        let mut families = self.families_write();
        for (topic, partition) in families.attach(topics) {
            tracing::error!(topic, partition, "the partition's column family is missing; it cannot be served");
        }
        families.free_slots()
    }

    /// Reads every topic's metadata (in name order).
    pub fn load_topics(&self) -> StorageResult<Vec<TopicMeta>> {
        let mut topics = Vec::new();
        self.scan_meta(keys::topic_key_prefix(), |key, value| {
            topics.push(super::meta_scan::decode(key, value)?);
            Ok(())
        })?;
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

    /// Gives the topic's partitions column families (free slots first, the rest created in one
    /// call), then records the topic. Returns the record as stored, with its slots. A crash in
    /// between leaves only unreferenced families, which become free slots at the next open.
    pub fn create_topic(&self, topic: TopicMeta) -> StorageResult<TopicMeta> {
        self.add_partitions(TopicMeta { slots: Vec::new(), ..topic }, 0)
    }

    /// Rewrites a topic's record (configuration changes).
    pub fn update_topic(&self, topic: &TopicMeta) -> StorageResult<()> {
        let meta = self.cf(META_CF)?;
        let mut batch = WriteBatch::default();
        batch.put_cf(&meta, keys::topic_key(&topic.name), topic.encode_to_vec());
        self.write_synced(batch)
    }

    /// Gives partitions `from..topic.partitions` column families, then records the larger topic.
    pub fn add_partitions(&self, mut topic: TopicMeta, from: u32) -> StorageResult<TopicMeta> {
        let _admin = self.admin.lock().unwrap_or_else(|p| p.into_inner());
        topic.slots.truncate(from as usize);
        let slots = self.allocate_slots((topic.partitions - from) as usize)?;
        topic.slots.extend(&slots);
        if let Err(e) = self.update_topic(&topic) {
            self.families_write().give_back(slots);
            return Err(e);
        }
        let mut families = self.families_write();
        for (partition, slot) in (from..).zip(slots) {
            families.bind(topic.id, partition, slot);
        }
        Ok(topic)
    }

    /// Free slots first; the rest are new families, created in one RocksDB call (outside the
    /// families lock, so writers do not wait for RocksDB to rewrite its OPTIONS file).
    fn allocate_slots(&self, n: usize) -> StorageResult<Vec<u32>> {
        let mut slots = self.families_write().take_free(n);
        let missing = (n - slots.len()) as u32;
        if missing > 0 {
            match self.create_families(missing) {
                Ok(created) => slots.extend(created),
                Err(e) => {
                    self.families_write().give_back(slots);
                    return Err(e);
                }
            }
        }
        Ok(slots)
    }

    /// Creates `count` families in one RocksDB call; they are taken, not free. Families created
    /// before a failure become free slots.
    fn create_families(&self, count: u32) -> StorageResult<Vec<u32>> {
        let first = self.families_write().reserve_new(count);
        let (created, error) = families::create_many(&self.db, &self.partition_opts, first, count);
        let slots: Vec<u32> = created.iter().map(|f| f.slot).collect();
        let mut families = self.families_write();
        families.add_created(created);
        match error {
            Some(e) => {
                families.give_back(slots);
                Err(e)
            }
            None => Ok(slots),
        }
    }

    /// Creates free families ahead of need (as many as are in use, up to [`SPARE_FAMILIES`]),
    /// so that creating a topic does not wait for RocksDB to rewrite its OPTIONS file, whose
    /// size grows with the number of families. Run in the background; returns how many it made.
    pub fn top_up_spares(&self) -> StorageResult<u32> {
        // Held throughout: a topic created meanwhile waits for these spares rather than making
        // RocksDB rewrite its OPTIONS file a second time for its own.
        let _admin = self.admin.lock().unwrap_or_else(|p| p.into_inner());
        let missing = {
            let families = self.families_read();
            let target = families.in_use_count().min(SPARE_FAMILIES as usize);
            target.saturating_sub(families.free_count()) as u32
        };
        if missing == 0 {
            return Ok(0);
        }
        let created = self.create_families(missing)?;
        self.families_write().give_back(created.iter().copied());
        Ok(created.len() as u32)
    }

    /// Deletes the topic record, its partition state, its producers' states, its committed
    /// offsets and (by one range delete per partition) its records in one atomic write. Returns the emptied slots, which
    /// [`Store::reclaim`] compacts (freeing the disk) and then frees. An error means the topic
    /// still exists.
    pub fn delete_topic(&self, topic: &TopicMeta) -> StorageResult<Vec<u32>> {
        let _admin = self.admin.lock().unwrap_or_else(|p| p.into_inner());
        let meta = self.cf(META_CF)?;
        let offsets = self.cf(OFFSETS_CF)?;
        let mut families = self.families_write();
        let mut batch = WriteBatch::default();
        batch.delete_cf(&meta, keys::topic_key(&topic.name));
        let (producers_from, producers_to) = keys::producer_state_topic_range(topic.id);
        batch.delete_range_cf(&meta, producers_from, producers_to);
        for partition in 0..topic.partitions {
            batch.delete_cf(&meta, keys::partition_meta_key(topic.id, partition));
            if let Some(family) = families.partition(topic.id, partition) {
                batch.delete_range_cf(&*family, keys::offset_key(0), keys::END_OF_PARTITION_KEY);
            }
        }
        for item in self.db.iterator_cf(&offsets, IteratorMode::Start) {
            let (key, _) = item?;
            if keys::committed_offset_topic(&key) == Some(topic.name.as_bytes()) {
                batch.delete_cf(&offsets, key);
            }
        }
        self.write_synced(batch)?;
        Ok(families.unbind(topic).iter().map(|family| family.slot).collect())
    }

    /// Compacts emptied slots so their range-deleted records leave the disk (a range delete
    /// alone frees nothing until compaction reaches it), then, with `free`, frees the slots.
    /// Slots holding no files are skipped. Stops early, leaving the rest for the next open,
    /// when `stop` says so.
    pub fn reclaim(&self, slots: Vec<u32>, free: bool, stop: impl Fn() -> bool) {
        for &slot in &slots {
            if stop() {
                return;
            }
            let Some(family) = self.families_read().slot(slot) else { continue };
            self.compact_emptied(&family);
        }
        if free {
            self.families_write().give_back(slots);
        }
    }

    /// [`Store::reclaim`] of partitions still bound (a shard's rows this broker dropped).
    pub fn reclaim_partitions(&self, partitions: &[(u64, u32)]) {
        for &(topic_id, partition) in partitions {
            // Bound first: the families' lock is not held through the compaction.
            let family = self.families_read().partition(topic_id, partition);
            if let Some(family) = family {
                self.compact_emptied(&family);
            }
        }
    }

    /// Compacts a family whose records were range-deleted, so they leave the disk; one holding
    /// no files only has its memtable flushed (the covered records are dropped).
    fn compact_emptied(&self, family: &Family) {
        let holds_files = self.db.property_int_value_cf(family, "rocksdb.total-sst-files-size");
        if matches!(holds_files, Ok(Some(0))) {
            let _ = self.db.flush_cf(family);
            return;
        }
        let mut opts = CompactOptions::default();
        opts.set_bottommost_level_compaction(BottommostLevelCompaction::Force);
        let (start, end) = (keys::offset_key(0), keys::END_OF_PARTITION_KEY);
        self.db.compact_range_cf_opt(family, Some(&start[..]), Some(&end[..]), &opts);
    }

    /// Bytes of memtables now held, and the budget they are held to.
    pub fn memtable_usage(&self) -> (usize, usize) {
        (self.write_buffers.get_usage(), self.write_buffers.get_buffer_size())
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
    // No periodic statistics dump to the LOG (RocksDB's default: every 10 minutes, the first
    // soon after open). It formats every family's stats into one string: with 10,000
    // partitions ~70 MiB allocated at once (page-fault profile of a restart), which made up a
    // quarter of the restarted broker's peak over its idle RSS. The broker exports what
    // operators watch as metrics instead.
    o.set_stats_dump_period_sec(0);
    o.set_max_log_file_size(64 << 20);
    // Bounded, not -1: with thousands of partitions, keeping every SST open would exhaust file
    // descriptors and make open read every file's footer.
    o.set_max_open_files(4096);
    // When the write-buffer manager's budget is reached, flush every family's memtable in one
    // job (one MANIFEST commit, one WAL switch) instead of one family at a time: with writes
    // spread over thousands of partitions, per-family flushes each cost a WAL switch and a
    // MANIFEST sync for a few kilobytes of data.
    o.set_atomic_flush(true);
    rocksdb_ffi::avoid_flush_during_recovery(&mut o);
    // Write SST files back 1 MiB at a time, waiting for each (strict), instead of leaving tens
    // of MiB dirty for one final sync: on ext4 a WAL fdatasync that commits the journal waits
    // for the other files' dirty data too, so a memtable flush showed up as 40-120 ms ack
    // stalls. A probe on this disk (100 KiB append + fdatasync every 4 ms, next to a 32 MiB
    // file being written): fsync p99 13.7 ms, 5.6 ms with that file synced every 1 MiB.
    o.set_bytes_per_sync(1 << 20);
    rocksdb_ffi::strict_bytes_per_sync(&mut o);
    // Reuse old WAL files: an fdatasync overwriting blocks already allocated needs no inode
    // update (fsync p50 1.4 -> 0.4 ms here), and a memtable switch creates no file.
    o.set_recycle_log_file_num(4);
    // Page-cache pages this VM has not touched lately are expensive to fill: writing a 2 GiB new
    // file took 5.0-6.9 s of system CPU, rewriting it in place 0.27 s, and with O_DIRECT
    // 0.68 s. SST files are written once and read by consumers that fell behind; direct I/O
    // trades the page cache (fast catch-up of recent SSTs) for that CPU. Off by default.
    o.set_use_direct_io_for_flush_and_compaction(opts.direct_io);
    // A 16 MiB flush written at full speed competes with the WAL's fdatasyncs: at 50 MiB/s into
    // one partition the end-to-end p99 was 5.3-5.7 ms unlimited, 3.3-3.5 ms at 200 MiB/s. But a
    // sustained load above the limit fills the memtables and stalls writers, so it is opt-in.
    if let Some(rate) = opts.flush_write_limit {
        o.set_ratelimiter(i64::try_from(rate).unwrap_or(i64::MAX), 10_000, 10);
    }
    o
}

/// Memtables a family may hold, the active one included, before RocksDB stops every write (at
/// one fewer it slows writes to `delayed_write_rate`). RocksDB's default, 2, stopped writes
/// whenever a family was switched again while its last memtable was still being flushed:
/// `meta` is in every early flush and in RocksDB's own, and with writes spread over 1,000
/// partitions that cost 0.5-1 s of stalls per 10 s (bench-scale); with 4, none were seen. The
/// write-buffer manager's budget still bounds their memory.
pub(super) const MEMTABLES_PER_FAMILY: i32 = 4;

/// Partition families hold already-batched values that are read sequentially.
fn partition_options(cache: &Cache) -> Options {
    let mut table = BlockBasedOptions::default();
    table.set_block_cache(cache);
    table.set_block_size(64 << 10);
    // Index blocks live in (and are bounded by) the shared block cache, not per open file.
    table.set_cache_index_and_filter_blocks(true);
    let mut o = Options::default();
    o.set_block_based_table_factory(&table);
    // A family flushes at 16 MiB, and with it every family (atomic_flush): with 8 busy
    // partitions that is at half the default 256 MiB budget, so writers have the other half to
    // fill while the flush runs. At 32 MiB, 8 busy partitions reached the budget's own trigger
    // at 7/8 and producers stalled ~1 s at every flush (8 producers: p99.9 1,095 ms at 32 MiB,
    // 71 ms at 16 MiB, same hour).
    o.set_write_buffer_size(16 << 20);
    o.set_max_write_buffer_number(MEMTABLES_PER_FAMILY);
    // The write-buffer manager charges memtables by arena block (default: write_buffer_size/8
    // = 4 MiB); with small blocks, a thousand partitions each holding a little data are not
    // counted as gigabytes and flushed early.
    o.set_arena_block_size(256 << 10);
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
    o.set_max_write_buffer_number(MEMTABLES_PER_FAMILY);
    o.set_compression_type(DBCompressionType::Lz4);
    o
}
