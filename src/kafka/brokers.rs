//! The cluster as Kafka clients see it: each broker's id and Kafka address, and per partition
//! its leader, replicas, in-sync replicas and leader epoch. A single broker is a cluster of one
//! that leads everything at epoch 0; a cluster member answers from its own view of the Raft
//! group (the leader it follows, the term it knows).
use kafka_protocol::messages::BrokerId;

use super::{Advertised, Context};
use crate::broker::shards::{META_SHARD, Shards};
use crate::broker::{ClusterStatus, Placement};

/// A broker Kafka clients can reach.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct KafkaBroker {
    pub id: BrokerId,
    pub host: String,
    pub port: i32,
}

/// What this broker knows of the cluster, for one request.
pub(super) struct View {
    pub brokers: Vec<KafkaBroker>,
    status: ClusterStatus,
    shards: Shards,
}

impl View {
    pub fn of(context: &Context) -> View {
        let status = context.broker.cluster_status();
        let me = context.node_id();
        let mut brokers: Vec<KafkaBroker> = status
            .brokers
            .iter()
            .filter_map(|b| {
                let id = i32::try_from(b.id).ok()?;
                // This broker's own address is the one it serves; others' are what they told
                // the cluster (none for a broker without a Kafka listener).
                let addr =
                    if id == me { context.advertised.clone() } else { b.kafka_addr.parse::<Advertised>().ok()? };
                Some(KafkaBroker { id: BrokerId(id), host: addr.host, port: addr.port })
            })
            .collect();
        if !brokers.iter().any(|b| b.id.0 == me) {
            let Advertised { host, port } = context.advertised.clone();
            brokers.push(KafkaBroker { id: BrokerId(me), host, port });
        }
        View { brokers, status, shards: context.broker.shards() }
    }

    /// Where the metadata shard is: its leader is the controller and the groups' coordinator.
    pub fn meta(&self) -> Placement {
        self.status.placement(META_SHARD)
    }

    /// Where `partition` of topic `topic_id` is.
    pub fn placement(&self, topic_id: u64, partition: u32) -> Placement {
        self.status.placement(self.shards.of_partition(topic_id, partition))
    }

    /// The leader epoch of `partition` of the topic named `topic` (0 if it is unknown: the
    /// request's own answer says why).
    pub fn leader_epoch_of(&self, context: &Context, topic: &str, partition: u32) -> i32 {
        let topic_id = context.broker.topic(topic).map_or(0, |t| t.meta.id);
        Self::leader_epoch(&self.placement(topic_id, partition))
    }

    /// The leader of `placement`, if it is known and reachable by Kafka clients.
    pub fn leader(&self, placement: &Placement) -> Option<&KafkaBroker> {
        let leader = i32::try_from(placement.leader?).ok()?;
        self.brokers.iter().find(|b| b.id.0 == leader)
    }

    /// The metadata shard's leader: the controller and the groups' coordinator.
    pub fn meta_leader(&self) -> Option<&KafkaBroker> {
        self.leader(&self.meta())
    }

    pub fn replicas(placement: &Placement) -> Vec<BrokerId> {
        placement.replicas.iter().filter_map(|id| i32::try_from(*id).ok()).map(BrokerId).collect()
    }

    /// The in-sync replicas this broker knows of (only the leader tracks them: elsewhere the
    /// leader alone, which is always in sync).
    pub fn in_sync(&self, placement: &Placement) -> Vec<BrokerId> {
        match placement.in_sync.is_empty() {
            false => placement.in_sync.iter().filter_map(|id| i32::try_from(*id).ok()).map(BrokerId).collect(),
            true => self.leader(placement).map(|l| vec![l.id]).unwrap_or_default(),
        }
    }

    /// A partition's leader epoch: its shard's Raft term (0 on a single broker), as stored
    /// batches carry.
    pub fn leader_epoch(placement: &Placement) -> i32 {
        i32::try_from(placement.leader_epoch).unwrap_or(i32::MAX)
    }
}
