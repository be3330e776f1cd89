//! The commit loop: the single writer of every partition.
//!
//! Producers, committers, retention and the producer-id service queue [`Job`]s: an op for the
//! commit log and who waits for its result. The loop drains everything queued and submits it
//! to the commit log as one group: the local log applies it as one RocksDB `WriteBatch` with
//! (under `--fsync always`) one WAL fsync, assigning offsets in queue order, so a partition's
//! offsets are dense and never overlap. Only then are the new high watermarks published and
//! the jobs answered. This is group commit at our level: the busier the broker, the more each
//! fsync carries.
mod queues;

use std::thread::JoinHandle;

use tokio::sync::{OwnedSemaphorePermit, mpsc, oneshot};

use super::apply::{Appended, Applied, Op};
use super::commit_log::CommitLog;
use super::producers::Identity;
use crate::error::{Error, Result};
pub use queues::Queues;

/// A group stops growing at this many bytes so one write never holds the queue too long.
const MAX_GROUP_BYTES: usize = 64 << 20;

pub enum Job {
    /// An op to log and apply. `durable`: must it be fsynced before the answer (acks ALL,
    /// commits, truncations), as `--fsync` says?
    Op { op: Op, durable: bool, reply: Reply },
    /// Finish what is queued, sync the WAL and stop.
    Stop,
}

/// Who waits for an op's result.
pub enum Reply {
    /// A produce; `None` with acks NONE. The permit is the request's share of the in-flight
    /// byte budget, returned when the job is done.
    Appended {
        reply: Option<oneshot::Sender<Result<Vec<Appended>>>>,
        permit: OwnedSemaphorePermit,
    },
    Done(oneshot::Sender<Result<()>>),
    Truncated(oneshot::Sender<Result<Truncated>>),
    Producer(oneshot::Sender<Result<Identity>>),
    Deleted(oneshot::Sender<Result<usize>>),
    /// Nobody: the op's effect is its answer (expiry, forgetting a deleted topic).
    Nobody,
}

impl Job {
    pub fn new(op: Op, durable: bool, reply: Reply) -> Self {
        Job::Op { op, durable, reply }
    }
}

/// What a truncation removed: batches with base offsets in `from..to` (to compact), and counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Truncated {
    pub from: i64,
    pub to: i64,
    pub records: i64,
    pub bytes: u64,
}

/// Starts the loop on its own OS thread: RocksDB writes and fsyncs block, so they stay off the
/// async runtime.
pub fn spawn(log: Box<dyn CommitLog>, rx: mpsc::Receiver<Job>) -> std::io::Result<JoinHandle<()>> {
    std::thread::Builder::new().name(THREAD_NAME.into()).spawn(move || run(log, rx))
}

/// Every commit loop's thread is named so (one per shard).
pub const THREAD_NAME: &str = "strata-commit";

fn run(mut log: Box<dyn CommitLog>, mut rx: mpsc::Receiver<Job>) {
    let mut stopping = false;
    while !stopping {
        let Some(first) = rx.blocking_recv() else { break };
        let mut group = Group::default();
        stopping = group.add(first);
        while group.bytes < MAX_GROUP_BYTES && !stopping {
            let Ok(job) = rx.try_recv() else { break };
            stopping = group.add(job);
        }
        if !group.ops.is_empty() {
            let replies = group.replies;
            log.submit(group.ops, group.durable, Box::new(move |results| answer(replies, results)));
        }
    }
    log.sync();
}

/// The jobs drained for one submission.
#[derive(Default)]
struct Group {
    ops: Vec<Op>,
    durable: Vec<bool>,
    replies: Vec<Reply>,
    bytes: usize,
}

impl Group {
    /// Adds a job; true for `Stop`.
    fn add(&mut self, job: Job) -> bool {
        match job {
            Job::Op { op, durable, reply } => {
                self.bytes += op.bytes();
                self.ops.push(op);
                self.durable.push(durable);
                self.replies.push(reply);
                false
            }
            Job::Stop => true,
        }
    }
}

fn answer(replies: Vec<Reply>, results: Vec<Result<Applied>>) {
    // A closed reply channel means the client went away; the write stands regardless.
    for (reply, result) in replies.into_iter().zip(results) {
        match reply {
            Reply::Appended { reply: Some(reply), permit: _permit } => {
                let _ = reply.send(result.and_then(|applied| match applied {
                    Applied::Appended(bases) => Ok(bases),
                    other => Err(unexpected(other)),
                }));
            }
            Reply::Done(reply) => {
                let _ = reply.send(result.map(|_| ()));
            }
            Reply::Truncated(reply) => {
                let _ = reply.send(result.and_then(|applied| match applied {
                    Applied::Truncated(truncated) => Ok(truncated),
                    other => Err(unexpected(other)),
                }));
            }
            Reply::Producer(reply) => {
                let _ = reply.send(result.and_then(|applied| match applied {
                    Applied::Producer(identity) => Ok(identity),
                    other => Err(unexpected(other)),
                }));
            }
            Reply::Deleted(reply) => {
                let _ = reply.send(result.and_then(|applied| match applied {
                    Applied::Deleted(count) => Ok(count),
                    other => Err(unexpected(other)),
                }));
            }
            Reply::Appended { reply: None, .. } | Reply::Nobody => {}
        }
    }
}

/// An op answered with another op's kind of result: a bug, logged here.
fn unexpected(applied: Applied) -> Error {
    tracing::error!(?applied, "an op's result does not match its kind");
    Error::WriteFailed
}
