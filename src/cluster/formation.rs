//! Forming a cluster from its seeds, once: every seed agrees on the cluster id and initializes
//! the Raft groups it forms with; a broker restarting after that only checks its seeds are of
//! its cluster.
use std::collections::BTreeMap;
use std::time::Duration;

use openraft::errors::{InitializeError, RaftError};

use super::log_store::memberships_held;
use super::node::{Asking, ClusterConfig, Rafts, ask_until_answered, hello_once};
use super::types::{BrokerNode, ClusterId, Raft, formed};
use crate::broker::Broker;
use crate::broker::shards::{self, META_SHARD};
use crate::storage::Store;

/// Forms the cluster from the seeds, once: every seed waits until all seeds answer, agrees on
/// the cluster id (the one of the seed with the lowest node id) and records it, then each
/// initializes the groups of the shards it is a member of with the same members (safe to do on
/// every seed: the first wins, the others find it initialized), the metadata shard's last. A
/// broker that recorded doing so (`FORMED_MARK`) only checks its seeds are of its cluster and,
/// with `check_peer_address`, that it is where the cluster recorded it.
pub async fn form(
    broker: &Broker,
    rafts: &Rafts,
    cluster: &ClusterConfig,
    cluster_id: &ClusterId,
    check_peer_address: bool,
) -> anyhow::Result<()> {
    let asking = Asking::of(broker, cluster);
    let store = broker.store();
    // A joiner's data dir is a member's copy: it forms nothing.
    if cluster.join.is_some() || store.raft_mark(META_SHARD, FORMED_MARK)?.is_some() {
        check_same_cluster(&asking, cluster, cluster_id).await?;
        if check_peer_address {
            check_recorded_peer_address(store, asking.me, &cluster.peer_addr)?;
        }
        return Ok(());
    }
    if !cluster.seeds.contains(&cluster.peer_addr) {
        anyhow::bail!(
            "this broker's peer address {} (--peer-advertise, else the address --peer-listen bound) is not among \
             --seeds {:?}: every seed lists all seeds, itself included, as the others dial them",
            cluster.peer_addr,
            cluster.seeds
        );
    }
    tokio::select! {
        asked = agree_and_initialize(broker, rafts, &asking, cluster, cluster_id) => asked,
        members = formed_by_another_seed(rafts) => initialize_data_shards(broker, rafts, &members).await,
    }?;
    store.raft_put_mark(META_SHARD, FORMED_MARK, &[], true)?;
    Ok(())
}

/// Recorded once this broker initialized every group it forms with. Until then a restart
/// forms again (safe: a group initialized already stays as it is): a seed that died halfway
/// may be the only one left to initialize a data shard. (openraft's `is_initialized` cannot
/// tell: a vote received counts.)
const FORMED_MARK: &str = "formed";

/// Another seed may form the metadata group first (this one then joins through Raft, taking the
/// cluster id from its first call), and a seed may die meanwhile: stop asking once it formed,
/// and return its voters (every seed: nothing changes membership before the cluster formed).
async fn formed_by_another_seed(rafts: &Rafts) -> BTreeMap<u64, BrokerNode> {
    match rafts[META_SHARD as usize].wait(None).metrics(formed, "the group formed by another seed").await {
        Ok(metrics) => {
            let membership = metrics.membership_config.membership();
            membership.voter_ids().filter_map(|id| Some((id, membership.get_node(&id)?.clone()))).collect()
        }
        Err(_) => std::future::pending().await, // stopped: the broker is going down
    }
}

/// Initializes the group of every data shard this broker forms with, from the seeds
/// `members`. Every member of a data shard does this, so it forms though the seed that formed
/// the metadata group is not among its members.
async fn initialize_data_shards(
    broker: &Broker,
    rafts: &Rafts,
    members: &BTreeMap<u64, BrokerNode>,
) -> anyhow::Result<()> {
    let shards = broker.shards();
    let ids: Vec<u64> = members.keys().copied().collect();
    let me = broker.identity().node_id;
    for (shard, raft) in rafts.iter().enumerate().skip(1) {
        let ids = shards.initial_members(shard as u64, &ids);
        if !ids.contains(&me) {
            continue;
        }
        let nodes = members.iter().filter(|(id, _)| ids.contains(id)).map(|(id, node)| (*id, node.clone()));
        initialize(raft, nodes.collect()).await?;
    }
    Ok(())
}

