//! Rebuilding the in-memory topic map from RocksDB at open.
use std::collections::HashMap;
use std::sync::Arc;

use super::partition::{PartitionExtent, PartitionState};
use super::topic::Topic;
use crate::proto::meta::TopicMeta;
use crate::storage::{StorageResult, Store};

pub type TopicMap = HashMap<String, Arc<Topic>>;

/// Threads reading partitions' state at open: each read opens SST files (seek to the newest
/// batch), so with thousands of partitions the reads overlap I/O as well as using every core.
const RECOVERY_THREADS: usize = 4;

/// Loads every topic; each partition's next offset comes from its newest batch (base offset +
/// record count), or from its log start when retention emptied it. Also returns the free
/// column family slots (which may still hold a deleted topic's files).
pub fn recover_topics(store: &Store) -> StorageResult<(TopicMap, Vec<u32>)> {
    let metas = store.load_topics()?;
    let free = store.attach_topics(&metas);
    tracing::debug!(free = free.len(), "partition column families free for new topics");
    let all: Vec<(&TopicMeta, u32)> = metas.iter().flat_map(|m| (0..m.partitions).map(move |p| (m, p))).collect();
    let chunk = all.len().div_ceil(RECOVERY_THREADS).max(1);
    let extents: Vec<PartitionExtent> = std::thread::scope(|scope| {
        let workers: Vec<_> = all
            .chunks(chunk)
            .map(|part| scope.spawn(move || part.iter().map(|&(m, p)| extent(store, m.id, p)).collect::<Vec<_>>()))
            .collect();
        let mut extents = Vec::with_capacity(all.len());
        for worker in workers {
            match worker.join() {
                Ok(part) => extents.extend(part),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        extents.into_iter().collect::<StorageResult<Vec<_>>>()
    })?;
    let mut extents = extents.into_iter();
    let mut topics = HashMap::with_capacity(metas.len());
    for meta in metas {
        let name: Arc<str> = meta.name.as_str().into();
        let partitions = (0..meta.partitions)
            .zip(extents.by_ref())
            .map(|(partition, extent)| Arc::new(PartitionState::new(meta.id, name.clone(), partition, extent)))
            .collect();
        topics.insert(meta.name.clone(), Arc::new(Topic::new(meta, partitions)));
    }
    Ok((topics, free))
}

fn extent(store: &Store, topic_id: u64, partition: u32) -> StorageResult<PartitionExtent> {
    let state = store.load_partition_meta(topic_id, partition)?;
    let last = store.last_batch_header(topic_id, partition)?;
    Ok(PartitionExtent {
        log_start: state.log_start_offset,
        first_batch: state.first_batch_offset,
        high_watermark: last.map_or(0, |h| h.next_offset()).max(state.log_start_offset),
        size_bytes: state.size_bytes,
    })
}
