//! The seam to a replicated log: who leads, and how a catalog change reaches every broker. A
//! single broker has none (it leads everything and applies catalog changes at once); a cluster
//! member gets its leadership and catalog proposals from its Raft group (`crate::cluster`).
use std::time::Duration;

use futures::future::BoxFuture;
use tokio::sync::mpsc;

use super::Broker;
use super::catalog::{CatalogApplied, CatalogOp};
use super::shards::{META_SHARD, Shards};
use crate::error::{Error, Result};

/// Who leads the log this broker belongs to, as this broker sees it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Leadership {
    pub leader: bool,
    pub leader_id: Option<u64>,
    /// The leader's client address.
    pub leader_addr: Option<String>,
}

/// The cluster as one broker sees it: complete on a group's leader (which hears from every
/// follower), partial elsewhere.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ClusterStatus {
    pub cluster_id: String,
    /// The broker whose view this is.
    pub answered_by: u64,
    pub brokers: Vec<BrokerStatus>,
    pub shards: Vec<ShardStatus>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BrokerStatus {
    pub id: u64,
    /// Where clients reach it; empty when this broker does not know (a single broker's own).
    pub client_addr: String,
    pub peer_addr: String,
    /// Where Kafka clients reach it; empty when it serves none (or this broker does not know).
    pub kafka_addr: String,
    pub alive: bool,
}

/// A Raft group and what its leader knows of its followers.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ShardStatus {
    pub shard: u64,
    pub leader: Option<u64>,
    pub term: u64,
    pub members: Vec<u64>,
    /// Learners: brokers joining (`--join`), being given a copy, or leaving; replicated to, not
    /// counted.
    pub learners: Vec<u64>,
    /// Members caught up with the leader's committed log lately, the leader included. Empty
    /// when this broker does not lead (only the leader knows).
    pub in_sync: Vec<u64>,
    pub last_log_index: u64,
    pub committed_index: u64,
    pub applied_index: u64,
    /// The last entry trimmed from this broker's Raft log.
    pub purged_index: Option<u64>,
    /// Known on the leader only.
    pub followers: Vec<FollowerStatus>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FollowerStatus {
    pub id: u64,
    pub matched_index: Option<u64>,
    pub lag_entries: u64,
    pub lag_bytes: u64,
    pub in_sync: bool,
    /// Since it last answered the leader.
    pub last_ack: Option<Duration>,
}

/// Where a partition's copies are, as this broker sees it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Placement {
    pub leader: Option<u64>,
    pub replicas: Vec<u64>,
    pub in_sync: Vec<u64>,
    pub leader_epoch: u64,
}

impl ShardStatus {
    pub fn placement(&self) -> Placement {
        Placement {
            leader: self.leader,
            replicas: self.members.clone(),
            in_sync: self.in_sync.clone(),
            leader_epoch: self.term,
        }
    }
}

impl ClusterStatus {
    /// Where the partitions `shard` carries are.
    pub fn placement(&self, shard: u64) -> Placement {
        self.shards.iter().find(|s| s.shard == shard).map(ShardStatus::placement).unwrap_or_default()
    }

    pub fn alive_brokers(&self) -> usize {
        self.brokers.iter().filter(|b| b.alive).count()
    }
}

pub trait Replication: Send + Sync {
    /// Who leads `shard`.
    fn leadership(&self, shard: u64) -> Leadership;

    /// How the cluster's work is split over shards (fixed when it formed).
    fn shards(&self) -> Shards;

    /// Whether this broker keeps a copy of `shard` (its partitions' logs and offsets).
    fn keeps_copy(&self, shard: u64) -> bool;

    /// This broker's view of the cluster.
    fn status(&self) -> ClusterStatus;

    /// Resolves once this broker cannot store writes (its disk is full): a produce waiting on
    /// it is answered NOT_LEADER, for its client to go on to another broker.
    fn writes_stalled(&self) -> BoxFuture<'static, ()>;

    /// Proposes a catalog change; resolves once this broker applied it.
    fn propose_catalog(&self, op: CatalogOp) -> BoxFuture<'static, Result<CatalogApplied>>;

    /// Catalog changes applied here, for this broker's own housekeeping (families to create or
    /// reclaim). Taken once.
    fn take_catalog_events(&self) -> Option<mpsc::UnboundedReceiver<CatalogApplied>>;

    /// Takes broker `node_id` out of every shard (first copying a data shard that would keep
    /// too few copies); resolves once every shard committed it.
    fn remove_broker(&self, node_id: u64) -> BoxFuture<'static, Result<()>>;
}

impl Broker {
    /// How this broker's work is split over shards (a single broker has one).
    pub fn shards(&self) -> Shards {
        self.replication.as_ref().map(|r| r.shards()).unwrap_or_default()
    }

    /// Whether this broker keeps a copy of `partition` of topic `topic_id` (always, alone): one
    /// that does not knows nothing of its log but what its leader reports.
    pub fn keeps_copy(&self, topic_id: u64, partition: u32) -> bool {
        self.keeps_shard(self.shards().of_partition(topic_id, partition))
    }

    /// Whether this broker keeps a copy of `shard`'s partitions (always, alone).
    pub fn keeps_shard(&self, shard: u64) -> bool {
        self.replication.as_ref().is_none_or(|r| r.keeps_copy(shard))
    }

    /// `Ok` if this broker leads `shard` now (always, alone); else `NotLeader` naming the leader.
    pub fn ensure_leader_of(&self, shard: u64) -> Result<()> {
        let leadership = self.leadership(shard);
        if leadership.leader {
            Ok(())
        } else {
            Err(Error::NotLeader { leader_id: leadership.leader_id, leader_addr: leadership.leader_addr })
        }
    }

