//! The cluster's status and topics' placement, domain → proto.
use std::time::Duration;

use crate::broker::{BrokerStatus, ClusterStatus, FollowerStatus, ShardStatus};
use crate::proto;

/// `status` as the API shows it; `own_addr` stands in for this broker's client address where
/// the status does not know it (a single broker).
pub fn cluster_status(status: ClusterStatus, own_addr: &str) -> proto::ClusterStatusResponse {
    let me = status.answered_by;
    let broker = |b: BrokerStatus| proto::BrokerStatus {
        address: if b.client_addr.is_empty() && b.id == me { own_addr.to_string() } else { b.client_addr },
        id: b.id,
        peer_address: b.peer_addr,
        alive: b.alive,
    };
    proto::ClusterStatusResponse {
        brokers: status.brokers.into_iter().map(broker).collect(),
        shards: status.shards.into_iter().map(shard).collect(),
        cluster_id: status.cluster_id,
        answered_by: me,
    }
}

fn shard(s: ShardStatus) -> proto::ShardStatus {
    proto::ShardStatus {
        shard: s.shard,
        leader: s.leader,
        term: s.term,
        members: s.members,
        learners: s.learners,
        last_log_index: s.last_log_index,
        committed_index: s.committed_index,
        applied_index: s.applied_index,
        followers: s.followers.into_iter().map(follower).collect(),
        // Filled by whoever counts them.
        partitions: 0,
        in_sync_replicas: s.in_sync,
        purged_index: s.purged_index,
    }
}

fn follower(f: FollowerStatus) -> proto::FollowerStatus {
    proto::FollowerStatus {
        id: f.id,
        matched_index: f.matched_index,
        lag_entries: f.lag_entries,
        lag_bytes: f.lag_bytes,
        in_sync: f.in_sync,
        last_ack_ms: f.last_ack.as_ref().map(Duration::as_millis).map(|ms| ms as u64),
    }
}

/// Fills each partition's leader, replicas, in-sync replicas and leader epoch, and the topic's
/// replication factor, from the shard that carries it (`shard_of` a partition).
pub fn place(topic: &mut proto::Topic, view: &proto::ClusterStatusResponse, shard_of: impl Fn(u32) -> u64) {
    for partition in &mut topic.partitions {
        let Some(shard) = view.shards.iter().find(|s| s.shard == shard_of(partition.partition)) else { continue };
        topic.replication_factor = shard.members.len() as u32;
        partition.leader = shard.leader;
        partition.replicas = shard.members.clone();
        partition.in_sync_replicas = shard.in_sync_replicas.clone();
        partition.leader_epoch = shard.term;
    }
}
