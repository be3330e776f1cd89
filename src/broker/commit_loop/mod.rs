//! The commit loop: the single writer of every partition.
//!
//! Producers and committers queue [`Job`]s; the loop drains everything queued, assigns offsets
//! (a partition's order is the queue order, so offsets are dense and never overlap), writes one
//! RocksDB `WriteBatch` for the whole group and, under `--fsync always`, one WAL fsync. Only
//! then are the new high watermarks published and the jobs answered. This is group commit at our
//! level: the busier the broker, the more each fsync carries.
//!
//! The loop also owns the idempotent producers' table: sequence checks run here, in queue order,
//! against the state every earlier job of the group left, and that state is written in the same
//! `WriteBatch` as the batches it describes (see `broker::producers`).
mod stage;

use std::collections::HashMap;
use std::sync::Arc;
use std::thread::JoinHandle;

use tokio::sync::{OwnedSemaphorePermit, mpsc, oneshot};

use super::partition::PartitionState;
use super::producers::{self, Identity, ProducerLimits, ProducerTable};
use crate::config::FsyncPolicy;
use crate::error::{Error, Result};
use crate::metrics as m;
use crate::proto::meta::CommittedOffsetValue;
use crate::storage::{BatchExtent, StorageError, Store, WriteGroup};
use stage::{Staged, Touched, stage};

/// A group stops growing at this many bytes so one write never holds the queue too long.
const MAX_GROUP_BYTES: usize = 64 << 20;

/// One encoded batch for one partition.
pub struct PartitionAppend {
    pub partition: Arc<PartitionState>,
    /// RecordBatch v2 bytes; the loop patches in the base offset. A producer id in the header
    /// makes it an idempotent append, checked against that producer's recent batches.
    pub batch: Vec<u8>,
}

/// Where one batch of an append landed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Appended {
    pub base_offset: i64,
    /// An idempotent retry of a batch already stored: `base_offset` is the original's.
    pub duplicate: bool,
}

