//! The replicated commit log's state machine: every broker applies every committed entry with
//! the same code a single broker uses (`broker::apply`, `broker::catalog`), so replicas hold the
//! same bytes. The applied log id and membership are written in the same RocksDB write as the
//! entry's effects (WAL on, not fsynced: the Raft log's fsync is the durability point), so after
//! a crash a replica resumes exactly after the last entry whose effects it kept. A data shard's
//! consecutive entries of ops are applied in one such write (`apply_batch`).
//!
//! A trim entry (`trim`) is applied here too: this replica then trims its own log.
//!
//! A copy of the shard from its leader (`shard_snapshot`) replaces this replica's rows of the
//! shard's partitions; the entries up to the point it was read at are then skipped.
//!
//! A write that fails here is fatal to the replica (the entry would be missing under later
//! ones): the error stops its Raft group, never a client's request.
use std::io;

use futures::{Stream, TryStreamExt};
use openraft::storage::{ApplyResponder, EntryResponder, RaftSnapshotBuilder, RaftStateMachine};
use openraft::{EntryPayload, OptionalSend};
use prost::Message;
use tokio::sync::mpsc;

use super::apply_batch::{self, ApplyBatch};
use super::codec;
use super::disk_wait::DiskWait;
use super::shard::CatalogProgress;
use super::shard_snapshot::{Received, ShardSnapshot, Snapshot, SnapshotMeta, read_staged};
use super::types::{BrokerNode, LogCommand, LogId, Membership, StoredMembership, TypeConfig};
use crate::broker::apply::{Applier, Op};
use crate::broker::catalog::{self, CatalogApplied, CatalogOp};
use crate::broker::shards::{META_SHARD, Shards};
use crate::broker::{ApplyResults, reload_shard};
use crate::proto::{log as log_pb, peer as pb};
use crate::storage::keys;

/// Who waits for an entry's results (its proposer, on the leader).
type Responder = ApplyResponder<TypeConfig>;

/// What the broker must do locally after a catalog entry (families to create or reclaim).
pub type CatalogEvents = mpsc::UnboundedSender<CatalogApplied>;
/// Trim points applied, for this replica to trim its own log (`trim::apply`).
pub type Trims = mpsc::UnboundedSender<u64>;

pub struct StateMachine {
    applier: Applier,
    group: u64,
    /// Which partitions this group carries (those a copy of it replaces).
    shards: Shards,
    /// How far this broker applied the metadata shard: the metadata shard's state machine
    /// advances it, a data shard's waits for it (`Command.catalog_index`).
    catalog: CatalogProgress,
    applied: Option<LogId>,
    membership: StoredMembership,
    catalog_events: CatalogEvents,
    trims: Trims,
    /// Writes waiting for disk space.
    disk: DiskWait,
}

impl StateMachine {
    /// The state machine of `group`, resuming from its applied state in `meta`.
    pub fn open(
        applier: Applier,
        (group, shards): (u64, Shards),
        catalog_events: CatalogEvents,
        trims: Trims,
        disk: DiskWait,
        catalog: CatalogProgress,
    ) -> io::Result<Self> {
        let (applied, membership) = read_state(&applier.store, group, "applied")?.unwrap_or_default();
        if group == META_SHARD {
            catalog.opened_at(applied.map_or(0, |a| a.index));
        }
        Ok(StateMachine { applier, group, shards, catalog, applied, membership, catalog_events, trims, disk })
    }

    /// A data shard's entry waits until this broker applied the metadata shard as far as the
    /// proposer had: the topics and partitions its ops name exist here too (or are gone for
    /// good, deleted, as the proposer may also find when it applies). The index to wait for,
    /// if this broker is not there yet.
    fn catalog_to_wait_for(&self, payload: &Payload) -> Option<u64> {
        let Payload::Command(command) = payload else { return None };
        let index = command.catalog_index;
        (self.group != META_SHARD && index > self.catalog.applied_index()).then_some(index)
    }

    /// A data shard's entry of ops only (no catalog change, no trim), its ops decoded: it may
    /// be applied in one write with its neighbours (`apply_batch`). Anything else comes back.
    fn plain_ops(&self, payload: Payload) -> io::Result<Result<Vec<Op>, Payload>> {
        let plain = matches!(&payload, Payload::Command(c) if c.catalog.is_none() && c.trim_raft_log_upto.is_none());
        // Only a table that issues ids evicts after a write, at a point that depends on where
        // writes are cut: the metadata shard's (and a data shard's never does).
        if !plain || self.group == META_SHARD || self.applier.producers.issues_ids() {
            return Ok(Err(payload));
        }
        let Payload::Command(command) = payload else { return Ok(Err(payload)) };
        let ops = command.ops.into_iter().map(Op::try_from).collect::<Result<Vec<_>, _>>();
        Ok(Ok(ops.map_err(io::Error::other)?))
    }

