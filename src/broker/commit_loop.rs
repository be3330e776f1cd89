//! The commit loop: the single writer of every partition.
//!
//! Producers and committers queue [`Job`]s; the loop drains everything queued, assigns offsets
//! (a partition's order is the queue order, so offsets are dense and never overlap), writes one
//! RocksDB `WriteBatch` for the whole group and, under `--fsync always`, one WAL fsync. Only
//! then are the new high watermarks published and the jobs answered. This is group commit at our
//! level: the busier the broker, the more each fsync carries.
use std::collections::HashMap;
use std::sync::Arc;
use std::thread::JoinHandle;

use tokio::sync::{OwnedSemaphorePermit, mpsc, oneshot};

use super::partition::PartitionState;
use crate::config::FsyncPolicy;
use crate::error::{Error, Result};
use crate::metrics as m;
use crate::proto::meta::{CommittedOffsetValue, PartitionMeta};
use crate::storage::{BatchExtent, StorageError, Store, WriteGroup, batch};

/// A group stops growing at this many bytes so one write never holds the queue too long.
const MAX_GROUP_BYTES: usize = 64 << 20;

/// One encoded batch for one partition.
pub struct PartitionAppend {
    pub partition: Arc<PartitionState>,
    /// RecordBatch v2 bytes; the loop patches in the base offset.
    pub batch: Vec<u8>,
}

pub enum Job {
    /// A produce request's batches, written atomically; answered with each batch's base offset.
    Append {
        appends: Vec<PartitionAppend>,
        /// Must the WAL be fsynced before answering (acks ALL)?
        durable: bool,
        reply: Option<oneshot::Sender<Result<Vec<i64>>>>,
        /// Bytes-in-flight budget, returned when the job is done.
        _permit: OwnedSemaphorePermit,
    },
    /// Committed consumer offsets for one group and topic, always durable.
    CommitOffsets {
        group: String,
        topic: String,
        topic_id: u64,
        offsets: Vec<(u32, CommittedOffsetValue)>,
        reply: oneshot::Sender<Result<()>>,
    },
    /// Deletes a partition's records below `log_start` (retention, DeleteRecords): the batches
    /// below `first_batch` go in one range delete, in the same write as the new log start, so a
    /// crash never leaves one without the other. Durable like a commit.
    Truncate {
        partition: Arc<PartitionState>,
        log_start: i64,
        /// Base offset of the oldest batch kept: the end of the deleted range.
        first_batch: i64,
        /// The batches being deleted, oldest first (for the size accounting).
        batches: Vec<BatchExtent>,
        reply: oneshot::Sender<Result<Truncated>>,
    },
    /// Finish what is queued, sync the WAL and stop.
    Stop,
}

/// What a truncation removed: batches with base offsets in `from..to` (to compact), and counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Truncated {
    pub from: i64,
    pub to: i64,
    pub records: i64,
    pub bytes: u64,
}

/// What staging a job produced, for its answer.
enum Staged {
    Offsets(Vec<i64>),
    Truncated(Truncated),
    Done,
}

impl Job {
    fn bytes(&self) -> usize {
        match self {
            Job::Append { appends, .. } => appends.iter().map(|a| a.batch.len()).sum(),
            Job::CommitOffsets { offsets, .. } => offsets.len() * 64,
            Job::Truncate { .. } | Job::Stop => 64,
        }
    }
}

/// Starts the loop on its own OS thread: RocksDB writes and fsyncs block, so they stay off the
/// async runtime.
pub fn spawn(store: Arc<Store>, rx: mpsc::Receiver<Job>, fsync: FsyncPolicy) -> std::io::Result<JoinHandle<()>> {
    std::thread::Builder::new().name("strata-commit".into()).spawn(move || run(&store, rx, fsync))
}

fn run(store: &Store, mut rx: mpsc::Receiver<Job>, fsync: FsyncPolicy) {
    let mut stopping = false;
    while !stopping {
        let Some(first) = rx.blocking_recv() else { break };
        let mut jobs = vec![first];
        let mut bytes = jobs[0].bytes();
        while bytes < MAX_GROUP_BYTES {
            let Ok(job) = rx.try_recv() else { break };
            bytes += job.bytes();
            jobs.push(job);
        }
        stopping = jobs.iter().any(|j| matches!(j, Job::Stop));
        write_group(store, jobs, fsync);
    }
    if let Err(e) = store.sync_wal() {
        tracing::error!(error = %e, "final WAL sync failed");
    }
}

/// What the group did to one partition.
struct Touched {
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

    fn meta(&self) -> PartitionMeta {
        PartitionMeta {
            log_start_offset: self.log_start,
            size_bytes: (self.state.size_bytes() + self.added_bytes).saturating_sub(self.removed_bytes),
            first_batch_offset: self.first_batch,
            next_offset: Some(self.next_offset),
        }
    }