pub enum Job {
    /// A produce request's batches, written atomically; answered with each batch's base offset.
    /// An idempotent append holds exactly one batch.
    Append {
        appends: Vec<PartitionAppend>,
        /// Must the WAL be fsynced before answering (acks ALL)?
        durable: bool,
        /// Broker time when the request arrived (a producer's last use, for its expiry).
        now_ms: i64,
        reply: Option<oneshot::Sender<Result<Vec<Appended>>>>,
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
    /// Issues a producer id, or bumps a named producer's epoch. Always fsynced, whatever
    /// `--fsync` says: a restart must never issue an id twice or lower an epoch.
    InitProducer {
        name: Option<String>,
        /// The instance renewing itself, if any (see `ProducerTable::init`).
        renewing: Option<Identity>,
        now_ms: i64,
        reply: oneshot::Sender<Result<Identity>>,
    },
    /// Forgets producers idle past `--producer-id-expiry` (and the least recently used, if
    /// their state is over its memory limit).
    ExpireProducers { now_ms: i64 },
    /// Forgets producers' state in a deleted topic (its keys were deleted with the topic).
    ForgetTopic { topic_id: u64 },
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

impl Job {
    fn bytes(&self) -> usize {
        match self {
            Job::Append { appends, .. } => appends.iter().map(|a| a.batch.len()).sum(),
            Job::CommitOffsets { offsets, .. } => offsets.len() * 64,
            _ => 64,
        }
    }

    /// Must the group be fsynced for this job (under `--fsync always`)?
    fn durable(&self) -> bool {
        matches!(self, Job::Append { durable: true, .. } | Job::CommitOffsets { .. } | Job::Truncate { .. })
    }
}

/// The loop's own state besides the queue.
pub struct Loop {
    pub store: Arc<Store>,
    pub fsync: FsyncPolicy,
    pub producers: ProducerTable,
    pub producer_limits: ProducerLimits,
}

/// Starts the loop on its own OS thread: RocksDB writes and fsyncs block, so they stay off the
/// async runtime.
pub fn spawn(state: Loop, rx: mpsc::Receiver<Job>) -> std::io::Result<JoinHandle<()>> {
    std::thread::Builder::new().name("strata-commit".into()).spawn(move || run(state, rx))
}

fn run(mut state: Loop, mut rx: mpsc::Receiver<Job>) {
    producers::publish_size(&state.producers);
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
        write_group(&mut state, jobs);
    }
    if let Err(e) = state.store.sync_wal() {
        tracing::error!(error = %e, "final WAL sync failed");
    }
}

fn write_group(state: &mut Loop, jobs: Vec<Job>) {
    let store = state.store.clone();
    let mut group = match WriteGroup::new(&store) {
        Ok(group) => group,
        Err(e) => return fail_all(jobs, &e),
    };
    let mut touched: HashMap<(u64, u32), Touched> = HashMap::new();
    let mut answers: Vec<(Job, Result<Staged>)> = Vec::with_capacity(jobs.len());
    let (mut needs_sync, mut must_sync) = (false, false);
    for mut job in jobs {
        let staged = stage(&mut group, &mut touched, &mut state.producers, &state.producer_limits, &mut job);
        needs_sync |= staged.is_ok() && job.durable();
        must_sync |= staged.is_ok() && matches!(job, Job::InitProducer { .. });
        answers.push((job, staged));
    }
    for ((topic_id, partition), t) in &touched {
        group.set_partition_meta(*topic_id, *partition, &t.meta());
    }
    producers::stage_writes(&state.producers, &mut group);
    let sync = must_sync || (needs_sync && state.fsync == FsyncPolicy::Always);
    let started = std::time::Instant::now();
    let bytes = group.size_in_bytes();
    let written = if group.is_empty() { Ok(()) } else { group.commit(sync) };
    metrics::histogram!(m::COMMIT_BATCH_JOBS).record(answers.len() as f64);
    metrics::histogram!(m::COMMIT_BATCH_BYTES).record(bytes as f64);
    if sync {
        metrics::histogram!(m::WAL_SYNC_DURATION).record(started.elapsed().as_secs_f64());
    }
    if let Err(e) = written {
        state.producers.rollback();
        return fail_all(answers.into_iter().map(|(job, _)| job).collect(), &e);
    }
    producers::commit(&mut state.producers);
    for t in touched.values() {
        t.publish();
    }
    for (job, staged) in answers {
        answer(job, staged);
    }
    if state.producers.size().2 > state.producer_limits.max_bytes {
        evict_producers(state);
    }
}

/// Brings the producer table back under its memory limit at once, in a write of its own.
fn evict_producers(state: &mut Loop) {
    let now_ms = super::produce::now_ms();
    write_group(state, vec![Job::ExpireProducers { now_ms }]);
}

/// Answers every job of a group whose write failed: none of it is acknowledged.
fn fail_all(jobs: Vec<Job>, e: &StorageError) {
    tracing::error!(error = %e, jobs = jobs.len(), "group write failed; nothing in it was acknowledged");
    for job in jobs {
        answer(job, Err(if e.is_no_space() { Error::DiskFull } else { Error::WriteFailed }));
    }
}

fn answer(job: Job, result: Result<Staged>) {
    // A closed reply channel means the client went away; the write stands regardless.
    match job {
        Job::Append { reply: Some(reply), .. } => {
            let _ = reply.send(result.map(|staged| match staged {
                Staged::Appended(bases) => bases,
                _ => Vec::new(),
            }));
        }
        Job::CommitOffsets { reply, .. } => {
            let _ = reply.send(result.map(|_| ()));
        }
        Job::Truncate { reply, .. } => {
            let _ = reply.send(result.map(|staged| match staged {
                Staged::Truncated(truncated) => truncated,
                _ => Truncated::default(),
            }));
        }
        Job::InitProducer { reply, .. } => {
            let _ = reply.send(result.and_then(|staged| match staged {
                Staged::Producer(identity) => Ok(identity),
                _ => Err(Error::WriteFailed),
            }));
        }
        Job::Append { reply: None, .. } | Job::ExpireProducers { .. } | Job::ForgetTopic { .. } | Job::Stop => {}
    }
}
