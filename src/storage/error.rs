//! What can go wrong below the broker. The broker turns these into its own [`crate::Error`].
use super::batch::BatchError;

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// RocksDB refused an operation (I/O error, read-only after a failed write, ...).
    #[error("rocksdb: {0}")]
    Rocks(#[from] rocksdb::Error),
    /// RocksDB refused to create partition column families (reported through its C API).
    #[error("rocksdb: creating column families: {0}")]
    CreateFamilies(String),
    /// A partition's column family is gone: its topic was deleted while the request was queued.
    #[error("partition column family {0} does not exist")]
    MissingPartition(String),
    /// A stored batch failed its format or CRC check. Never served as data.
    #[error("corrupt batch at offset {offset} in {cf}: {source}")]
    CorruptBatch { cf: String, offset: i64, source: BatchError },
    /// A key in a partition column family is not an 8-byte offset.
    #[error("unexpected key {key:02x?} in {cf}")]
    BadKey { cf: String, key: Vec<u8> },
    /// Direct I/O was asked for, and the data dir's filesystem cannot open files with O_DIRECT.
    #[error(
        "--direct-io: cannot open a file with O_DIRECT in {} ({source}); start without \
         --direct-io, or put the data dir on a filesystem that supports it (ext4, xfs)",
        dir.display()
    )]
    DirectIoUnsupported { dir: std::path::PathBuf, source: std::io::Error },
    /// A metadata value does not decode.
    #[error("corrupt metadata {what}: {source}")]
    CorruptMeta { what: String, source: prost::DecodeError },
}

impl StorageError {
    /// True when the filesystem is full: RocksDB then refuses writes until space returns.
    pub fn is_no_space(&self) -> bool {
        match self {
            StorageError::Rocks(e) => e.as_ref().contains("No space left"),
            StorageError::CreateFamilies(message) => message.contains("No space left"),
            _ => false,
        }
    }
}

pub type StorageResult<T> = Result<T, StorageError>;