    fn publish(&self) {
        if self.added_bytes > 0 {
            self.state.publish_append(self.next_offset, self.added_bytes);
        }
        if self.log_start != self.state.log_start() || self.removed_bytes > 0 {
            self.state.publish_truncate(self.log_start, self.first_batch, self.removed_bytes);
        }
    }
}

fn write_group(store: &Store, jobs: Vec<Job>, fsync: FsyncPolicy) {
    let mut group = match WriteGroup::new(store) {
        Ok(group) => group,
        Err(e) => return fail_all(jobs, &e),
    };
    let mut touched: HashMap<(u64, u32), Touched> = HashMap::new();
    let mut answers: Vec<(Job, Result<Staged>)> = Vec::with_capacity(jobs.len());
    let mut needs_sync = false;
    for mut job in jobs {
        let staged = stage(&mut group, &mut touched, &mut job);
        let durable =
            matches!(job, Job::Append { durable: true, .. } | Job::CommitOffsets { .. } | Job::Truncate { .. });
        needs_sync |= staged.is_ok() && durable;
        answers.push((job, staged));
    }
    for ((topic_id, partition), t) in &touched {
        group.set_partition_meta(*topic_id, *partition, &t.meta());
    }
    let sync = needs_sync && fsync == FsyncPolicy::Always;
    let started = std::time::Instant::now();
    let bytes = group.size_in_bytes();
    let written = if group.is_empty() { Ok(()) } else { group.commit(sync) };
    metrics::histogram!(m::COMMIT_BATCH_JOBS).record(answers.len() as f64);
    metrics::histogram!(m::COMMIT_BATCH_BYTES).record(bytes as f64);
    if sync {
        metrics::histogram!(m::WAL_SYNC_DURATION).record(started.elapsed().as_secs_f64());
    }
    if let Err(e) = written {
        return fail_all(answers.into_iter().map(|(job, _)| job).collect(), &e);
    }
    for t in touched.values() {
        t.publish();
    }
    for (job, staged) in answers {
        answer(job, staged);
    }
}

/// Answers every job of a group whose write failed: none of it is acknowledged.
fn fail_all(jobs: Vec<Job>, e: &StorageError) {
    tracing::error!(error = %e, jobs = jobs.len(), "group write failed; nothing in it was acknowledged");
    for job in jobs {
        answer(job, Err(if e.is_no_space() { Error::DiskFull } else { Error::WriteFailed }));
    }
}

/// Adds one job's writes to the group. Everything that can fail is checked before the first
/// write is staged, so a failed job adds nothing.
fn stage(group: &mut WriteGroup<'_>, touched: &mut HashMap<(u64, u32), Touched>, job: &mut Job) -> Result<Staged> {
    match job {
        Job::Append { appends, .. } => {
            let mut resolved = Vec::with_capacity(appends.len());
            for append in appends.iter() {
                let p = &append.partition;
                let cf = group.partition(p.topic_id, p.partition).ok_or_else(|| deleted(p))?;
                let header = batch::read_header(&append.batch).map_err(|e| Error::invalid("records", e.to_string()))?;
                resolved.push((cf, i64::from(header.last_offset_delta) + 1));
            }
            let mut bases = Vec::with_capacity(appends.len());
            for (append, (cf, record_count)) in appends.iter_mut().zip(resolved) {
                let p = &append.partition;
                let entry = touched.entry((p.topic_id, p.partition)).or_insert_with(|| Touched::new(p));
                batch::set_base_offset(&mut append.batch, entry.next_offset);
                group.append(&cf, entry.next_offset, &append.batch);
                bases.push(entry.next_offset);
                entry.next_offset += record_count;
                entry.added_bytes += append.batch.len() as u64;
            }
            Ok(Staged::Offsets(bases))
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
        Job::Stop => Ok(Staged::Done),
    }
}

/// The partition's topic was deleted while the request was queued.
fn deleted(p: &PartitionState) -> Error {
    Error::TopicNotFound(p.topic.to_string())
}

fn answer(job: Job, result: Result<Staged>) {
    // A closed reply channel means the client went away; the write stands regardless.
    match job {
        Job::Append { reply: Some(reply), .. } => {
            let _ = reply.send(result.map(|staged| match staged {
                Staged::Offsets(bases) => bases,
                Staged::Truncated(_) | Staged::Done => Vec::new(),
            }));
        }
        Job::CommitOffsets { reply, .. } => {
            let _ = reply.send(result.map(|_| ()));
        }
        Job::Truncate { reply, .. } => {
            let _ = reply.send(result.map(|staged| match staged {
                Staged::Truncated(truncated) => truncated,
                Staged::Offsets(_) | Staged::Done => Truncated::default(),
            }));
        }
        Job::Append { reply: None, .. } | Job::Stop => {}
    }
}
