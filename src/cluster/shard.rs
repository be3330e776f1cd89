//! One shard of a cluster member: its Raft node on its own slice of the Raft log, the state
//! machine that applies its entries through the shard's applier, and the tasks that watch it
//! and trim its log.
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use anyhow::Context;
use futures::FutureExt;
use openraft::errors::Fatal;
use tokio::runtime::Handle;
use tokio::sync::watch;

use super::disk_wait::DiskWait;
use super::entry_sizes::EntrySizes;
use super::left_shard;
use super::log_store::{LogStore, Reapply};
use super::network::Network;
use super::shard_snapshot::SnapshotSource;
use super::state_machine::{CatalogEvents, StateMachine};
use super::stopped;
use super::trim;
use super::types::{ClusterId, Raft, TypeConfig};
use super::wal_syncer::WalSyncer;
use super::watch::ShardWatch;
use crate::broker::apply::Applier;
use crate::broker::reload_shard;
use crate::broker::shards::{META_SHARD, Shards};
use crate::storage::Store;

/// How far this broker applied the metadata shard, and the index of the last catalog change
/// (topic created, deleted, altered, grown) it applied. A data shard's entry carries the latter,
/// as its proposer saw it (`Command.catalog_index`); a replica applies the entry once it applied
/// its metadata shard that far, so the topics and partitions it names exist there too. Other
/// metadata entries (producer ids, groups' commits) hold no data shard back.
#[derive(Clone)]
pub struct CatalogProgress(Arc<Progress>);

struct Progress {
    applied: watch::Sender<u64>,
    last_change: AtomicU64,
}

impl CatalogProgress {
    /// Nothing applied yet; the metadata shard's state machine sets where it opened
    /// (`opened_at`).
    pub fn new() -> Self {
        CatalogProgress(Arc::new(Progress { applied: watch::channel(0).0, last_change: AtomicU64::new(0) }))
    }

    /// The metadata shard opened at `applied`. The last change is taken to be there too until
    /// one is applied (it lies at or below it).
    pub fn opened_at(&self, applied: u64) {
        self.0.applied.send_replace(applied);
        self.0.last_change.store(applied, Ordering::Release);
    }

    /// The metadata shard is about to apply a catalog change at `index`.
    pub fn changing(&self, index: u64) {
        self.0.last_change.store(index, Ordering::Release);
    }

    /// The metadata shard applied entry `index`.
    pub fn applied(&self, index: u64) {
        self.0.applied.send_replace(index);
    }

    /// What a data shard's entry proposed now must wait for on a replica.
    pub fn last_change(&self) -> u64 {
        self.0.last_change.load(Ordering::Acquire)
    }

    /// How far this broker applied the metadata shard.
    pub fn applied_index(&self) -> u64 {
        *self.0.applied.borrow()
    }

    /// Waits until this broker applied the metadata shard up to `index`.
    pub async fn wait_applied(&self, index: u64) {
        let mut progress = self.0.applied.subscribe();
        // The sender lives as long as `self`, so the wait only ends when it got there.
        let _ = progress.wait_for(|applied| *applied >= index).await;
    }
}

/// A running shard: its Raft node and what watches it.
#[derive(Clone)]
pub struct ShardReplica {
    pub raft: Raft,
    pub watch: Arc<ShardWatch>,
}

/// Entries the metadata shard's log keeps at least below what every member holds. It is never
/// sent as a copy, so a member whose log lost its unsynced end (power loss under `--fsync
/// interval` or `never`) must find what it lacks in the log; its entries are small (topics,
/// producer ids, groups' commits), so keeping more costs little memory.
const META_KEEP_ENTRIES: u64 = 1_000;

/// A started Raft node and what its shard's tasks take from it.
struct StartedRaft {
    raft: Raft,
    /// Its entries' sizes (followers' lag in bytes).
    sizes: Arc<EntrySizes>,
    /// Where its trims arrive once applied.
    trims_applied: tokio::sync::mpsc::UnboundedReceiver<u64>,
}

