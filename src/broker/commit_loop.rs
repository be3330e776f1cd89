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
use crate::proto::meta::{CommittedOffsetValue, PartitionMeta};
use crate::storage::{StorageError, Store, WriteGroup, batch};

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
    /// Finish what is queued, sync the WAL and stop.
    Stop,
}

impl Job {
    fn bytes(&self) -> usize {
        match self {
            Job::Append { appends, .. } => appends.iter().map(|a| a.batch.len()).sum(),
            Job::CommitOffsets { offsets, .. } => offsets.len() * 64,
            Job::Stop => 0,
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
}

fn write_group(store: &Store, jobs: Vec<Job>, fsync: FsyncPolicy) {
    let mut group = match WriteGroup::new(store) {
        Ok(group) => group,
        Err(e) => return fail_all(jobs, &e),
    };
    let mut touched: HashMap<(u64, u32), Touched> = HashMap::new();
    let mut answers: Vec<(Job, Result<Vec<i64>>)> = Vec::with_capacity(jobs.len());
    let mut needs_sync = false;
    for mut job in jobs {
        let staged = stage(&mut group, &mut touched, &mut job);
        let durable = matches!(job, Job::Append { durable: true, .. } | Job::CommitOffsets { .. });
        needs_sync |= staged.is_ok() && durable;
        answers.push((job, staged));
    }
    for ((topic_id, partition), t) in &touched {
        let size_bytes = t.state.size_bytes() + t.added_bytes;
        let meta = PartitionMeta { log_start_offset: t.state.log_start(), size_bytes };
        group.set_partition_meta(*topic_id, *partition, &meta);
    }
    let written = if group.is_empty() { Ok(()) } else { group.commit(needs_sync && fsync == FsyncPolicy::Always) };
    if let Err(e) = written {
        return fail_all(answers.into_iter().map(|(job, _)| job).collect(), &e);
    }
    for t in touched.values() {
        t.state.publish_append(t.next_offset, t.added_bytes);
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
fn stage(group: &mut WriteGroup<'_>, touched: &mut HashMap<(u64, u32), Touched>, job: &mut Job) -> Result<Vec<i64>> {
    match job {
        Job::Append { appends, .. } => {
            let mut resolved = Vec::with_capacity(appends.len());
            for append in appends.iter() {
                let p = &append.partition;
                let cf = group.partition(p.topic_id, p.partition).ok_or_else(|| deleted(p.topic_id))?;
                let header = batch::read_header(&append.batch).map_err(|e| Error::invalid("records", e.to_string()))?;
                resolved.push((cf, i64::from(header.last_offset_delta) + 1));
            }
            let mut bases = Vec::with_capacity(appends.len());
            for (append, (cf, record_count)) in appends.iter_mut().zip(resolved) {
                let p = &append.partition;
                let entry = touched.entry((p.topic_id, p.partition)).or_insert_with(|| Touched {
                    state: p.clone(),
                    next_offset: p.high_watermark(),
                    added_bytes: 0,
                });
                batch::set_base_offset(&mut append.batch, entry.next_offset);
                group.append(&cf, entry.next_offset, &append.batch);
                bases.push(entry.next_offset);
                entry.next_offset += record_count;
                entry.added_bytes += append.batch.len() as u64;
            }
            Ok(bases)
        }
        Job::CommitOffsets { group: name, topic, topic_id, offsets, .. } => {
            if group.partition(*topic_id, 0).is_none() {
                return Err(Error::TopicNotFound(topic.clone()));
            }
            for (partition, value) in offsets.iter() {
                group.commit_offset(name, topic, *partition, value);
            }
            Ok(Vec::new())
        }
        Job::Stop => Ok(Vec::new()),
    }
}

fn deleted(topic_id: u64) -> Error {
    Error::TopicNotFound(format!("(id {topic_id}, deleted while the request was queued)"))
}

fn answer(job: Job, result: Result<Vec<i64>>) {
    // A closed reply channel means the client went away; the write stands regardless.
    match job {
        Job::Append { reply: Some(reply), .. } => {
            let _ = reply.send(result);
        }
        Job::CommitOffsets { reply, .. } => {
            let _ = reply.send(result.map(|_| ()));
        }
        Job::Append { reply: None, .. } | Job::Stop => {}
    }
}
