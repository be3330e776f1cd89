//! A broker as a member of a cluster: its commit logs are its shards' Raft groups (formed from
//! the seeds by `formation`), and it asks its peers who they are (Hello).
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use tokio::runtime::Handle;
use tokio::sync::mpsc;

use super::copies_balance;
use super::directory::{self, ShardDirectory};
use super::disk_wait::DiskWait;
use super::left_shard;
use super::raft_log::{ClusterReplication, RaftLog};
use super::shard::{CatalogProgress, Member, ShardReplica, recorded_shards};
use super::types::{BrokerNode, ClusterId, Raft};
use super::wal_syncer::WalSyncer;
use crate::broker::Broker;
use crate::broker::commit_log::CommitLog;
use crate::broker::replication::Replication;
use crate::broker::shards::META_SHARD;
use crate::config::{BrokerConfig, FsyncPolicy};
use crate::proto::peer::{HelloRequest, HelloResponse, peer_client::PeerClient};
use crate::storage::FORMAT_VERSION;

/// How a broker takes part in a cluster.
#[derive(Debug, Clone)]
pub struct ClusterConfig {
    /// Where peers reach this broker.
    pub peer_addr: String,
    /// Where clients reach this broker (handed out to clients of other brokers).
    pub client_addr: String,
    /// Where Kafka clients reach it (`host:port`), empty without a Kafka listener.
    pub kafka_addr: String,
    /// Every seed's peer address, this broker's included: seeds form the cluster together.
    pub seeds: Vec<String>,
    /// A member's peer address, for a broker that joins a running cluster (`--join`); its seeds
    /// are then the cluster's, recorded when it joined.
    pub join: Option<String>,
    /// Raft groups that carry the partitions, besides the metadata group (`--data-shards`;
    /// fixed when the cluster forms). `None` for a broker that joins: the cluster's.
    pub data_shards: Option<u64>,
    /// Brokers each data shard forms with (`--default-replication-factor`; fixed when the
    /// cluster forms). `None` for a broker that joins: the cluster's.
    pub replication_factor: Option<u64>,
    /// The other factors topics may ask for, each with a class of data shards
    /// (`--topic-replication-factors`, bit `f` for `f` copies; fixed when the cluster forms).
    /// `None` for a broker that joins: the cluster's.
    pub other_replication_factors: Option<u64>,
    pub heartbeat: Duration,
    /// Elections start after a random wait in this range without a leader.
    pub election_timeout: (Duration, Duration),
    /// A follower not caught up for this long leaves the in-sync replicas; a broker silent this
    /// long is not alive.
    pub replica_lag_time_max: Duration,
    /// Entries each shard's Raft log keeps below what every member holds.
    pub raft_log_keep_entries: u64,
    /// Below this many free bytes on the data dir's disk, a leader hands leadership over.
    pub min_free_disk: u64,
}

impl ClusterConfig {
    /// This broker as the cluster knows it.
    pub fn node(&self) -> BrokerNode {
        let (peer_addr, client_addr, kafka_addr) =
            (self.peer_addr.clone(), self.client_addr.clone(), self.kafka_addr.clone());
        BrokerNode { peer_addr, client_addr, kafka_addr }
    }
}

/// What opening the broker started: its shards and the cluster id.
type Started = (Vec<ShardReplica>, ClusterId);

/// A member's Raft nodes, in shard order (the metadata shard first).
pub type Rafts = Vec<Raft>;

/// Opens the broker with one Raft group per shard as its commit logs; returns it with its
/// shards (in shard order) and the cluster id it goes by.
pub fn open_broker(
    config: BrokerConfig,
    cluster: &ClusterConfig,
    runtime: Handle,
) -> anyhow::Result<(Arc<Broker>, Vec<ShardReplica>, ClusterId)> {
    let raft_config = raft_config(cluster)?;
    let sync = config.fsync == FsyncPolicy::Always;
    let started: Arc<Mutex<Option<Started>>> = Arc::default();
    let started_rafts = started.clone();
    let broker = Broker::open_with(config, move |appliers, identity| {
        let store = appliers.store().clone();
        store.ensure_raft_log()?;
        let shards = recorded_shards(&store, Some(cluster))?;
        let (catalog_events, catalog_applied) = mpsc::unbounded_channel();
        let disk = DiskWait::default();
        let member = Member {
            node_id: identity.node_id,
            cluster_id: ClusterId::new(identity.cluster_id.clone()),
            config: raft_config,
            store: store.clone(),
            sync,
            syncer: WalSyncer::start(store.clone(), disk.clone())?,
            disk,
            catalog_events,
            catalog: CatalogProgress::new(),
            lag_time_max: cluster.replica_lag_time_max,
            keep_entries: cluster.raft_log_keep_entries,
            shards,
            runtime: &runtime,
        };
        let mut logs: Vec<Box<dyn CommitLog>> = Vec::new();
        let mut replicas = Vec::new();
        for shard in 0..shards.count() {
            let replica = member.open_shard(shard, || appliers.for_shard(shards, shard))?;
            // A data shard's entries name the metadata shard's progress (`catalog_index`).
            let catalog = (shard != META_SHARD).then(|| member.catalog.clone());
            let raft = replica.raft.clone();
            logs.push(Box::new(RaftLog {
                raft,
                runtime: runtime.clone(),
                store: store.clone(),
                sync_always: sync,
                catalog,
            }));
            replicas.push(replica);
        }
        *started_rafts.lock().unwrap_or_else(|p| p.into_inner()) = Some((replicas.clone(), member.cluster_id.clone()));
        let directory = Arc::new(ShardDirectory::default());
        let rafts: Vec<Raft> = replicas.iter().map(|r| r.raft.clone()).collect();
        let (cluster_id, me) = (member.cluster_id.clone(), identity.node_id);
        let watches = replicas.iter().map(|r| r.watch.clone()).collect();
        runtime.spawn(directory::poll(directory.clone(), watches, me, cluster_id.clone()));
        runtime.spawn(left_shard::note(store.clone(), directory.clone(), rafts.clone(), me));
        runtime.spawn(copies_balance::run(rafts, cluster_id, me, directory.clone(), shards));
        let replication = ClusterReplication {
            directory,
            shards,
            replicas,
            node_id: identity.node_id,
            cluster_id: member.cluster_id.clone(),
            catalog_events: Mutex::new(Some(catalog_applied)),
            disk: member.disk.clone(),
            read_lease: cluster.election_timeout.1 / 2,
        };
        Ok((logs, Some(Arc::new(replication) as Arc<dyn Replication>)))
    })?;
    let (replicas, cluster_id) =
        started.lock().unwrap_or_else(|p| p.into_inner()).take().context("the Raft nodes did not start")?;
    Ok((broker, replicas, cluster_id))
}

