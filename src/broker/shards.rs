//! Which log carries what. A cluster's work is split over Raft groups (shards): shard 0, the
//! metadata shard, carries the catalog, producer ids and consumer groups' commits; data shards
//! `1..=data` carry the partitions, a partition's shard fixed by its topic id and index (the
//! count is fixed when the cluster forms). With no data shards (a single broker, or a cluster
//! formed before shards existed) shard 0 carries everything, as one log.
use super::apply::Op;

/// The metadata shard.
pub const META_SHARD: u64 = 0;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Shards {
    data: u64,
    /// Brokers each data shard forms with (0: every broker).
    replicas: u64,
}

impl Shards {
    pub fn new(data: u64) -> Self {
        Shards { data, replicas: 0 }
    }

    /// With each data shard on `replicas` brokers (0: every broker).
    pub fn with_replicas(self, replicas: u64) -> Self {
        Shards { replicas, ..self }
    }

    /// Brokers each data shard forms with (0: every broker); the cluster's replication factor.
    pub fn replicas(&self) -> u64 {
        self.replicas
    }

    /// The brokers `shard` forms with, of the seeds `ids`: all of them for the metadata shard
    /// (every broker applies the catalog), `replicas` consecutive ones in id order for a data
    /// shard, starting at the one the shard prefers as leader (`balance::preferred_leader`), so
    /// every broker carries and leads as many shards.
    pub fn initial_members(&self, shard: u64, ids: &[u64]) -> Vec<u64> {
        let mut sorted = ids.to_vec();
        sorted.sort_unstable();
        let n = sorted.len();
        if shard == META_SHARD || self.replicas == 0 || self.replicas as usize >= n {
            return sorted;
        }
        (0..self.replicas as usize).map(|k| sorted[(shard as usize + k) % n]).collect()
    }

    /// How many shards, from the metadata shard on, a broker that joins becomes a member of:
    /// every shard, or only the metadata shard where data shards are on some of the brokers (it
    /// gets data shards later, as copies).
    pub fn joined_by_newcomers(&self) -> u64 {
        if self.replicas > 0 { 1 } else { self.count() }
    }

    /// Data shards (0: shard 0 carries the partitions too).
    pub fn data(&self) -> u64 {
        self.data
    }

    /// Every shard: the metadata shard and the data shards.
    pub fn count(&self) -> u64 {
        self.data + 1
    }

    /// The shard that carries `partition` of topic `topic_id`. A topic's partitions go round
    /// the data shards from a start its id picks, so topics of few partitions spread too.
    pub fn of_partition(&self, topic_id: u64, partition: u32) -> u64 {
        if self.data == 0 { META_SHARD } else { 1 + topic_id.wrapping_add(u64::from(partition)) % self.data }
    }

    /// The shards an op goes to. An append or truncation goes to its partitions' shard (an
    /// append is split per shard before it is queued, see `split_append`); what forgets
    /// producers goes to every shard, since each keeps the states of its own partitions; the
    /// rest belongs to the metadata shard.
    pub fn of_op(&self, op: &Op) -> Vec<u64> {
        match op {
            Op::Append { topic_id, batches, .. } => {
                let partition = batches.first().map_or(0, |(p, _)| *p);
                vec![self.of_partition(*topic_id, partition)]
            }
            Op::Truncate { topic_id, partition, .. } => vec![self.of_partition(*topic_id, *partition)],
            Op::ExpireProducers { .. } | Op::ForgetTopic { .. } => (0..self.count()).collect(),
            Op::CommitOffsets { .. } | Op::InitProducer { .. } | Op::DeleteGroupOffsets { .. } => vec![META_SHARD],
        }
    }

    /// An append's batches grouped by shard, each group in request order.
    pub fn split_append(&self, topic_id: u64, batches: Vec<(u32, Vec<u8>)>) -> Vec<ShardPart> {
        let mut split: Vec<ShardPart> = Vec::new();
        for (at, (partition, batch)) in batches.into_iter().enumerate() {
            let shard = self.of_partition(topic_id, partition);
            match split.iter_mut().find(|part| part.shard == shard) {
                Some(part) => {
                    part.positions.push(at);
                    part.batches.push((partition, batch));
                }
                None => split.push(ShardPart { shard, positions: vec![at], batches: vec![(partition, batch)] }),
            }
        }
        split
    }
}

/// One shard's part of an append.
#[derive(Debug, PartialEq, Eq)]
pub struct ShardPart {
    pub shard: u64,
    /// Where each batch was in the request (to put the answers back in order).
    pub positions: Vec<usize>,
    /// (partition, batch), in request order.
    pub batches: Vec<(u32, Vec<u8>)>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_data_shards_the_metadata_shard_carries_every_partition() {
        let shards = Shards::new(0);
        assert_eq!(shards.count(), 1);
        assert!((0..100).all(|p| shards.of_partition(7, p) == META_SHARD));
    }

    #[test]
    fn partitions_go_round_the_data_shards_from_a_start_the_topic_picks() {
        let shards = Shards::new(4);
        let of = |topic: u64| (0..8).map(|p| shards.of_partition(topic, p)).collect::<Vec<_>>();
        assert_eq!(of(1), [2, 3, 4, 1, 2, 3, 4, 1]);
        assert_eq!(of(2), [3, 4, 1, 2, 3, 4, 1, 2]);
    }

    #[test]
    fn data_shards_form_on_consecutive_brokers_and_the_metadata_shard_on_all() {
        let shards = Shards::new(4).with_replicas(3);
        let ids = [40, 10, 30, 20];
        assert_eq!(shards.initial_members(META_SHARD, &ids), [10, 20, 30, 40]);
        let members: Vec<_> = (1..=4).map(|s| shards.initial_members(s, &ids)).collect();
        assert_eq!(members, [vec![20, 30, 40], vec![30, 40, 10], vec![40, 10, 20], vec![10, 20, 30]]);
        // Each broker carries three of the four data shards.
        assert!(ids.iter().all(|id| members.iter().filter(|m| m.contains(id)).count() == 3));
        assert_eq!(Shards::new(4).initial_members(2, &ids), [10, 20, 30, 40]);
        assert_eq!(Shards::new(4).with_replicas(5).initial_members(2, &ids), [10, 20, 30, 40]);
    }

    #[test]
    fn an_append_splits_per_shard_keeping_each_batchs_position() {
        let shards = Shards::new(2);
        let batches = (0..4).map(|p| (p, vec![p as u8])).collect();
        let split = shards.split_append(2, batches);
        assert_eq!(split.len(), 2);
        assert_eq!(split[0], ShardPart { shard: 1, positions: vec![0, 2], batches: vec![(0, vec![0]), (2, vec![2])] });
        assert_eq!(split[1], ShardPart { shard: 2, positions: vec![1, 3], batches: vec![(1, vec![1]), (3, vec![3])] });
    }
}
