//! Committed consumer offsets: written through the commit loop (durable like acks ALL), read
//! straight from RocksDB.
use tokio::sync::oneshot;

use super::apply::Op;
use super::commit_loop::{Job, Reply};
use super::produce::now_ms;
use super::{Broker, storage_errors};
use crate::error::{Error, Result};
use crate::proto::meta::CommittedOffsetValue;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OffsetCommit {
    pub partition: u32,
    pub offset: i64,
    pub metadata: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommittedOffset {
    pub partition: u32,
    /// -1 when nothing is committed.
    pub offset: i64,
    pub metadata: String,
}

/// Longest group name accepted.
const MAX_GROUP_LEN: usize = 255;
/// Longest commit metadata accepted.
const MAX_METADATA_LEN: usize = 4096;

impl Broker {
    /// Stores `group`'s positions in `topic`, all or nothing. Offsets may be anywhere in
    /// `0..=high watermark` (below the log start too: consumers then reset themselves).
    ///
    /// With `member` (member id, member epoch), the commit must come from a current member of
    /// the group that owns every partition committed; without, it is a manual-assignment commit.
    pub async fn commit_offsets(
        &self,
        group: &str,
        topic: &str,
        commits: Vec<OffsetCommit>,
        member: Option<(&str, i32)>,
    ) -> Result<()> {
        self.ensure_open()?;
        self.ensure_coordinator()?;
        validate_group(group)?;
        if commits.is_empty() {
            return Err(Error::invalid("offsets", "commit at least one partition offset"));
        }
        if let Some((member_id, epoch)) = member {
            let partitions: Vec<u32> = commits.iter().map(|c| c.partition).collect();
            self.check_member_commit(group, member_id, epoch, topic, &partitions)?;
        }
        let topic_state = self.topic(topic)?;
        let now = now_ms();
        let mut offsets = Vec::with_capacity(commits.len());
        for commit in commits {
            let state = topic_state.partition(commit.partition)?;
            let hwm = state.high_watermark();
            // A coordinator without a copy of the partition does not know its end (Kafka's
            // coordinator does not check it either).
            let beyond_end = commit.offset > hwm && self.keeps_copy(topic_state.meta.id, commit.partition);
            if commit.offset < 0 || beyond_end {
                return Err(Error::OffsetOutOfRange {
                    topic: topic.to_string(),
                    partition: commit.partition,
                    offset: commit.offset,
                    log_start: 0,
                    high_watermark: hwm,
                });
            }
            if commit.metadata.len() > MAX_METADATA_LEN {
                return Err(Error::invalid("metadata", format!("at most {MAX_METADATA_LEN} bytes")));
            }
            let value = CommittedOffsetValue { offset: commit.offset, metadata: commit.metadata, commit_time_ms: now };
            offsets.push((commit.partition, value));
        }
        let (reply, done) = oneshot::channel();
        let op = Op::CommitOffsets {
            group: group.to_string(),
            topic: topic.to_string(),
            topic_id: topic_state.meta.id,
            offsets,
        };
        let job = Job::new(op, true, Reply::Done(reply));
        self.jobs.send(job).await.map_err(|_| Error::ShuttingDown)?;
        done.await.map_err(|_| Error::ShuttingDown)?.map_err(Error::as_coordinator)
    }

    /// `group`'s committed positions in `partitions` of `topic` (every partition if empty).
    pub async fn committed_offsets(
        &self,
        group: &str,
        topic: &str,
        partitions: Vec<u32>,
    ) -> Result<Vec<CommittedOffset>> {
        self.ensure_coordinator()?;
        validate_group(group)?;
        let topic_state = self.topic(topic)?;
        let partitions = if partitions.is_empty() { (0..topic_state.meta.partitions).collect() } else { partitions };
        for p in &partitions {
            topic_state.partition(*p)?;
        }
        let (g, t, ps) = (group.to_string(), topic.to_string(), partitions.clone());
        let values = self
            .blocking(move |store| store.committed_offsets(&g, &t, &ps))
            .await
            .map_err(|e| storage_errors::in_partition(topic, 0, e))?;
        Ok(partitions
            .into_iter()
            .zip(values)
            .map(|(partition, value)| match value {
                Some(v) => CommittedOffset { partition, offset: v.offset, metadata: v.metadata },
                None => CommittedOffset { partition, offset: -1, metadata: String::new() },
            })
            .collect())
    }
}

impl Broker {
    /// Deletes `group`'s committed offsets in `topic` (`partitions`, or all); returns how many.
    /// Refused while a member of the group reads the topic (it would commit them again).
    pub async fn delete_committed_offsets(&self, group: &str, topic: &str, partitions: Vec<u32>) -> Result<usize> {
        self.ensure_open()?;
        self.ensure_coordinator()?;
        validate_group(group)?;
        let classic =
            self.classic.view(group).is_some_and(|v| v.members.iter().any(|m| m.3.partitions.contains_key(topic)));
        if classic || self.groups.subscribed(group, topic) {
            return Err(Error::GroupSubscribedToTopic { group: group.to_string(), topic: topic.to_string() });
        }
        let (reply, done) = oneshot::channel();
        let op = Op::DeleteGroupOffsets { group: group.to_string(), only: Some((topic.to_string(), partitions)) };
        self.jobs.send(Job::new(op, true, Reply::Deleted(reply))).await.map_err(|_| Error::ShuttingDown)?;
        done.await.map_err(|_| Error::ShuttingDown)?.map_err(Error::as_coordinator)
    }
}

pub(super) fn validate_group(group: &str) -> Result<()> {
    if group.is_empty() || group.len() > MAX_GROUP_LEN || group.contains('\0') {
        let reason = format!("group must be 1..={MAX_GROUP_LEN} bytes without NUL characters");
        return Err(Error::invalid("group", reason));
    }
    Ok(())
}
