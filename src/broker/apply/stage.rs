//! Staging one op into a group's write: everything that can fail is checked before the first
//! write is staged, so a failed op adds nothing.
use std::collections::HashMap;
use std::sync::Arc;

use super::super::commit_loop::Truncated;
use super::super::partition::PartitionState;
use super::super::producers::{self, ProducerLimits, ProducerTable, Verdict};
use super::super::storage_errors;
use super::super::topics::Topics;
use super::{Appended, Applied, Op};
use crate::error::{Error, Result};
use crate::proto::meta::PartitionMeta;
use crate::storage::{PartitionCf, WriteGroup, batch};

/// What the group did to one partition.
pub(super) struct Touched {
    state: Arc<PartitionState>,
    next_offset: i64,
    added_bytes: u64,
    log_start: i64,
    first_batch: i64,
    removed_bytes: u64,
}

impl Touched {
    fn new(state: &Arc<PartitionState>) -> Self {
        Touched {
            state: state.clone(),
            next_offset: state.high_watermark(),
            added_bytes: 0,
            log_start: state.log_start(),
            first_batch: state.first_batch(),
            removed_bytes: 0,
        }
    }

    pub(super) fn meta(&self) -> PartitionMeta {
        PartitionMeta {
            log_start_offset: self.log_start,
            size_bytes: (self.state.size_bytes() + self.added_bytes).saturating_sub(self.removed_bytes),
            first_batch_offset: self.first_batch,
            next_offset: Some(self.next_offset),
        }
    }

    pub(super) fn publish(&self) {
        if self.added_bytes > 0 {
            self.state.publish_append(self.next_offset, self.added_bytes);
        }
        if self.log_start != self.state.log_start() || self.removed_bytes > 0 {
            self.state.publish_truncate(self.log_start, self.first_batch, self.removed_bytes);
        }
    }
}

/// What staging reads and changes besides the write itself.
pub(super) struct Staging<'a, 'g> {
    pub group: &'a mut WriteGroup<'g>,
    pub topics: &'a Topics,
    pub touched: &'a mut HashMap<(u64, u32), Touched>,
    pub producers: &'a mut ProducerTable,
    pub limits: &'a ProducerLimits,
    pub leader_epoch: i32,
}

impl Staging<'_, '_> {
    /// Adds one op's writes to the group.
    pub(super) fn stage(&mut self, op: &mut Op) -> Result<Applied> {
        match op {
            Op::Append { topic, topic_id, now_ms, batches } => self.append(topic, *topic_id, *now_ms, batches),
            Op::CommitOffsets { group: name, topic, topic_id, offsets } => {
                if self.group.partition(*topic_id, 0).is_none() {
                    return Err(Error::TopicNotFound(topic.clone()));
                }
                for (partition, value) in offsets.iter() {
                    self.group.commit_offset(name, topic, *partition, value);
                }
                Ok(Applied::Done)
            }
            Op::Truncate { topic, topic_id, partition, log_start, first_batch, batches } => {
                let (cf, state) = self.resolve(topic, *topic_id, *partition)?;
                let entry = self.touched.entry((*topic_id, *partition)).or_insert_with(|| Touched::new(&state));
                if *log_start <= entry.log_start {
                    return Ok(Applied::Truncated(Truncated::default()));
                }
                // Batches planned before an earlier truncation may already be gone: count only
                // those still above the current floor.
                let (from, to) = (entry.first_batch, (*first_batch).max(entry.first_batch));
                let bytes =
                    batches.iter().filter(|b| b.base_offset >= from && b.base_offset < to).map(|b| b.bytes).sum();
                if to > from {
                    self.group.delete_range(&cf, from, to);
                }
                let records = *log_start - entry.log_start;
                entry.log_start = *log_start;
                entry.first_batch = to;
                entry.removed_bytes += bytes;
                Ok(Applied::Truncated(Truncated { from, to, records, bytes }))
            }
            Op::InitProducer { name, renewing, now_ms } => {
                producers::init(self.producers, name.as_deref(), *renewing, *now_ms).map(Applied::Producer)
            }
            Op::ExpireProducers { now_ms } => {
                producers::expire(self.producers, self.limits, *now_ms);
                Ok(Applied::Done)
            }
            Op::ForgetTopic { topic_id } => {
                self.producers.forget_topic(*topic_id);
                Ok(Applied::Done)
            }
            Op::DeleteGroupOffsets { group, only } => {
                let only = only.as_ref().map(|(topic, partitions)| (topic.as_str(), partitions.as_slice()));
                let deleted = self.group.delete_group_offsets(group, only).map_err(storage_errors::internal)?;
                Ok(Applied::Deleted(deleted))
            }
        }
    }

    fn append(&mut self, topic: &str, topic_id: u64, now_ms: i64, batches: &mut [(u32, Vec<u8>)]) -> Result<Applied> {
        let mut resolved = Vec::with_capacity(batches.len());
        for (partition, bytes) in batches.iter() {
            let (cf, state) = self.resolve(topic, topic_id, *partition)?;
            let header = batch::read_header(bytes).map_err(|e| Error::invalid("records", e.to_string()))?;
            resolved.push((cf, state, header));
        }
        let sequenced = match &resolved[..] {
            [(_, state, header)] => producers::check(self.producers, state, header)?,
            headers if headers.iter().any(|(_, _, h)| h.producer_id >= 0) => {
                return Err(Error::invalid("records", "an idempotent produce writes exactly one partition"));
            }
            _ => None,
        };
        if let Some((_, Verdict::Duplicate { base_offset })) = sequenced {
            return Ok(Applied::Appended(vec![Appended { base_offset, duplicate: true }]));
        }
        let mut bases = Vec::with_capacity(batches.len());
        for ((partition, bytes), (cf, state, header)) in batches.iter_mut().zip(resolved) {
            let entry = self.touched.entry((topic_id, *partition)).or_insert_with(|| Touched::new(&state));
            batch::set_base_offset(bytes, entry.next_offset);
            batch::set_leader_epoch(bytes, self.leader_epoch);
            self.group.append(&cf, entry.next_offset, bytes);
            bases.push(Appended { base_offset: entry.next_offset, duplicate: false });
            entry.next_offset += i64::from(header.last_offset_delta) + 1;
            entry.added_bytes += bytes.len() as u64;
        }
        if let Some((s, _)) = sequenced {
            self.producers.record(s.key, s.epoch, s.first, s.count, bases[0].base_offset, now_ms);
        }
        Ok(Applied::Appended(bases))
    }

    /// A partition's family and state; the topic may have been deleted while the op waited.
    fn resolve(&self, topic: &str, topic_id: u64, partition: u32) -> Result<(PartitionCf, Arc<PartitionState>)> {
        let deleted = || Error::TopicNotFound(topic.to_string());
        let cf = self.group.partition(topic_id, partition).ok_or_else(deleted)?;
        let state = self.topics.partition(topic_id, partition).ok_or_else(deleted)?;
        Ok((cf, state))
    }
}
