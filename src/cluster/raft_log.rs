//! The broker's commit logs and catalog, replicated through a Raft group per shard: each
//! shard's commit loop proposes each group of ops as one entry without waiting for it (many entries are in flight at
//! once, and the in-flight byte budget is the backpressure), and the entry's apply on the leader
//! answers the jobs. A broker that does not lead answers NOT_LEADER, naming the leader.
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use futures::future::BoxFuture;
use openraft::async_runtime::WatchReceiver;
use openraft::errors::{ClientWriteError, RaftError};
use openraft::raft::ClientWriteResult;
use prost::Message;
use tokio::runtime::Handle;
use tokio::sync::mpsc;

use super::directory::ShardDirectory;
use super::disk_wait::DiskWait;
use super::removal;
use super::shard::{CatalogProgress, ShardReplica};
use super::types::{ClusterId, LogCommand, Raft, Respond, TypeConfig};
use crate::broker::apply::{Applied, Op};
use crate::broker::catalog::{CatalogApplied, CatalogOp};
use crate::broker::commit_log::{CommitLog, Done};
use crate::broker::replication::{Leadership, Replication};
use crate::broker::shards::{META_SHARD, Shards};
use crate::broker::{ApplyResults, ClusterStatus};
use crate::error::{Error, Result};
use crate::proto::log as pb;
use crate::storage::Store;

pub struct RaftLog {
    pub raft: Raft,
    pub runtime: Handle,
    pub store: Arc<Store>,
    /// `--fsync always`: every Raft log append is synced already.
    pub sync_always: bool,
    /// A data shard's: how far this broker applied the metadata shard, stamped on each entry.
    pub catalog: Option<CatalogProgress>,
}

impl CommitLog for RaftLog {
    fn submit(&mut self, ops: Vec<Op>, _durable: Vec<bool>, done: Done) {
        let count = ops.len();
        // Ops that must be durable whatever --fsync says (issued producer ids): under the other
        // modes the leader syncs its WAL, which holds the entry's Raft log row, before answering.
        let done = if !self.sync_always && ops.iter().any(Op::must_sync) {
            let (store, runtime) = (self.store.clone(), self.runtime.clone());
            Box::new(move |results: Vec<Result<Applied>>| {
                runtime.spawn_blocking(move || {
                    let synced = store.sync_wal();
                    match synced {
                        Ok(()) => done(results),
                        Err(e) => {
                            tracing::error!(error = %e, "syncing the WAL for an issued producer id failed");
                            done(results.into_iter().map(|_| Err(Error::WriteFailed)).collect())
                        }
                    }
                });
            }) as Done
        } else {
            done
        };
        // The ops were checked against this broker's catalog: replicas apply them once theirs
        // is as far.
        let catalog_index = self.catalog.as_ref().map_or(0, CatalogProgress::last_change);
        let ops = ops.into_iter().map(pb::Op::from).collect();
        let command = pb::Command { ops, catalog_index, ..Default::default() };
        let data = LogCommand(Bytes::from(command.encode_to_vec()));
        let responder = Respond(Box::new(move |result: ClientWriteResult<TypeConfig>| done(results(result, count))));
        // Proposed from the commit loop's thread, in queue order: entries keep the order jobs
        // were queued in. This returns once the proposal is queued, not when it commits.
        if let Err(fatal) = self.runtime.block_on(self.raft.client_write_ff(data, Some(responder))) {
            // The responder is dropped with the proposal: its jobs see the broker shutting down.
            tracing::error!(error = %fatal, "the Raft group stopped; nothing more is proposed");
        }
    }

    fn sync(&mut self) {
        // Every append to the Raft log was written (and fsynced as --fsync says) when it was
        // acknowledged; apply's writes are replayed from the log after a crash.
    }
}

/// Each op's result from an applied entry, or the write's error for all of them.
fn results(result: ClientWriteResult<TypeConfig>, count: usize) -> Vec<Result<Applied>> {
    match result {
        Ok(response) => match response.data {
            ApplyResults::Ops(results) => results,
            _ => (0..count).map(|_| Err(Error::WriteFailed)).collect(),
        },
        Err(e) => (0..count).map(|_| Err(write_error(&e))).collect(),
    }
}

/// Not the leader (or the entry was dropped by a leader change, its outcome unknown): the
/// client goes to the leader, and an idempotent producer's retry is answered from its window.
fn write_error(e: &ClientWriteError<TypeConfig>) -> Error {
    match e {
        ClientWriteError::ForwardToLeader(to) | ClientWriteError::LogEntryDiscarded(to) => Error::NotLeader {
            leader_id: to.leader_id,
            leader_addr: to.leader_node.as_ref().map(|n| n.client_addr.clone()),
        },
        other => {
            tracing::error!(error = %other, "proposing to the Raft group failed");
            Error::WriteFailed
        }
    }
}

/// The broker's view of its Raft groups, one per shard.
pub struct ClusterReplication {
    pub shards: Shards,
    /// Indexed by shard.
    pub replicas: Vec<ShardReplica>,
    pub node_id: u64,
    pub cluster_id: ClusterId,
    pub catalog_events: Mutex<Option<mpsc::UnboundedReceiver<CatalogApplied>>>,
    /// This broker's writes waiting for disk space: it then leads no more.
    pub disk: DiskWait,
    /// How recently a majority must have acknowledged this leader for it to serve: openraft's
    /// leader lease (its `election_timeout_max`), counted as openraft counts it, from when the
    /// acknowledged message was sent. A follower that heard this leader votes for no other
    /// within it.
    pub read_lease: Duration,
    /// Leaders of the shards this broker is not a member of.
    pub directory: Arc<ShardDirectory>,
}