/// What every shard of a member shares.
pub struct Member<'a> {
    pub node_id: u64,
    pub cluster_id: ClusterId,
    pub config: Arc<openraft::Config>,
    pub store: Arc<Store>,
    /// fsync each Raft log append (`--fsync always`).
    pub sync: bool,
    pub disk: DiskWait,
    /// Syncs every shard's Raft log appends together.
    pub syncer: WalSyncer,
    pub catalog_events: CatalogEvents,
    pub catalog: CatalogProgress,
    pub lag_time_max: std::time::Duration,
    /// Entries each Raft log keeps below what every member holds (`trim`).
    pub keep_entries: u64,
    /// How this cluster's work is split over shards.
    pub shards: Shards,
    pub runtime: &'a Handle,
}

impl Member<'_> {
    /// Starts `shard`'s Raft node, on a state machine `applier` makes, and its watch and trim
    /// tasks.
    pub fn open_shard(
        &self,
        shard: u64,
        applier: impl Fn() -> anyhow::Result<Applier>,
    ) -> anyhow::Result<ShardReplica> {
        let mut first = applier()?;
        self.forget_left_or_cut_short(shard, &mut first)?;
        let StartedRaft { raft, sizes, trims_applied } = self
            .start_raft_past_a_bad_entry(shard, first, applier)
            .with_context(|| format!("starting the Raft node of shard {shard}"))?;
        let watch = Arc::new(ShardWatch {
            shard,
            raft: raft.clone(),
            node_id: self.node_id,
            cluster_id: self.cluster_id.clone(),
            sizes,
            lag_time_max: self.lag_time_max,
            tracked: Mutex::default(),
            stopped: AtomicBool::new(false),
        });
        self.runtime.spawn(watch.clone().run());
        let keep = if shard == META_SHARD { self.keep_entries.max(META_KEEP_ENTRIES) } else { self.keep_entries };
        self.runtime.spawn(trim::propose(raft.clone(), self.node_id, keep));
        self.runtime.spawn(trim::apply(raft.clone(), trims_applied));
        Ok(ShardReplica { raft, watch })
    }

    /// openraft applies the committed entries the state machine has not applied yet before the
    /// node starts. If a data shard's entry cannot be applied (what stopped its copy before the
    /// restart, `stopped`), the node is started again, on a state machine `applier` makes anew,
    /// without that step: the broker starts and serves its other shards, and the copy stops
    /// again when its leader's commit index reaches that entry. (A trim the failed start applied
    /// is not acted on: the next one covers it.)
    fn start_raft_past_a_bad_entry(
        &self,
        shard: u64,
        first: Applier,
        applier: impl Fn() -> anyhow::Result<Applier>,
    ) -> anyhow::Result<StartedRaft> {
        match self.start_raft(shard, first, self.reapply_at_start(shard)) {
            Err(e) if e.downcast_ref().is_some_and(|fatal| stopped::passable_at_start(shard, fatal)) => {
                tracing::error!(
                    shard,
                    error = %e,
                    "applying the shard's committed entries failed; its copy starts without applying them, and stops \
                     again if its leader commits that entry"
                );
                self.start_raft(shard, applier()?, Reapply::Nothing)
            }
            started => started,
        }
    }

    /// Drops what this broker holds of `shard` if it left it (`left_shard`) or an install of a
    /// copy was cut short (the leader sends it again).
    fn forget_left_or_cut_short(&self, shard: u64, applier: &mut Applier) -> anyhow::Result<()> {
        if left_shard::forget_at_open(&self.store, shard, self.node_id)? {
            tracing::info!(shard, "this broker left the shard: its rows are dropped");
            self.store.forget_shard_at_open(shard)?;
        }
        if self.store.forget_interrupted_install(shard, || applier.partitions_of(self.shards, shard))? {
            // The partitions' extents and producer windows were read before: read them again.
            reload_shard(applier, self.shards, shard)?;
            tracing::info!(
                shard,
                "the shard's local state is forgotten: its leader sends a copy when it is added here"
            );
            self.reclaim(applier.partitions_of(self.shards, shard));
        }
        Ok(())
    }

    /// Which committed entries `shard`'s Raft node applies before it starts: a data shard's
    /// entries name the metadata shard's progress (`catalog_index`), and one past what this
    /// broker applied would wait for it forever.
    fn reapply_at_start(&self, shard: u64) -> Reapply {
        if shard == META_SHARD { Reapply::All } else { Reapply::WithinCatalog(self.catalog.clone()) }
    }

    /// `shard`'s Raft node on `applier`'s state machine, its entries' sizes and where its trims
    /// arrive once applied.
    fn start_raft(&self, shard: u64, applier: Applier, reapply: Reapply) -> anyhow::Result<StartedRaft> {
        let (trims, trims_applied) = tokio::sync::mpsc::unbounded_channel();
        let state_machine = StateMachine::open(
            applier,
            (shard, self.shards),
            self.catalog_events.clone(),
            trims,
            self.disk.clone(),
            self.catalog.clone(),
        )?;
        let sizes = Arc::new(EntrySizes::default());
        let log_store =
            LogStore::new(self.store.clone(), shard, self.sync, sizes.clone(), self.disk.clone(), self.syncer.clone());
        let log_store = log_store.reapplying(reapply);
        let snapshots = (shard != META_SHARD).then(|| SnapshotSource {
            store: self.store.clone(),
            shards: self.shards,
            catalog: self.catalog.clone(),
        });
        let network = Network::new(shard, self.cluster_id.clone(), snapshots);
        let starting = Raft::new(self.node_id, self.config.clone(), network, log_store, state_machine);
        // openraft applies the committed entries the state machine lacks right here, not in a
        // task of its own: a panic there is the shard's, as one in a running node is.
        let started = self.runtime.block_on(AssertUnwindSafe(starting).catch_unwind());
        let raft = started.map_err(|_| Fatal::<TypeConfig>::Panicked)??;
        Ok(StartedRaft { raft, sizes, trims_applied })
    }

    /// Compacts the emptied `partitions` in the background, so their rows leave the disk (a
    /// range delete alone frees nothing until compaction reaches it).
    fn reclaim(&self, partitions: Vec<(u64, u32)>) {
        let store = self.store.clone();
        self.runtime.spawn_blocking(move || store.reclaim_partitions(&partitions));
    }
}

