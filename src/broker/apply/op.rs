//! One entry of the commit log: everything apply needs, by value and by id, so that replaying
//! the same ops anywhere gives the same bytes. Encoded with prost (`proto/strata/v1/log.proto`)
//! when the log is replicated; the local log hands them to apply as they are.
use super::super::commit_loop::Truncated;
use super::super::producers::Identity;
use crate::proto::log as pb;
use crate::proto::meta::CommittedOffsetValue;
use crate::storage::BatchExtent;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// One produce request's batches (RecordBatch v2), written atomically; apply patches in
    /// each base offset. A producer id in a header makes the append idempotent (then it holds
    /// exactly one batch).
    Append { topic: String, topic_id: u64, now_ms: i64, batches: Vec<(u32, Vec<u8>)> },
    /// A consumer group's positions in one topic.
    CommitOffsets { group: String, topic: String, topic_id: u64, offsets: Vec<(u32, CommittedOffsetValue)> },
    /// Deletes the batches below `first_batch` (listed in `batches`, oldest first, for the size
    /// accounting) and moves the log start to `log_start`, in one write. Applying it again, or
    /// after a later one, changes nothing.
    Truncate {
        topic: String,
        topic_id: u64,
        partition: u32,
        log_start: i64,
        first_batch: i64,
        batches: Vec<BatchExtent>,
    },
    /// Issues a producer id or bumps an epoch (see `ProducerTable::init`).
    InitProducer { name: Option<String>, renewing: Option<Identity>, now_ms: i64 },
    /// Forgets producers idle since before `now_ms - --producer-id-expiry`.
    ExpireProducers { now_ms: i64 },
    /// Forgets producers' state in a deleted topic.
    ForgetTopic { topic_id: u64 },
    /// Deletes the offsets a consumer group committed: all, or one topic's (all its partitions
    /// when the list is empty).
    DeleteGroupOffsets { group: String, only: Option<(String, Vec<u32>)> },
}

/// What applying an op produced, for its answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    /// Where each batch of an append landed.
    Appended(Vec<Appended>),
    Truncated(Truncated),
    Producer(Identity),
    /// How many records an op deleted.
    Deleted(usize),
    Done,
}

/// Where one batch of an append landed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Appended {
    pub base_offset: i64,
    /// An idempotent retry of a batch already stored: `base_offset` is the original's.
    pub duplicate: bool,
}

impl Op {
    /// Bytes the op adds to a write (how big a group may grow).
    pub fn bytes(&self) -> usize {
        match self {
            Op::Append { batches, .. } => batches.iter().map(|(_, b)| b.len()).sum(),
            Op::CommitOffsets { offsets, .. } => offsets.len() * 64,
            _ => 64,
        }
    }

    /// The leader's clock reading the op carries, if any.
    pub fn now_ms(&self) -> Option<i64> {
        match self {
            Op::Append { now_ms, .. } | Op::InitProducer { now_ms, .. } | Op::ExpireProducers { now_ms } => {
                Some(*now_ms)
            }
            _ => None,
        }
    }

    /// Does it change what a restart must find (always fsynced, whatever `--fsync` says)?
    /// Issued producer ids: a restart must never issue one twice or lower an epoch.
    pub fn must_sync(&self) -> bool {
        matches!(self, Op::InitProducer { .. })
    }
}

impl From<Op> for pb::Op {
    fn from(op: Op) -> Self {
        use pb::op::Op as P;
        let op = match op {
            Op::Append { topic, topic_id, now_ms, batches } => P::Append(pb::Append {
                topic,
                topic_id,
                now_ms,
                batches: batches
                    .into_iter()
                    .map(|(partition, batch)| pb::PartitionBatch { partition, batch: batch.into() })
                    .collect(),
            }),
            Op::CommitOffsets { group, topic, topic_id, offsets } => P::CommitOffsets(pb::CommitOffsets {
                group,
                topic,
                topic_id,
                offsets: offsets
                    .into_iter()
                    .map(|(partition, v)| pb::PartitionOffset {
                        partition,
                        offset: v.offset,
                        metadata: v.metadata,
                        commit_time_ms: v.commit_time_ms,
                    })
                    .collect(),
            }),
            Op::Truncate { topic, topic_id, partition, log_start, first_batch, batches } => P::Truncate(pb::Truncate {
                topic,
                topic_id,
                partition,
                log_start,
                first_batch,
                batches: batches
                    .into_iter()
                    .map(|b| pb::BatchExtent {
                        base_offset: b.base_offset,
                        next_offset: b.next_offset,
                        bytes: b.bytes,
                        max_timestamp: b.max_timestamp,
                    })
                    .collect(),
            }),
            Op::InitProducer { name, renewing, now_ms } => P::InitProducer(pb::InitProducer {
                name,
                renewing_id: renewing.map(|r| r.id),
                renewing_epoch: renewing.map_or(0, |r| i32::from(r.epoch)),
                now_ms,
            }),
            Op::ExpireProducers { now_ms } => P::ExpireProducers(pb::ExpireProducers { now_ms }),
            Op::ForgetTopic { topic_id } => P::ForgetTopic(pb::ForgetTopic { topic_id }),
            Op::DeleteGroupOffsets { group, only } => {
                let (topic, partitions) = only.map_or((None, Vec::new()), |(t, p)| (Some(t), p));
                P::DeleteGroupOffsets(pb::DeleteGroupOffsets { group, topic, partitions })
            }
        };
        pb::Op { op: Some(op) }
    }
}

