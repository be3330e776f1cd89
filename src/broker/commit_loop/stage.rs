//! Staging one job into a group's write: everything that can fail is checked before the first
//! write is staged, so a failed job adds nothing.
use std::collections::HashMap;
use std::sync::Arc;

use super::{Appended, Job, Truncated};
use crate::broker::partition::PartitionState;
use crate::broker::producers::{self, Identity, ProducerLimits, ProducerTable, Verdict};
use crate::error::{Error, Result};
use crate::proto::meta::PartitionMeta;
use crate::storage::{WriteGroup, batch};

/// What staging a job produced, for its answer.
pub(super) enum Staged {
    Appended(Vec<Appended>),
    Truncated(Truncated),
    Producer(Identity),
    Done,
}

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

/// Adds one job's writes to the group.
pub(super) fn stage(
    group: &mut WriteGroup<'_>,
    touched: &mut HashMap<(u64, u32), Touched>,
    producers: &mut ProducerTable,
    limits: &ProducerLimits,
    job: &mut Job,
) -> Result<Staged> {
    match job {
        Job::Append { appends, now_ms, .. } => {
            let mut resolved = Vec::with_capacity(appends.len());
            for append in appends.iter() {
                let p = &append.partition;
                let cf = group.partition(p.topic_id, p.partition).ok_or_else(|| deleted(p))?;
                let header = batch::read_header(&append.batch).map_err(|e| Error::invalid("records", e.to_string()))?;
                resolved.push((cf, header));
            }
            let sequenced = match (&appends[..], &resolved[..]) {
                ([append], [(_, header)]) => producers::check(producers, &append.partition, header)?,
                (_, headers) if headers.iter().any(|(_, h)| h.producer_id >= 0) => {
                    return Err(Error::invalid("records", "an idempotent produce writes exactly one partition"));
                }
                _ => None,
            };
            if let Some((_, Verdict::Duplicate { base_offset })) = sequenced {
                return Ok(Staged::Appended(vec![Appended { base_offset, duplicate: true }]));
            }
            let mut bases = Vec::with_capacity(appends.len());
            for (append, (cf, header)) in appends.iter_mut().zip(resolved) {
                let p = &append.partition;
                let entry = touched.entry((p.topic_id, p.partition)).or_insert_with(|| Touched::new(p));
                batch::set_base_offset(&mut append.batch, entry.next_offset);
                group.append(&cf, entry.next_offset, &append.batch);
                bases.push(Appended { base_offset: entry.next_offset, duplicate: false });
                entry.next_offset += i64::from(header.last_offset_delta) + 1;
                entry.added_bytes += append.batch.len() as u64;
            }
            if let Some((sequenced, _)) = sequenced {
                producers.record(
                    sequenced.key,
                    sequenced.epoch,
                    sequenced.first,
                    sequenced.count,
                    bases[0].base_offset,
                    *now_ms,
                );
            }
            Ok(Staged::Appended(bases))
        }
        Job::CommitOffsets { group: name, topic, topic_id, offsets, .. } => {
            if group.partition(*topic_id, 0).is_none() {
                return Err(Error::TopicNotFound(topic.clone()));
            }
            for (partition, value) in offsets.iter() {
                group.commit_offset(name, topic, *partition, value);
            }
            Ok(Staged::Done)
        }
        Job::Truncate { partition: p, log_start, first_batch, batches, .. } => {
            let cf = group.partition(p.topic_id, p.partition).ok_or_else(|| deleted(p))?;
            let entry = touched.entry((p.topic_id, p.partition)).or_insert_with(|| Touched::new(p));
            if *log_start <= entry.log_start {
                return Ok(Staged::Truncated(Truncated::default()));
            }
            // Batches planned before an earlier truncation may already be gone: count only
            // those still above the current floor.
            let (from, to) = (entry.first_batch, (*first_batch).max(entry.first_batch));
            let bytes = batches.iter().filter(|b| b.base_offset >= from && b.base_offset < to).map(|b| b.bytes).sum();
            if to > from {
                group.delete_range(&cf, from, to);
            }
            let records = *log_start - entry.log_start;
            entry.log_start = *log_start;
            entry.first_batch = to;
            entry.removed_bytes += bytes;
            Ok(Staged::Truncated(Truncated { from, to, records, bytes }))
        }
        Job::InitProducer { name, renewing, now_ms, .. } => {
            producers::init(producers, name.as_deref(), *renewing, *now_ms).map(Staged::Producer)
        }
        Job::ExpireProducers { now_ms } => {
            producers::expire(producers, limits, *now_ms);
            Ok(Staged::Done)
        }
        Job::ForgetTopic { topic_id } => {
            producers.forget_topic(*topic_id);
            Ok(Staged::Done)
        }
        Job::Stop => Ok(Staged::Done),
    }
}

/// The partition's topic was deleted while the request was queued.
fn deleted(p: &PartitionState) -> Error {
    Error::TopicNotFound(p.topic.to_string())
}