/// The keys under which a member records its cluster's data shard count and copies of each.
const DATA_SHARDS_MARK: &str = "data_shards";
const REPLICATION_FACTOR_MARK: &str = "replication_factor";
const OTHER_FACTORS_MARK: &str = "other_replication_factors";

/// How this member's work is split: what its data dir recorded, else (a new member) what
/// `--data-shards`, `--default-replication-factor` and `--topic-replication-factors` ask,
/// recorded now (`asked`: `None` only reads). A data dir of a cluster formed before shards existed (its metadata group has
/// state, but no count) keeps one group for everything; one formed before the replication
/// factor existed keeps every data shard on every broker, and one formed before other factors
/// existed has none.
pub fn recorded_shards(store: &Store, asked: Option<&super::node::ClusterConfig>) -> anyhow::Result<Shards> {
    let formed_before = store.raft_mark(META_SHARD, "vote")?.is_some();
    let record = |mark, flag, asked| recorded_count(store, mark, flag, asked, formed_before);
    let data = record(DATA_SHARDS_MARK, "--data-shards", asked.and_then(|c| c.data_shards))?;
    let flag = "--default-replication-factor";
    let replicas = record(REPLICATION_FACTOR_MARK, flag, asked.and_then(|c| c.replication_factor))?;
    let flag = "--topic-replication-factors";
    let others = record(OTHER_FACTORS_MARK, flag, asked.and_then(|c| c.other_replication_factors))?;
    Ok(Shards::new(data).with_replicas(replicas).with_other_factors(others))
}

/// The count recorded under `mark`; else 0 for a cluster formed before it was recorded, or
/// what `flag` asks (0 if unset), recorded now.
fn recorded_count(
    store: &Store,
    mark: &str,
    flag: &str,
    asked: Option<u64>,
    formed_before: bool,
) -> anyhow::Result<u64> {
    if let Some(bytes) = store.raft_mark(META_SHARD, mark)? {
        let count: [u8; 8] = bytes.as_slice().try_into().with_context(|| format!("the recorded {mark} is damaged"))?;
        let recorded = u64::from_be_bytes(count);
        if let Some(asked) = asked.filter(|asked| *asked != recorded) {
            tracing::warn!(recorded, asked, "{flag} differs from what this cluster formed with; the cluster's stays");
        }
        return Ok(recorded);
    }
    if formed_before && asked.is_some_and(|asked| asked != 0) {
        tracing::warn!(asked, "this cluster formed before {flag} existed, and keeps what it formed with");
    }
    let count = if formed_before { 0 } else { asked.unwrap_or(0) };
    store.raft_put_mark(META_SHARD, mark, &count.to_be_bytes(), true)?;
    Ok(count)
}