impl ClusterReplication {
    /// Whether a majority acknowledged this leader within `read_lease`: no other leader can have
    /// been elected since, so what it applied is the latest. A leader restarted with its vote
    /// committed resumes leading until it hears of a newer term, and a frozen one until it
    /// wakes: without this, either served its old state (committed offsets read back lower than
    /// acknowledged ones) in the moments before it learned.
    fn lease_held(&self, metrics: &openraft::RaftMetrics<TypeConfig>) -> bool {
        let voters = metrics.membership_config.membership().voter_ids().count();
        use openraft::Instant;
        let acked = metrics.last_quorum_acked.as_ref().is_some_and(|at| at.elapsed() < self.read_lease);
        acked || voters <= 1
    }

    fn meta_raft(&self) -> &Raft {
        &self.replicas[META_SHARD as usize].raft
    }

    /// A shard this broker is not a member of, or whose node here stopped on its own: its
    /// leader as the members last told, at the
    /// address the metadata shard (which has every broker) knows.
    fn leadership_elsewhere(&self, shard: u64) -> Leadership {
        let leader_id = self.directory.status(shard).and_then(|s| s.leader);
        let metrics = self.meta_raft().metrics();
        let metrics = metrics.borrow_watched();
        let membership = metrics.membership_config.membership();
        let leader_addr = leader_id.and_then(|id| membership.get_node(&id)).map(|node| node.client_addr.clone());
        Leadership { leader: false, leader_id, leader_addr }
    }
}

impl Replication for ClusterReplication {
    fn leadership(&self, shard: u64) -> Leadership {
        let Some(replica) = self.replicas.get(shard as usize) else { return Leadership::default() };
        if !replica.watch.serves_here() {
            return self.leadership_elsewhere(shard);
        }
        let metrics = replica.raft.metrics();
        let metrics = metrics.borrow_watched();
        let leader_id = metrics.current_leader;
        let membership = metrics.membership_config.membership();
        let leader_addr = leader_id.and_then(|id| membership.get_node(&id)).map(|node| node.client_addr.clone());
        // A new leader serves only once it applied an entry of its own term (the blank entry
        // every leader commits first): until then it may be behind what the old leader served,
        // and a reader would see the high watermark go back.
        let caught_up = metrics.last_applied.is_some_and(|applied| applied.leader_id.term == metrics.current_term);
        // A leader whose writes wait for disk space cannot commit anything: clients go on to the
        // other brokers, which elect a leader once its heartbeats stop.
        if leader_id == Some(self.node_id) && (!caught_up || self.disk.waiting() || !self.lease_held(&metrics)) {
            return Leadership { leader: false, leader_id: None, leader_addr: None };
        }
        Leadership { leader: leader_id == Some(self.node_id), leader_id, leader_addr }
    }

    fn shards(&self) -> Shards {
        self.shards
    }

    fn keeps_copy(&self, shard: u64) -> bool {
        self.replicas.get(shard as usize).is_some_and(|r| r.watch.serves_here())
    }

    /// The metadata shard's view of the brokers, with every shard.
    fn status(&self) -> ClusterStatus {
        let mut status = self.replicas[META_SHARD as usize].watch.status();
        for (shard, replica) in self.replicas.iter().enumerate().skip(1) {
            if replica.watch.serves_here() {
                status.shards.extend(replica.watch.status().shards);
            } else {
                status.shards.extend(self.directory.status(shard as u64));
            }
        }
        status
    }

    fn writes_stalled(&self) -> BoxFuture<'static, ()> {
        self.disk.started()
    }

    fn propose_catalog(&self, op: CatalogOp) -> BoxFuture<'static, Result<CatalogApplied>> {
        let raft = self.meta_raft().clone();
        Box::pin(async move {
            let command = pb::Command { catalog: Some(op.into()), ..Default::default() };
            match raft.client_write(LogCommand(Bytes::from(command.encode_to_vec()))).await {
                Ok(response) => match response.data {
                    ApplyResults::Catalog(result) => result,
                    _ => Err(Error::WriteFailed),
                },
                Err(RaftError::APIError(e)) => Err(write_error(&e)),
                Err(RaftError::Fatal(_)) => Err(Error::ShuttingDown),
            }
        })
    }

    fn take_catalog_events(&self) -> Option<mpsc::UnboundedReceiver<CatalogApplied>> {
        self.catalog_events.lock().unwrap_or_else(|p| p.into_inner()).take()
    }

    fn remove_broker(&self, node_id: u64) -> BoxFuture<'static, Result<()>> {
        let rafts: Vec<Raft> = self.replicas.iter().map(|r| r.raft.clone()).collect();
        let (cluster_id, me, directory) = (self.cluster_id.clone(), self.node_id, self.directory.clone());
        let placement = self.shards;
        Box::pin(async move {
            let shards = removal::ShardGroups { rafts: &rafts, cluster_id: &cluster_id, me, directory: &directory };
            shards.remove_everywhere(node_id, placement).await
        })
    }
}