fn raft_config(cluster: &ClusterConfig) -> anyhow::Result<Arc<openraft::Config>> {
    let ms = |d: Duration| d.as_millis() as u64;
    let config = openraft::Config {
        cluster_name: "strata".into(),
        heartbeat_interval: ms(cluster.heartbeat),
        // openraft starts an election once the leader's lease (its election_timeout_max) and then
        // a random election timeout have both run out since the last heartbeat. Given half the
        // range, a follower elects within the range --raft-election-timeout names.
        election_timeout_min: ms(cluster.election_timeout.0) / 2,
        election_timeout_max: ms(cluster.election_timeout.1) / 2,
        enable_pre_vote: Some(true),
        // A leader cut off from its quorum steps back instead of holding followers that could
        // elect another one (openraft #2080).
        quorum_loss_probe_interval: Some(2 * ms(cluster.election_timeout.1)),
        // Snapshots are marks taken only to trim the log (`trim`), and only trims purge it:
        // openraft's own purging after a snapshot would drop entries a member may lack.
        snapshot_policy: openraft::SnapshotPolicy::Never,
        max_in_snapshot_log_to_keep: u64::MAX,
        ..Default::default()
    };
    Ok(Arc::new(config.validate().context("the Raft timers (--raft-heartbeat, --raft-election-timeout)")?))
}

/// What this broker answers to a peer's Hello.
pub fn hello(broker: &Broker, cluster: &ClusterConfig) -> HelloResponse {
    let identity = broker.identity();
    HelloResponse {
        node_id: identity.node_id,
        cluster_id: identity.cluster_id.clone(),
        format_version: FORMAT_VERSION,
        client_addr: cluster.client_addr.clone(),
        peer_addr: cluster.peer_addr.clone(),
        kafka_addr: cluster.kafka_addr.clone(),
        data_shards: broker.shards().data(),
        replication_factor: broker.shards().replicas(),
        other_replication_factors: broker.shards().other_factors(),
    }
}

/// What this broker tells the brokers it asks who they are.
pub struct Asking {
    pub me: u64,
    pub seeds: Vec<String>,
    pub data_shards: u64,
    pub replication_factor: u64,
    pub other_replication_factors: u64,
}

impl Asking {
    pub fn of(broker: &Broker, cluster: &ClusterConfig) -> Self {
        let shards = broker.shards();
        Asking {
            me: broker.identity().node_id,
            seeds: cluster.seeds.clone(),
            data_shards: shards.data(),
            replication_factor: shards.replicas(),
            other_replication_factors: shards.other_factors(),
        }
    }
}

/// Asks a seed who it is, retrying until it answers (seeds start in any order).
pub(super) async fn ask_until_answered(seed: &str, asking: &Asking) -> anyhow::Result<HelloResponse> {
    for attempt in 0u64.. {
        match hello_once(seed, asking).await {
            Ok(answer) => return Ok(answer),
            Err(status) if status.code() == tonic::Code::FailedPrecondition => {
                anyhow::bail!("seed {seed} refused this broker: {}", status.message())
            }
            Err(status) => {
                // Every 5 s: a seed that never starts is visible in the log.
                if attempt.is_multiple_of(25) {
                    tracing::info!(seed, %status, "waiting for the seed to answer");
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }
    unreachable!("the attempts never run out")
}

pub(super) async fn hello_once(seed: &str, asking: &Asking) -> Result<HelloResponse, tonic::Status> {
    let request = HelloRequest { node_id: asking.me, format_version: FORMAT_VERSION, seeds: sorted(&asking.seeds) };
    Ok(connect(seed).await?.hello(request).await?.into_inner())
}

/// A client of the broker whose peer listener is at `peer_addr`, for a call or two.
pub(super) async fn connect(peer_addr: &str) -> Result<PeerClient<tonic::transport::Channel>, tonic::Status> {
    let endpoint = tonic::transport::Endpoint::from_shared(format!("http://{peer_addr}"))
        .map_err(|e| tonic::Status::invalid_argument(format!("peer address {peer_addr}: {e}")))?
        .connect_timeout(Duration::from_secs(1))
        // A frozen or partitioned peer ends a long call (a data dir copy) instead of hanging it.
        .http2_keep_alive_interval(Duration::from_secs(10))
        .keep_alive_timeout(Duration::from_secs(20));
    let channel = endpoint.connect().await.map_err(|e| tonic::Status::unavailable(e.to_string()))?;
    Ok(PeerClient::new(channel).max_decoding_message_size(256 << 20))
}

/// Seeds in a canonical order, to compare two brokers' lists.
pub fn sorted(seeds: &[String]) -> Vec<String> {
    let mut seeds = seeds.to_vec();
    seeds.sort();
    seeds.dedup();
    seeds
}
