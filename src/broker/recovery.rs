//! Rebuilding the in-memory topic map from RocksDB at open.
use std::collections::HashMap;
use std::sync::Arc;

use super::partition::{PartitionExtent, PartitionState};
use super::topic::Topic;
use crate::storage::{StorageResult, Store};

pub type TopicMap = HashMap<String, Arc<Topic>>;

/// Loads every topic; each partition's next offset comes from its newest batch (base offset +
/// record count), or from its log start when retention emptied it. Also returns the free
/// column family slots (which may still hold a deleted topic's files).
pub fn recover_topics(store: &Store) -> StorageResult<(TopicMap, Vec<u32>)> {
    let metas = store.load_topics()?;
    let free = store.attach_topics(&metas);
    tracing::debug!(free = free.len(), "partition column families free for new topics");
    let mut topics = HashMap::with_capacity(metas.len());
    for meta in metas {
        let mut partitions = Vec::with_capacity(meta.partitions as usize);
        for partition in 0..meta.partitions {
            let state = store.load_partition_meta(meta.id, partition)?;
            let last = store.last_batch_header(meta.id, partition)?;
            let extent = PartitionExtent {
                log_start: state.log_start_offset,
                first_batch: state.first_batch_offset,
                high_watermark: last.map_or(0, |h| h.next_offset()).max(state.log_start_offset),
                size_bytes: state.size_bytes,
            };
            partitions.push(Arc::new(PartitionState::new(meta.id, meta.name.as_str().into(), partition, extent)));
        }
        topics.insert(meta.name.clone(), Arc::new(Topic::new(meta, partitions)));
    }
    Ok((topics, free))
}
