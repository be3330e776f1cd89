//! Apply: turns commit-log ops into one atomic RocksDB write each group, then publishes what
//! readers may see. Offsets are assigned here, from each partition's own next offset, so a
//! replica applying the same ops assigns the same ones; apply reads nothing but the ops and the
//! state earlier ops left (partition extents, the producer table), never a clock.
//!
//! The producer table's changes staged by a group take effect only if its write succeeded, and
//! readers see new high watermarks only after it.
mod op;
mod stage;

use std::collections::HashMap;
use std::sync::Arc;

pub use op::{Appended, Applied, Op};

use super::producers::{self, ProducerLimits, ProducerTable};
use super::topics::Topics;
use crate::error::Result;
use crate::metrics as m;
use crate::storage::{StorageError, Store, WriteGroup};
use stage::{Staging, Touched};

/// Everything apply reads and changes.
pub struct Applier {
    pub store: Arc<Store>,
    pub topics: Arc<Topics>,
    pub producers: ProducerTable,
    pub producer_limits: ProducerLimits,
    /// Written into each appended batch's leader-epoch field: the Raft term of the entry being
    /// applied (the same on every replica), 0 for a single broker.
    pub leader_epoch: i32,
    /// This table's share of the producer-state gauges.
    pub published: producers::Published,
}

impl Applier {
    /// Every partition (topic id, index) `shard` carries, of the topics known here.
    pub fn partitions_of(&self, shards: super::shards::Shards, shard: u64) -> Vec<(u64, u32)> {
        let topics = self.topics.snapshot();
        let all = topics.iter().flat_map(|t| (0..t.meta.partitions).map(move |p| (t.meta.id, p)));
        all.filter(|&(topic_id, partition)| shards.of_partition(topic_id, partition) == shard).collect()
    }

    /// Applies `ops` in one atomic write, with the raw `meta` records `marks` (a replicated log's
    /// applied state); with `sync`, the WAL is fsynced before it returns. Returns each op's
    /// result: a failed op changed nothing, and if the write itself failed, every op failed and
    /// nothing changed.
    pub fn apply(
        &mut self,
        ops: &mut [Op],
        marks: &[(Vec<u8>, Vec<u8>)],
        sync: impl Fn(&[Result<Applied>]) -> bool,
    ) -> Vec<Result<Applied>> {
        let count = ops.len();
        self.try_apply(ops, marks, sync).unwrap_or_else(|e| failed(count, &e))
    }

    /// [`Applier::apply`], with a failed write as an error of its own: a replica must stop
    /// there, since the entry is not applied and later ones would build on its absence.
    pub fn try_apply(
        &mut self,
        ops: &mut [Op],
        marks: &[(Vec<u8>, Vec<u8>)],
        sync: impl Fn(&[Result<Applied>]) -> bool,
    ) -> Result<Vec<Result<Applied>>, StorageError> {
        let store = self.store.clone();
        let mut group = WriteGroup::new(&store)?;
        let mut touched: HashMap<(u64, u32), Touched> = HashMap::new();
        let mut staging = Staging {
            group: &mut group,
            topics: &self.topics,
            touched: &mut touched,
            producers: &mut self.producers,
            limits: &self.producer_limits,
            leader_epoch: self.leader_epoch,
        };
        let results: Vec<Result<Applied>> = ops.iter_mut().map(|op| staging.stage(op)).collect();
        for ((topic_id, partition), t) in &touched {
            group.set_partition_meta(*topic_id, *partition, &t.meta());
        }
        producers::stage_writes(&self.producers, &mut group);
        for (key, value) in marks {
            group.put_meta(key, value);
        }
        let sync = sync(&results);
        let started = std::time::Instant::now();
        let bytes = group.size_in_bytes();
        let written = if group.is_empty() { Ok(()) } else { group.commit(sync) };
        metrics::histogram!(m::COMMIT_BATCH_JOBS).record(ops.len() as f64);
        metrics::histogram!(m::COMMIT_BATCH_BYTES).record(bytes as f64);
        if sync {
            metrics::histogram!(m::WAL_SYNC_DURATION).record(started.elapsed().as_secs_f64());
        }
        if let Err(e) = written {
            self.producers.rollback();
            return Err(e);
        }
        producers::commit(&mut self.producers, &mut self.published);
        for t in touched.values() {
            t.publish();
        }
        // A data shard's table may still hold a deleted topic's states on one replica and not on
        // another (a restart drops them): its size differs, so only time expires its states.
        if self.producers.issues_ids() && self.producers.size().2 > self.producer_limits.max_bytes {
            self.evict_producers(ops);
        }
        Ok(results)
    }

    /// Brings the producer table back under its memory limit at once, in a write of its own.
    /// Its clock is the newest the ops carried, so a replica evicts the same producers.
    fn evict_producers(&mut self, ops: &[Op]) {
        let now_ms = ops.iter().filter_map(Op::now_ms).max().unwrap_or(i64::MIN);
        self.apply(&mut [Op::ExpireProducers { now_ms }], &[], |_| false);
    }
}

/// Every op of a group whose write failed: none of it happened.
fn failed(count: usize, e: &StorageError) -> Vec<Result<Applied>> {
    let error = super::storage_errors::write_failed(e, count);
    (0..count).map(|_| Err(error())).collect()
}
