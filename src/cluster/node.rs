//! A broker as a member of a cluster: its commit log is the Raft group's, the group forms from
//! the seeds, and peers reach it on its peer listener.
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use openraft::errors::{InitializeError, RaftError};
use tokio::runtime::Handle;
use tokio::sync::mpsc;

use super::disk_wait::DiskWait;
use super::entry_sizes::EntrySizes;
use super::log_store::LogStore;
use super::network::Network;
use super::raft_log::{ClusterReplication, RaftLog};
use super::state_machine::StateMachine;
use super::trim;
use super::types::{BrokerNode, ClusterId, Raft};
use super::watch::ShardWatch;
use crate::broker::Broker;
use crate::config::{BrokerConfig, FsyncPolicy};
use crate::proto::peer::{HelloRequest, HelloResponse, peer_client::PeerClient};
use crate::storage::FORMAT_VERSION;

/// The one Raft group every broker of the cluster is a member of (the first increment of
/// replication carries every partition and the catalog in one group).
pub const GROUP: u64 = 0;

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
    pub heartbeat: Duration,
    /// Elections start after a random wait in this range without a leader.
    pub election_timeout: (Duration, Duration),
    /// A follower not caught up for this long leaves the in-sync replicas; a broker silent this
    /// long is not alive.
    pub replica_lag_time_max: Duration,
    /// Below this many free bytes on the data dir's disk, a leader hands leadership over.
    pub min_free_disk: u64,
}

/// Opens the broker with the Raft group as its commit log; returns it with its Raft node and
/// the cluster id it goes by.
pub fn open_broker(
    config: BrokerConfig,
    cluster: &ClusterConfig,
    runtime: Handle,
) -> anyhow::Result<(Arc<Broker>, Raft, ClusterId)> {
    let raft_config = raft_config(cluster)?;
    let sync = config.fsync == FsyncPolicy::Always;
    let started: Arc<Mutex<Option<(Raft, ClusterId)>>> = Arc::default();
    let started_raft = started.clone();
    let broker = Broker::open_with(config, move |applier, identity| {
        let cluster_id = ClusterId::new(identity.cluster_id.clone());
        let store = applier.store.clone();
        let applier_store = store.clone();
        store.ensure_raft_log()?;
        let (events, catalog_events) = mpsc::unbounded_channel();
        let (trims, trims_applied) = mpsc::unbounded_channel();
        let disk = DiskWait::default();
        let state_machine = StateMachine::open(applier, GROUP, events, trims, disk.clone())?;
        let sizes = Arc::new(EntrySizes::default());
        let log_store = LogStore::new(store, GROUP, sync, sizes.clone(), disk.clone());
        let network = Network::new(GROUP, cluster_id.clone());
        let raft = runtime
            .block_on(Raft::new(identity.node_id, raft_config, network, log_store, state_machine))
            .context("starting the Raft node")?;
        *started_raft.lock().unwrap_or_else(|p| p.into_inner()) = Some((raft.clone(), cluster_id.clone()));
        let watch = ShardWatch {
            shard: GROUP,
            raft: raft.clone(),
            node_id: identity.node_id,
            cluster_id,
            sizes,
            lag_time_max: cluster.replica_lag_time_max,
            tracked: Mutex::default(),
        };
        let watch = Arc::new(watch);
        runtime.spawn(watch.clone().run());
        runtime.spawn(trim::propose(raft.clone(), identity.node_id));
        runtime.spawn(trim::apply(raft.clone(), trims_applied));
        let replication = ClusterReplication {
            raft: raft.clone(),
            node_id: identity.node_id,
            catalog_events: Mutex::new(Some(catalog_events)),
            watch,
            disk,
            read_lease: cluster.election_timeout.1 / 2,
        };
        let log = RaftLog { raft, runtime, store: applier_store, sync_always: sync };
        Ok((Box::new(log), Some(Arc::new(replication))))
    })?;
    let (raft, cluster_id) =
        started.lock().unwrap_or_else(|p| p.into_inner()).take().context("the Raft node did not start")?;
    Ok((broker, raft, cluster_id))
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
    }
}

/// Forms the cluster from the seeds, once: every seed waits until all seeds answer, agrees on
/// the cluster id (the one of the seed with the lowest node id) and records it, then each
/// initializes the group with the same members (safe to do on every seed: the first wins, the
/// others find it initialized). A broker whose group already formed does nothing.
pub async fn form(broker: &Broker, raft: &Raft, cluster: &ClusterConfig, cluster_id: &ClusterId) -> anyhow::Result<()> {
    let me = broker.identity().node_id;
    if raft.is_initialized().await? {
        return check_same_cluster(me, cluster, cluster_id).await;
    }
    if !cluster.seeds.contains(&cluster.peer_addr) {
        anyhow::bail!(
            "this broker's peer address {} is not among --seeds {:?}: every seed lists all seeds, itself included",
            cluster.peer_addr,
            cluster.seeds
        );
    }
    // Another seed may form the group first (this one then joins through Raft, taking the
    // cluster id from its first call), and a seed may die meanwhile: stop asking then.
    let formed = |m: &openraft::RaftMetrics<super::types::TypeConfig>| {
        m.membership_config.membership().voter_ids().next().is_some()
    };
    let wait = raft.wait(None);
    tokio::select! {
        asked = agree_and_initialize(broker, raft, cluster, cluster_id) => asked,
        _ = wait.metrics(formed, "the group formed by another seed") => Ok(()),
    }
}