    /// `Ok` if this broker leads the shard that carries `partition` of topic `topic_id`.
    pub fn ensure_partition_leader(&self, topic_id: u64, partition: u32) -> Result<()> {
        self.ensure_leader_of(self.shards().of_partition(topic_id, partition))
    }

    /// `Ok` if this broker leads the metadata shard (the catalog, producer ids, groups).
    pub fn ensure_meta_leader(&self) -> Result<()> {
        self.ensure_leader_of(META_SHARD)
    }

    /// Whether this broker leads `shard` now.
    pub fn leads(&self, shard: u64) -> bool {
        self.leadership(shard).leader
    }

    /// Takes broker `node_id` out of the cluster (a dead broker being replaced, or one retired).
    pub async fn remove_broker(&self, node_id: u64) -> Result<()> {
        match &self.replication {
            Some(replication) => replication.remove_broker(node_id).await,
            None => Err(Error::MembershipChange(
                "this broker is not a cluster member (started without --seeds): it has no brokers to remove".into(),
            )),
        }
    }

    /// The cluster as this broker sees it; a single broker is a cluster of one that it leads.
    pub fn cluster_status(&self) -> ClusterStatus {
        match &self.replication {
            Some(replication) => replication.status(),
            None => self.single_broker_status(),
        }
    }

    /// Where `partition` of topic `topic_id` is, as this broker sees it.
    pub fn placement(&self, status: &ClusterStatus, topic_id: u64, partition: u32) -> Placement {
        status.placement(self.shards().of_partition(topic_id, partition))
    }

    fn single_broker_status(&self) -> ClusterStatus {
        let id = self.identity.node_id;
        let me = BrokerStatus { id, alive: true, ..Default::default() };
        let shard = ShardStatus { leader: Some(id), members: vec![id], in_sync: vec![id], ..Default::default() };
        ClusterStatus {
            cluster_id: self.identity.cluster_id.clone(),
            answered_by: id,
            brokers: vec![me],
            shards: vec![shard],
        }
    }

    /// Copies of each partition: the cluster's `--default-replication-factor`, or every broker
    /// (a cluster formed before it, or with fewer brokers left).
    pub fn replication_factor(&self) -> u32 {
        let brokers = self.cluster_status().placement(META_SHARD).replicas.len().max(1) as u64;
        match self.shards().replicas() {
            0 => brokers as u32,
            copies => copies.min(brokers) as u32,
        }
    }

    /// The shard class that keeps `requested` copies of a new topic's partitions (checked on
    /// the metadata leader, which knows which brokers are alive): the default class when unset;
    /// else at most the live brokers, and a factor the cluster formed with (the default one, or
    /// one of `--topic-replication-factors`).
    pub fn shard_class(&self, requested: Option<u32>) -> Result<u8> {
        let Some(requested) = requested else { return Ok(0) };
        if requested == 0 {
            return Err(Error::invalid("replication_factor", "must be at least 1 (or unset: the cluster's)"));
        }
        self.ensure_meta_leader()?;
        // Where the default class is on every broker, more brokers offer more copies: a factor
        // above the live brokers is told so. Else a factor not offered is told that first.
        let on_every_broker = self.shards().replicas() == 0;
        let class = if on_every_broker { None } else { Some(self.class_offering(requested)?) };
        let status = self.cluster_status();
        let (alive, brokers) = (status.alive_brokers(), status.placement(META_SHARD).replicas.len());
        if requested as usize > alive {
            return Err(Error::InvalidReplicationFactor(format!(
                "replication factor {requested} needs {requested} live brokers; {alive} of the cluster's {brokers} \
                 are alive: start more brokers or ask for fewer copies"
            )));
        }
        class.map_or_else(|| self.class_offering(requested), Ok)
    }

    /// Refuses a create of topic `name` that exists already, before anything else of the
    /// request is judged, as Kafka's controller answers TOPIC_ALREADY_EXISTS first. Judged on
    /// the metadata leader, whose catalog is the latest; elsewhere the create goes on to be
    /// forwarded there.
    pub fn refuse_existing_topic(&self, name: &str) -> Result<()> {
        if self.ensure_meta_leader().is_ok() && self.topic(name).is_ok() {
            return Err(Error::TopicExists(name.to_string()));
        }
        Ok(())
    }

    /// The class whose shards keep `requested` copies: one of exactly that factor first (the
    /// default class's factor may equal it only for now: every broker, or fewer brokers left
    /// than its factor), else the default class if its factor is that.
    fn class_offering(&self, requested: u32) -> Result<u8> {
        let shards = self.shards();
        if let Some(class) = shards.class_of_factor(u64::from(requested)).filter(|class| *class > 0) {
            return Ok(class);
        }
        if requested == self.replication_factor() {
            return Ok(0);
        }
        let mut offered = vec![self.replication_factor().to_string()];
        offered.extend(super::shards::listed(shards.other_factors()).iter().map(u64::to_string));
        let offered = offered.join(" or ");
        Err(Error::InvalidReplicationFactor(format!(
            "replication factor {requested} is not available: this cluster's topics keep {offered} copies \
             (--default-replication-factor and --topic-replication-factors, fixed when it formed); pass {offered} or \
             leave it unset"
        )))
    }

    /// `Ok` if this broker coordinates consumer groups now; else `NotCoordinator` naming the
    /// one that does (the leader of the metadata shard, which carries the groups' commits).
    pub fn ensure_coordinator(&self) -> Result<()> {
        self.ensure_meta_leader().map_err(Error::as_coordinator)
    }

    /// Who leads `shard`, as this broker sees it.
    pub fn leadership(&self, shard: u64) -> Leadership {
        match &self.replication {
            None => Leadership { leader: true, leader_id: Some(self.identity.node_id), leader_addr: None },
            Some(replication) => replication.leadership(shard),
        }
    }
}