/// An entry that does not decode into an op: written by a newer strata, or damaged.
#[derive(Debug, thiserror::Error)]
#[error("commit log entry has no op this build knows")]
pub struct UnknownOp;

impl TryFrom<pb::Op> for Op {
    type Error = UnknownOp;

    fn try_from(op: pb::Op) -> Result<Self, UnknownOp> {
        use pb::op::Op as P;
        Ok(match op.op.ok_or(UnknownOp)? {
            P::Append(a) => Op::Append {
                topic: a.topic,
                topic_id: a.topic_id,
                now_ms: a.now_ms,
                batches: a.batches.into_iter().map(|b| (b.partition, b.batch.to_vec())).collect(),
            },
            P::CommitOffsets(c) => Op::CommitOffsets {
                group: c.group,
                topic: c.topic,
                topic_id: c.topic_id,
                offsets: c
                    .offsets
                    .into_iter()
                    .map(|o| {
                        let value = CommittedOffsetValue {
                            offset: o.offset,
                            metadata: o.metadata,
                            commit_time_ms: o.commit_time_ms,
                        };
                        (o.partition, value)
                    })
                    .collect(),
            },
            P::Truncate(t) => Op::Truncate {
                topic: t.topic,
                topic_id: t.topic_id,
                partition: t.partition,
                log_start: t.log_start,
                first_batch: t.first_batch,
                batches: t
                    .batches
                    .into_iter()
                    .map(|b| BatchExtent {
                        base_offset: b.base_offset,
                        next_offset: b.next_offset,
                        bytes: b.bytes,
                        max_timestamp: b.max_timestamp,
                    })
                    .collect(),
            },
            P::InitProducer(i) => Op::InitProducer {
                name: i.name,
                renewing: i
                    .renewing_id
                    .map(|id| Identity { id, epoch: i16::try_from(i.renewing_epoch).unwrap_or(i16::MAX) }),
                now_ms: i.now_ms,
            },
            P::ExpireProducers(e) => Op::ExpireProducers { now_ms: e.now_ms },
            P::ForgetTopic(f) => Op::ForgetTopic { topic_id: f.topic_id },
            P::DeleteGroupOffsets(d) => {
                Op::DeleteGroupOffsets { group: d.group, only: d.topic.map(|topic| (topic, d.partitions)) }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use prost::Message;

    use super::*;

    #[test]
    fn every_op_survives_encoding_as_a_log_entry() {
        let ops = vec![
            Op::Append { topic: "t".into(), topic_id: 7, now_ms: 5, batches: vec![(0, vec![1, 2, 3]), (2, vec![4])] },
            Op::CommitOffsets {
                group: "g".into(),
                topic: "t".into(),
                topic_id: 7,
                offsets: vec![(1, CommittedOffsetValue { offset: 9, metadata: "m".into(), commit_time_ms: 6 })],
            },
            Op::Truncate {
                topic: "t".into(),
                topic_id: 7,
                partition: 1,
                log_start: 12,
                first_batch: 10,
                batches: vec![BatchExtent { base_offset: 0, next_offset: 10, bytes: 99, max_timestamp: 4 }],
            },
            Op::InitProducer { name: Some("app".into()), renewing: Some(Identity { id: 3, epoch: 2 }), now_ms: 8 },
            Op::InitProducer { name: None, renewing: None, now_ms: 8 },
            Op::ExpireProducers { now_ms: 11 },
            Op::ForgetTopic { topic_id: 7 },
            Op::DeleteGroupOffsets { group: "g".into(), only: None },
            Op::DeleteGroupOffsets { group: "g".into(), only: Some(("t".into(), vec![1, 3])) },
        ];
        let command = pb::Command { ops: ops.iter().cloned().map(pb::Op::from).collect(), ..Default::default() };
        let decoded = pb::Command::decode(command.encode_to_vec().as_slice()).expect("decodes");
        let back: Vec<Op> = decoded.ops.into_iter().map(|op| Op::try_from(op).expect("known op")).collect();
        assert_eq!(back, ops);
        assert!(Op::try_from(pb::Op { op: None }).is_err());
    }
}