async fn agree_and_initialize(
    broker: &Broker,
    raft: &Raft,
    cluster: &ClusterConfig,
    cluster_id: &ClusterId,
) -> anyhow::Result<()> {
    let me = broker.identity().node_id;
    let mut members: BTreeMap<u64, BrokerNode> = BTreeMap::new();
    let mut ids: BTreeMap<u64, String> = BTreeMap::new();
    for seed in &cluster.seeds {
        let answer = ask_until_answered(seed, me, &cluster.seeds).await?;
        ids.insert(answer.node_id, answer.cluster_id.clone());
        if let Some(other) = members.get(&answer.node_id) {
            anyhow::bail!(
                "seeds {} and {seed} both have node id {}: give every broker its own --node-id",
                other.peer_addr,
                answer.node_id
            );
        }
        let node =
            BrokerNode { peer_addr: seed.clone(), client_addr: answer.client_addr, kafka_addr: answer.kafka_addr };
        members.insert(answer.node_id, node);
    }
    // Every seed computes the same from the same answers. Recorded before the group forms: a
    // member's peers refuse calls carrying another id. (A call from a seed that formed the
    // group meanwhile may have brought the same id already.)
    if let Some(agreed) = ids.values().next().filter(|agreed| **agreed != cluster_id.get()) {
        cluster_id.adopt(broker.store(), agreed).await?;
    }
    tracing::info!(
        members = ?members.keys().collect::<Vec<_>>(),
        cluster_id = %cluster_id.get(),
        "every seed answered; forming the cluster"
    );
    match raft.initialize(members).await {
        Ok(()) | Err(RaftError::APIError(InitializeError::NotAllowed(_))) => Ok(()),
        Err(e) => Err(anyhow::anyhow!("forming the cluster failed: {e}")),
    }
}

/// A broker restarting with a formed group checks, once, that the seeds it can reach belong to
/// its cluster: a data dir from another cluster (or seeds that changed) is refused with a
/// message instead of a broker that quietly never joins. Seeds that do not answer are not held
/// against it (they may be down).
async fn check_same_cluster(me: u64, cluster: &ClusterConfig, cluster_id: &ClusterId) -> anyhow::Result<()> {
    let mine = cluster_id.get();
    let mut others = Vec::new();
    for seed in cluster.seeds.iter().filter(|s| **s != cluster.peer_addr) {
        let asked = tokio::time::timeout(Duration::from_secs(2), hello_once(seed, me, &cluster.seeds)).await;
        match asked {
            Ok(Ok(answer)) => others.push((seed, answer.cluster_id)),
            Ok(Err(status)) if status.code() == tonic::Code::FailedPrecondition => {
                anyhow::bail!("seed {seed} refused this broker: {}", status.message())
            }
            _ => {}
        }
    }
    if !others.is_empty() && others.iter().all(|(_, theirs)| *theirs != mine) {
        let (seed, theirs) = &others[0];
        anyhow::bail!(
            "this data dir belongs to cluster {mine}, but seed {seed} is in cluster {theirs}: start this broker \
             with its own cluster's data dir and --seeds, or with an empty data dir to form a new cluster"
        );
    }
    Ok(())
}

/// Asks a seed who it is, retrying until it answers (seeds start in any order).
async fn ask_until_answered(seed: &str, me: u64, seeds: &[String]) -> anyhow::Result<HelloResponse> {
    for attempt in 0u64.. {
        match hello_once(seed, me, seeds).await {
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

pub(super) async fn hello_once(seed: &str, me: u64, seeds: &[String]) -> Result<HelloResponse, tonic::Status> {
    let endpoint = tonic::transport::Endpoint::from_shared(format!("http://{seed}"))
        .map_err(|e| tonic::Status::invalid_argument(e.to_string()))?
        .connect_timeout(Duration::from_secs(1));
    let channel = endpoint.connect().await.map_err(|e| tonic::Status::unavailable(e.to_string()))?;
    let request = HelloRequest { node_id: me, format_version: FORMAT_VERSION, seeds: sorted(seeds) };
    Ok(PeerClient::new(channel).hello(request).await?.into_inner())
}

/// Seeds in a canonical order, to compare two brokers' lists.
pub fn sorted(seeds: &[String]) -> Vec<String> {
    let mut seeds = seeds.to_vec();
    seeds.sort();
    seeds.dedup();
    seeds
}