    /// Applies `entries` in order, gathering a data shard's op entries into `run` (applied
    /// before anything else is, and by the caller at the end).
    async fn apply_entries<Strm>(&mut self, entries: &mut Strm, run: &mut ApplyBatch) -> io::Result<()>
    where
        Strm: Stream<Item = Result<EntryResponder<TypeConfig>, io::Error>> + Unpin + OptionalSend,
    {
        while let Some((entry, responder)) = entries.try_next().await? {
            // Entries a shard copy installed here held already (it was read past the snapshot
            // mark openraft resumes from).
            if self.applied.is_some_and(|applied| applied.index >= entry.log_id.index) {
                if let Some(responder) = responder {
                    responder.send(ApplyResults::Nothing);
                }
                continue;
            }
            let payload = Payload::decode(entry.payload)?;
            if let Some(index) = self.catalog_to_wait_for(&payload) {
                // What is gathered does not wait with it.
                self.apply_run(run)?;
                self.catalog.wait_applied(index).await;
            }
            match self.plain_ops(payload)? {
                Ok(ops) => self.gather(run, entry.log_id, ops, responder)?,
                Err(payload) => {
                    self.apply_run(run)?;
                    self.apply_alone(entry.log_id, payload, responder)?;
                }
            }
        }
        Ok(())
    }

    /// Adds an entry of ops to `run`: the run is applied first if the entry cannot join it,
    /// and with the entry at once if its ops must be applied alone.
    fn gather(
        &mut self,
        run: &mut ApplyBatch,
        log_id: LogId,
        ops: Vec<Op>,
        responder: Option<Responder>,
    ) -> io::Result<()> {
        let alone = !ops.iter().all(apply_batch::joins_a_run);
        if alone || !run.takes(&log_id) {
            self.apply_run(run)?;
        }
        run.push(log_id, ops, responder);
        if alone {
            self.apply_run(run)?;
        }
        Ok(())
    }

    /// Applies an entry that is not a data shard's ops in a write of its own, and answers it.
    fn apply_alone(&mut self, log_id: LogId, payload: Payload, responder: Option<Responder>) -> io::Result<()> {
        let changes_catalog = matches!(&payload, Payload::Command(c) if c.catalog.is_some());
        if self.group == META_SHARD && changes_catalog {
            // Before the change is visible to requests: a data entry proposed once it is names
            // this entry, and no replica applies it before applying this one.
            self.catalog.changing(log_id.index);
        }
        let results = self.apply_entry(log_id, payload)?;
        if self.group == META_SHARD {
            self.catalog.applied(log_id.index);
        }
        if let Some(responder) = responder {
            responder.send(results);
        }
        Ok(())
    }

    /// Applies the run gathered so far in one write, recording its last entry applied, and
    /// answers each of its entries.
    fn apply_run(&mut self, run: &mut ApplyBatch) -> io::Result<()> {
        let Some((last, mut ops, answers)) = run.take() else { return Ok(()) };
        self.applied = Some(last);
        self.applier.leader_epoch = i32::try_from(last.leader_id.term).unwrap_or(i32::MAX);
        answers.send(self.write(&mut ops)?);
        Ok(())
    }

    /// Applies one entry and records it applied, in one write.
    fn apply_entry(&mut self, log_id: LogId, payload: Payload) -> io::Result<ApplyResults> {
        self.applied = Some(log_id);
        self.applier.leader_epoch = i32::try_from(log_id.leader_id.term).unwrap_or(i32::MAX);
        let command = match payload {
            Payload::Blank => {
                self.write(&mut [])?;
                return Ok(ApplyResults::Nothing);
            }
            Payload::Membership(m) => {
                self.membership = StoredMembership::new(Some(log_id), m);
                self.write(&mut [])?;
                return Ok(ApplyResults::Nothing);
            }
            Payload::Command(command) => command,
        };
        if let Some(upto) = command.trim_raft_log_upto {
            self.write(&mut [])?;
            let _ = self.trims.send(upto);
            return Ok(ApplyResults::Nothing);
        }
        match command.catalog {
            Some(op) => self.apply_catalog(op, log_id.index),
            None => {
                let ops = command.ops.into_iter().map(Op::try_from).collect::<Result<Vec<_>, _>>();
                let mut ops = ops.map_err(io::Error::other)?;
                Ok(ApplyResults::Ops(self.write(&mut ops)?))
            }
        }
    }

