//! The one place a storage failure becomes what a client sees. Storage errors carry detail a
//! client must not get (paths, RocksDB's messages): it is logged here, once, and the client
//! gets the kind (the topic is gone, the data is corrupt, the disk is full, an internal error).
use crate::error::Error;
use crate::metrics as m;
use crate::storage::StorageError;

/// A failure outside any one partition's data (the catalog, committed offsets, statistics).
pub(crate) fn internal(e: StorageError) -> Error {
    tracing::error!(error = %e, "storage error");
    kind(e)
}

/// A failure while serving `topic`/`partition`: a missing family is a deleted topic, a corrupt
/// batch is data loss at its offset (counted for the dashboards).
pub(crate) fn in_partition(topic: &str, partition: u32, e: StorageError) -> Error {
    match e {
        StorageError::MissingPartition(_) => Error::TopicNotFound(topic.to_string()),
        StorageError::CorruptBatch { offset, .. } => {
            tracing::error!(topic, partition, offset, error = %e, "corrupt batch");
            metrics::counter!(m::CORRUPT_BATCHES, "topic" => topic.to_string()).increment(1);
            Error::Corrupt { topic: topic.to_string(), partition, offset }
        }
        other => {
            tracing::error!(topic, partition, error = %other, "storage error while serving this partition");
            kind(other)
        }
    }
}

/// A group's write that failed: every op in it fails with what this makes (logged once for
/// the group, not per op).
pub(crate) fn write_failed(e: &StorageError, ops: usize) -> fn() -> Error {
    tracing::error!(error = %e, ops, "group write failed; nothing in it was applied");
    if e.is_no_space() { || Error::DiskFull } else { || Error::WriteFailed }
}

fn kind(e: StorageError) -> Error {
    if e.is_no_space() { Error::DiskFull } else { Error::Storage(e) }
}
