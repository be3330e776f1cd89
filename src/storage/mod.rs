//! RocksDB storage: one column family per partition keyed by big-endian base offset, one value
//! per produced batch (Kafka's RecordBatch v2 layout with CRC-32C), plus `meta` (topics,
//! partition log starts, idempotent producers) and `offsets` (committed consumer offsets).
//!
//! Nothing here knows about gRPC or the commit loop; the broker decides when to write and how
//! durably, this module only does it. `housekeeping/` holds the background threads that tend
//! RocksDB (early flushes, heap trims, family upkeep, WAL syncs); the broker starts them.
pub mod batch;
mod checkpoint;
mod compression;
mod db;
mod direct_io;
mod dump;
mod error;
mod families;
mod flush_fullest;
pub mod free_space;
pub(crate) mod housekeeping;
mod identity;
pub mod keys;
mod meta_scan;
mod offsets;
mod open_databases;
mod partition_log;
mod producers;
mod raft_log;
mod shard_copy;
// The one module with `unsafe` for RocksDB: the C API calls rust-rocksdb lacks (creating many
// families at once, integer properties, two option setters) and malloc_trim, as safe functions.
#[allow(unsafe_code)]
mod rocksdb_ffi;
mod stats;
#[cfg(test)]
mod test_store;
mod truncate;
pub mod varint;
mod write_group;

pub use db::{Store, StoreOptions};
pub use dump::StoreDump;
pub use error::{StorageError, StorageResult};
pub use flush_fullest::{Flushed, SliceAges};
pub use identity::{FORMAT_VERSION, IdentityError};
pub use offsets::GroupOffset;
pub use open_databases::wait_until_all_closed;
pub use partition_log::ReadBounds;
pub use producers::StoredProducers;
pub use raft_log::RAFT_LOG_CF;
pub use rocksdb_ffi::give_freed_heap_back;
pub use shard_copy::ShardRow;
pub use stats::RocksStats;
pub use truncate::BatchExtent;
pub use write_group::{PartitionCf, WriteGroup};
