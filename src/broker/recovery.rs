//! Rebuilding the in-memory topic map from RocksDB at open.
use super::shards::{META_SHARD, Shards};
use std::sync::Arc;

use super::apply::Applier;
use super::partition::{PartitionExtent, PartitionState};
use super::producers::{self, ProducerTable};
use super::topic::Topic;
use super::topics::Topics;
use crate::proto::meta::TopicMeta;
use crate::storage::{StorageResult, Store};

/// Threads reading partitions' state at open: a data dir written before the next offset was
/// persisted has each read open SST files (seek to the newest batch), so with thousands of
/// partitions the reads overlap I/O as well as using every core.
const RECOVERY_THREADS: usize = 4;

/// Loads every topic; each partition's next offset comes from its persisted state (or, in an
/// older data dir, its newest batch: base offset + record count), and is at least its log
/// start. Also returns the free column family slots (which may still hold a deleted topic's
/// files).
pub fn recover_topics(store: &Store) -> StorageResult<(Topics, Vec<u32>)> {
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
    let topics = Topics::default();
    for meta in metas {
        let name: Arc<str> = meta.name.as_str().into();
        let partitions = (0..meta.partitions)
            .zip(extents.by_ref())
            .map(|(partition, extent)| Arc::new(PartitionState::new(meta.id, name.clone(), partition, extent)))
            .collect();
        topics.insert(Arc::new(Topic::new(meta, partitions)));
    }
    Ok((topics, free))
}

/// Loads the idempotent producers' windows in the partitions `shard` carries from `meta`
/// (states of deleted topics are left out), and if it issues producer ids (the metadata
/// shard), the ids.
pub fn recover_producers(store: &Store, topics: &Topics, shards: Shards, shard: u64) -> StorageResult<ProducerTable> {
    let live = topics.snapshot().iter().map(|t| t.meta.id).collect();
    let carried = |topic_id: u64, partition: u32| shards.of_partition(topic_id, partition) == shard;
    let table = producers::recover(store.load_producers()?, &live, carried, shard == META_SHARD);
    let (ids, states, bytes) = table.size();
    tracing::debug!(ids, states, bytes, "idempotent producers recovered");
    Ok(table)
}

/// After a copy of `shard` replaced its partitions' rows: each partition's extent and the
/// shard's producer windows read again from the store.
pub fn reload_shard(applier: &mut Applier, shards: Shards, shard: u64) -> StorageResult<()> {
    for (topic_id, partition) in applier.partitions_of(shards, shard) {
        if let Some(state) = applier.topics.partition(topic_id, partition) {
            state.reset(extent(&applier.store, topic_id, partition)?);
        }
    }
    applier.producers = recover_producers(&applier.store, &applier.topics, shards, shard)?;
    Ok(())
}

fn extent(store: &Store, topic_id: u64, partition: u32) -> StorageResult<PartitionExtent> {
    let state = store.load_partition_meta(topic_id, partition)?;
    let next_offset = match state.next_offset {
        Some(next) => next,
        // Written before the next offset was persisted: the newest batch says.
        None => store.last_batch_header(topic_id, partition)?.map_or(0, |h| h.next_offset()),
    };
    Ok(PartitionExtent {
        log_start: state.log_start_offset,
        first_batch: state.first_batch_offset,
        high_watermark: next_offset.max(state.log_start_offset),
        size_bytes: state.size_bytes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::meta::PartitionMeta;
    use crate::storage::batch::{NewRecord, encode_batch, set_base_offset};
    use crate::storage::{StoreOptions, WriteGroup};

    /// Writes a batch of `count` records at `base` into partition 0 of topic 7, with `meta` (if
    /// any) in the same write.
    fn append(store: &Store, base: i64, count: usize, meta: Option<PartitionMeta>) {
        let records: Vec<NewRecord<'_>> =
            (0..count).map(|_| NewRecord { key: None, value: b"v", headers: &[], timestamp_ms: 1 }).collect();
        let mut batch = encode_batch(&records);
        set_base_offset(&mut batch, base);
        let mut group = WriteGroup::new(store).expect("group");
        let cf = group.partition(7, 0).expect("partition cf");
        group.append(&cf, base, &batch);
        drop(cf);
        if let Some(meta) = meta {
            group.set_partition_meta(7, 0, &meta);
        }
        group.commit(true).expect("write");
    }

    fn recovered_high_watermark(store: &Store) -> i64 {
        let (topics, _) = recover_topics(store).expect("recover");
        topics.by_name("t").expect("topic t").partition(0).expect("partition 0").high_watermark()
    }

    #[test]
    fn the_next_offset_comes_from_the_persisted_state_or_else_the_newest_batch() {
        let dir = tempfile::tempdir().expect("dir");
        let store = Store::open(dir.path(), &StoreOptions::default()).expect("open");
        store.create_topic(TopicMeta { id: 7, name: "t".into(), partitions: 1, ..Default::default() }).expect("create");

        // A data dir from before the next offset was persisted: the newest batch's header says.
        append(&store, 0, 3, Some(PartitionMeta { size_bytes: 1, ..Default::default() }));
        append(&store, 3, 2, None);
        assert_eq!(recovered_high_watermark(&store), 5);

        // Persisted in the same write as the batch.
        let meta = PartitionMeta { next_offset: Some(9), ..Default::default() };
        append(&store, 5, 4, Some(meta));
        assert_eq!(recovered_high_watermark(&store), 9);

        // Never below the log start (retention emptied the log).
        let meta = PartitionMeta { log_start_offset: 12, first_batch_offset: 12, next_offset: Some(9), size_bytes: 0 };
        append(&store, 9, 1, Some(meta));
        assert_eq!(recovered_high_watermark(&store), 12);
    }
}