/// Initializes one group; one another member initialized first is as good.
async fn initialize(raft: &Raft, members: BTreeMap<u64, BrokerNode>) -> anyhow::Result<()> {
    match raft.initialize(members).await {
        Ok(()) | Err(RaftError::APIError(InitializeError::NotAllowed(_))) => Ok(()),
        Err(e) => anyhow::bail!("forming the cluster failed: {e}"),
    }
}

async fn agree_and_initialize(
    broker: &Broker,
    rafts: &Rafts,
    asking: &Asking,
    cluster: &ClusterConfig,
    cluster_id: &ClusterId,
) -> anyhow::Result<()> {
    let mut members: BTreeMap<u64, BrokerNode> = BTreeMap::new();
    let mut ids: BTreeMap<u64, String> = BTreeMap::new();
    for seed in &cluster.seeds {
        let answer = ask_until_answered(seed, asking).await?;
        let copies = |n: u64| if n == 0 { "every broker".to_string() } else { n.to_string() };
        let shards = |n: u64| n.to_string();
        same_setting(seed, "--data-shards", shards(answer.data_shards), shards(asking.data_shards))?;
        let (theirs, mine) = (copies(answer.replication_factor), copies(asking.replication_factor));
        same_setting(seed, "--default-replication-factor", theirs, mine)?;
        let factors = |bits: u64| format!("{:?}", shards::listed(bits));
        let (theirs, mine) = (factors(answer.other_replication_factors), factors(asking.other_replication_factors));
        same_setting(seed, "--topic-replication-factors", theirs, mine)?;
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
        shards = rafts.len(),
        "every seed answered; forming the cluster"
    );
    initialize_data_shards(broker, rafts, &members).await?;
    initialize(&rafts[META_SHARD as usize], members).await
}

/// `Ok` if `seed` forms the cluster with this broker's value of the setting `flag`.
fn same_setting(seed: &str, flag: &str, theirs: String, mine: String) -> anyhow::Result<()> {
    if theirs != mine {
        anyhow::bail!(
            "seed {seed} forms the cluster with {flag} {theirs}, this broker with {mine}: give every seed the same {flag}"
        );
    }
    Ok(())
}

/// A member restarted at another peer address than the cluster recorded is refused: the others
/// dial the recorded one (the membership keeps it, and openraft keeps dialing it), so it would
/// run unreachable, calling elections it cannot win. Checked after its seeds were found to be
/// of its cluster: a data dir of another cluster records another address too, and is told so.
fn check_recorded_peer_address(store: &Store, me: u64, peer_addr: &str) -> anyhow::Result<()> {
    let (applied, logged) = memberships_held(store, META_SHARD)?;
    let held = logged.last().unwrap_or(&applied);
    match held.get_node(&me) {
        Some(recorded) if recorded.peer_addr != peer_addr => anyhow::bail!(
            "broker {me} is recorded in this cluster at peer address {recorded_addr}, but now has {peer_addr} \
             (--peer-advertise, else the address --peer-listen bound): the other brokers reach it only at \
             {recorded_addr}. Start it with --peer-advertise {recorded_addr}, listening where that address leads; a \
             DNS name keeps a peer address when a host's IP changes. If it cannot come back, remove \
             broker {me} (`strata cluster remove-broker {me}`) and join this one anew with an empty data dir",
            recorded_addr = recorded.peer_addr
        ),
        _ => Ok(()),
    }
}

/// A broker restarting with a formed group checks, once, that the seeds it can reach belong to
/// its cluster: a data dir from another cluster (or seeds that changed) is refused with a
/// message instead of a broker that quietly never joins. Seeds that do not answer are not held
/// against it (they may be down).
async fn check_same_cluster(asking: &Asking, cluster: &ClusterConfig, cluster_id: &ClusterId) -> anyhow::Result<()> {
    let mine = cluster_id.get();
    let mut others = Vec::new();
    for seed in cluster.seeds.iter().filter(|s| **s != cluster.peer_addr) {
        let asked = tokio::time::timeout(Duration::from_secs(2), hello_once(seed, asking)).await;
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