    fn apply_catalog(&mut self, op: log_pb::CatalogOp, index: u64) -> io::Result<ApplyResults> {
        let op = CatalogOp::from_entry(op, index).ok_or_else(|| io::Error::other("catalog entry without an op"))?;
        let applied = catalog::apply(&self.applier.store, &self.applier.topics, op);
        // A deleted topic's producer state goes too, in the write that marks the entry applied.
        let mut forget: Vec<Op> = match &applied {
            Ok(CatalogApplied::Deleted { topic_id, .. }) => vec![Op::ForgetTopic { topic_id: *topic_id }],
            _ => Vec::new(),
        };
        self.write(&mut forget)?;
        if let Ok(done) = &applied {
            let _ = self.catalog_events.send(done.clone());
        }
        Ok(ApplyResults::Catalog(applied))
    }

    /// Applies `ops` with the applied mark; a failed write stops this replica.
    fn write(&mut self, ops: &mut [Op]) -> io::Result<Vec<crate::error::Result<crate::broker::apply::Applied>>> {
        let state = encode_state(self.applied.as_ref(), &self.membership);
        let marks = [(keys::raft_meta_key(self.group, "applied"), state)];
        let (applier, disk) = (&mut self.applier, &self.disk);
        // A full disk pauses this replica's apply until space returns (a failed write applied
        // nothing, so the same ops are applied again); anything else stops it.
        tokio::task::block_in_place(|| disk.until_space("apply", || applier.try_apply(ops, &marks, |_| false))).map_err(
            |e| {
                tracing::error!(error = %e, "applying a committed entry failed; this replica stops");
                io::Error::other(e)
            },
        )
    }
}

/// An entry's payload, its command decoded.
enum Payload {
    Blank,
    Membership(Membership),
    Command(log_pb::Command),
}

impl Payload {
    fn decode(payload: EntryPayload<LogCommand, u64, BrokerNode>) -> io::Result<Self> {
        Ok(match payload {
            EntryPayload::Blank => Payload::Blank,
            EntryPayload::Membership(m) => Payload::Membership(m),
            EntryPayload::Normal(command) => {
                Payload::Command(log_pb::Command::decode(command.0).map_err(io::Error::other)?)
            }
        })
    }
}

impl RaftStateMachine<TypeConfig> for StateMachine {
    type SnapshotData = ShardSnapshot;
    type SnapshotBuilder = SnapshotMark;

    async fn applied_state(&mut self) -> Result<(Option<LogId>, StoredMembership), io::Error> {
        Ok((self.applied, self.membership.clone()))
    }

    async fn apply<Strm>(&mut self, mut entries: Strm) -> Result<(), io::Error>
    where
        Strm: Stream<Item = Result<EntryResponder<TypeConfig>, io::Error>> + Unpin + OptionalSend,
    {
        let mut run = ApplyBatch::default();
        let applied = self.apply_entries(&mut entries, &mut run).await;
        // Entries gathered before an error are applied and answered, as one by one they were.
        let gathered = self.apply_run(&mut run);
        applied.and(gathered)
    }

    async fn get_snapshot_builder(&mut self) -> Self::SnapshotBuilder {
        SnapshotMark {
            store: self.applier.store.clone(),
            group: self.group,
            applied: self.applied,
            membership: self.membership.clone(),
            disk: self.disk.clone(),
        }
    }

    async fn install_snapshot(&mut self, _meta: &SnapshotMeta, snapshot: ShardSnapshot) -> Result<(), io::Error> {
        let ShardSnapshot::Received(received) = snapshot else {
            return Err(io::Error::other("a snapshot mark holds no rows to install"));
        };
        // The rows name partitions of topics the leader knew of: this broker knows them too
        // once it applied the metadata shard as far.
        self.catalog.wait_applied(received.catalog_index).await;
        let (applied, membership) = decode_state(&received.data_applied)?;
        tracing::info!(shard = self.group, ?applied, "installing a copy of the shard from its leader");
        tokio::task::block_in_place(|| self.install(&received))?;
        self.applied = applied;
        self.membership = membership;
        Ok(())
    }

