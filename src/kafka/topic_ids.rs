//! Kafka topic ids, for the APIs that name topics by id (KIP-848 heartbeats). strata's topic id
//! is a number unique in its cluster (the catalog entry that created the topic), so a topic's
//! Kafka id is that number beside a hash of the cluster id: stable across restarts and
//! failovers, new when a topic is deleted and created again, as Kafka clients expect.
use uuid::Uuid;

use super::Context;

/// FNV-1a: a stable hash (std's `DefaultHasher` may change between Rust releases).
fn cluster_half(cluster_id: &str) -> u64 {
    cluster_id.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

pub(super) fn topic_uuid(context: &Context, topic_id: u64) -> Uuid {
    Uuid::from_u64_pair(cluster_half(&context.broker.identity().cluster_id), topic_id)
}

/// The name of the topic with Kafka id `id`, if it exists.
pub(super) fn topic_name(context: &Context, id: Uuid) -> Option<String> {
    let (cluster, topic_id) = id.as_u64_pair();
    if cluster != cluster_half(&context.broker.identity().cluster_id) {
        return None;
    }
    context.broker.topics_snapshot().into_iter().find(|t| t.meta.id == topic_id).map(|t| t.name().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cluster_half_is_stable() {
        // Pinned: a changed hash would give every topic a new id after an upgrade.
        assert_eq!(cluster_half("dfc91d48314814f7dc545c94b5f70b4c"), cluster_half("dfc91d48314814f7dc545c94b5f70b4c"));
        assert_eq!(cluster_half(""), 0xcbf2_9ce4_8422_2325);
        assert_ne!(cluster_half("a"), cluster_half("b"));
    }
}