    async fn get_current_snapshot(&mut self) -> Result<Option<Snapshot>, io::Error> {
        let marked = read_state(&self.applier.store, self.group, "snapshot")?;
        Ok(marked.map(|(last_log_id, last_membership)| Snapshot {
            meta: SnapshotMeta { last_log_id, last_membership },
            snapshot: ShardSnapshot::Mark,
        }))
    }
}

impl StateMachine {
    /// Replaces this replica's rows of the group's partitions with the received ones, then
    /// reads their extents and producer windows again. See `Store::begin_shard_install` for
    /// what a stop halfway leaves; a full disk pauses it until space returns.
    fn install(&mut self, received: &Received) -> io::Result<()> {
        let (group, shards, store, disk) = (self.group, self.shards, self.applier.store.clone(), self.disk.clone());
        let partitions = self.applier.partitions_of(shards, group);
        let what = "install a copy of its shard";
        disk.until_space(what, || store.begin_shard_install(group, &partitions)).map_err(io::Error::other)?;
        read_staged(&received.staged_file, |rows| {
            disk.until_space(what, || store.write_shard_rows(&rows)).map_err(io::Error::other)
        })?;
        // The rows are the state at their applied mark, a later point than openraft's: the
        // snapshot mark says so too, so a restart resumes from there.
        let marks: [(&str, &[u8]); 2] = [("applied", &received.data_applied), ("snapshot", &received.data_applied)];
        disk.until_space(what, || store.finish_shard_install(group, &marks)).map_err(io::Error::other)?;
        reload_shard(&mut self.applier, shards, group).map_err(io::Error::other)
    }
}

/// A snapshot that is a mark, not a copy: the state it stands for is the data dir at the
/// applied log id it records (partition data below it only ever loses its head). It lets
/// openraft purge the log a trim names; when openraft sends it, the shard's rows go with it
/// (`shard_snapshot`).
pub struct SnapshotMark {
    store: std::sync::Arc<crate::storage::Store>,
    group: u64,
    applied: Option<LogId>,
    membership: StoredMembership,
    disk: DiskWait,
}

impl RaftSnapshotBuilder<TypeConfig> for SnapshotMark {
    type SnapshotData = ShardSnapshot;

    async fn build_snapshot(&mut self) -> Result<Snapshot, io::Error> {
        // Not synced: the purge this mark allows is a later write to the same WAL, and a crash
        // keeps a prefix of the WAL, so a restart never finds the log purged without the mark.
        // (Syncing here stalled applies for up to 300 ms: this runs in openraft's state machine
        // worker.)
        let state = encode_state(self.applied.as_ref(), &self.membership);
        let (store, group) = (self.store.clone(), self.group);
        self.disk
            .blocking("write its snapshot mark", move || store.raft_put_mark(group, "snapshot", &state, false))
            .await?;
        let meta = SnapshotMeta { last_log_id: self.applied, last_membership: self.membership.clone() };
        Ok(Snapshot { meta, snapshot: ShardSnapshot::Mark })
    }
}

/// An applied log id with its membership, as stored under `name` ("applied", "snapshot").
pub(super) fn read_state(
    store: &crate::storage::Store,
    group: u64,
    name: &str,
) -> io::Result<Option<(Option<LogId>, StoredMembership)>> {
    let stored = store.raft_mark(group, name).map_err(io::Error::other)?;
    stored.map(|bytes| decode_state(&bytes)).transpose()
}

/// An applied log id with its membership, from its stored form.
pub(super) fn decode_state(bytes: &[u8]) -> io::Result<(Option<LogId>, StoredMembership)> {
    let state = pb::AppliedState::decode(bytes).map_err(io::Error::other)?;
    let membership = match state.membership {
        Some(m) => codec::from_membership(m).map_err(io::Error::other)?,
        None => Default::default(),
    };
    let membership_log_id = state.membership_log_id.map(codec::from_log_id);
    Ok((state.last_applied.map(codec::from_log_id), StoredMembership::new(membership_log_id, membership)))
}

pub(super) fn encode_state(applied: Option<&LogId>, membership: &StoredMembership) -> Vec<u8> {
    let state = pb::AppliedState {
        last_applied: applied.map(codec::log_id),
        membership_log_id: membership.log_id().as_ref().map(codec::log_id),
        membership: Some(codec::membership(membership.membership())),
    };
    state.encode_to_vec()
}
