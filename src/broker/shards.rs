//! Which log carries what. A cluster's work is split over Raft groups (shards): shard 0, the
//! metadata shard, carries the catalog, producer ids and consumer groups' commits; data shards
//! `1..=data` carry the partitions, a partition's shard fixed by its topic id and index (the
//! count is fixed when the cluster forms). With no data shards (a single broker, or a cluster
//! formed before shards existed) shard 0 carries everything, as one log.
//!
//! Data shards come in classes, one per replication factor a topic may ask for: the cluster's
//! default factor first (shards `1..=data`), then each other factor it formed with
//! (`--topic-replication-factors`), `data` shards each. A topic's class is part of its id (its
//! top byte, [`topic_id`]), so where a partition lives stays a function of (topic id, partition)
//! everywhere: routing, apply, recovery, shard copies and producer windows need no lookup.
use super::apply::Op;

/// The metadata shard.
pub const META_SHARD: u64 = 0;

/// Where a topic's id keeps its shard class.
const CLASS_SHIFT: u32 = 56;

/// The id of the topic numbered `number` whose partitions live in shard class `class`.
pub fn topic_id(number: u64, class: u8) -> u64 {
    (number & ((1 << CLASS_SHIFT) - 1)) | (u64::from(class) << CLASS_SHIFT)
}

/// The factors a set of them holds (bit `f`: `f` copies), in ascending order.
pub fn listed(factors: u64) -> Vec<u64> {
    (1..64).filter(|f| factors & (1 << f) != 0).collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Shards {
    /// Data shards per class.
    data: u64,
    /// Brokers each data shard of the first class forms with (0: every broker).
    replicas: u64,
    /// The other classes' factors: bit `f` set for a class of `f` copies, in ascending order
    /// after the first.
    other_factors: u64,
}

impl Shards {
    pub fn new(data: u64) -> Self {
        Shards { data, replicas: 0, other_factors: 0 }
    }

    /// With each data shard on `replicas` brokers (0: every broker).
    pub fn with_replicas(self, replicas: u64) -> Self {
        Shards { replicas, ..self }
    }

    /// With a class of `data` shards for each of `factors` besides the first (bit `f` set: a
    /// class of `f` copies; factors from 1 to 63).
    pub fn with_other_factors(self, factors: u64) -> Self {
        Shards { other_factors: factors & !1, ..self }
    }

    /// Brokers each data shard of the first class forms with (0: every broker); the cluster's
    /// default replication factor.
    pub fn replicas(&self) -> u64 {
        self.replicas
    }

    /// The other classes' factors (bit `f`: a class of `f` copies).
    pub fn other_factors(&self) -> u64 {
        self.other_factors
    }

    /// How many classes of data shards there are (without allocating: routing asks per batch).
    fn classes(&self) -> u64 {
        1 + u64::from(self.other_factors.count_ones())
    }

    /// Every class's factor, the first (0: every broker) first.
    pub fn factors(&self) -> Vec<u64> {
        std::iter::once(self.replicas).chain(listed(self.other_factors)).collect()
    }

    /// The class whose shards keep `factor` copies (the first class for 0).
    pub fn class_of_factor(&self, factor: u64) -> Option<u8> {
        let position = self.factors().iter().position(|f| *f == factor);
        position.or((factor == 0).then_some(0)).map(|class| class as u8)
    }

    /// How many brokers `shard` keeps a copy on: 0 for every broker (the metadata shard, and a
    /// first class formed on every broker).
    pub fn factor_of(&self, shard: u64) -> u64 {
        if shard == META_SHARD || self.data == 0 {
            return 0;
        }
        let factors = self.factors();
        factors[(((shard - 1) / self.data) % self.classes()) as usize]
    }

    /// The brokers `shard` forms with, of the seeds `ids`: all of them for the metadata shard
    /// (every broker applies the catalog), its class's factor of consecutive ones in id order
    /// for a data shard, starting at the one the shard prefers as leader
    /// (`balance::preferred_leader`), so every broker carries and leads as many shards.
    pub fn initial_members(&self, shard: u64, ids: &[u64]) -> Vec<u64> {
        let mut sorted = ids.to_vec();
        sorted.sort_unstable();
        let n = sorted.len();
        let factor = self.factor_of(shard) as usize;
        if factor == 0 || factor >= n {
            return sorted;
        }
        (0..factor).map(|k| sorted[(shard as usize + k) % n]).collect()
    }

    /// Whether some data shards are on some of the brokers only (a broker that joins gets
    /// those as copies, and copies are kept at their factor).
    pub fn on_some_brokers(&self) -> bool {
        self.replicas > 0 || self.other_factors != 0
    }

    /// How many shards, from the metadata shard on, a broker that joins becomes a member of:
    /// the metadata shard and the shards on every broker (it gets the others later, as copies).
    pub fn joined_by_newcomers(&self) -> u64 {
        if self.replicas > 0 { 1 } else { 1 + self.data }
    }

    /// Data shards per class (0: shard 0 carries the partitions too).
    pub fn data(&self) -> u64 {
        self.data
    }

    /// Every shard: the metadata shard and every class's data shards.
    pub fn count(&self) -> u64 {
        1 + self.data * self.classes()
    }

    /// The shard that carries `partition` of topic `topic_id`. A topic's partitions go round
    /// its class's data shards from a start its number picks, so topics of few partitions
    /// spread too.
    pub fn of_partition(&self, topic_id: u64, partition: u32) -> u64 {
        if self.data == 0 {
            return META_SHARD;
        }
        let class = (topic_id >> CLASS_SHIFT) % self.classes();
        let number = topic_id & ((1 << CLASS_SHIFT) - 1);
        1 + class * self.data + number.wrapping_add(u64::from(partition)) % self.data
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
    fn each_factor_has_a_class_of_shards_and_a_topic_s_id_picks_its_class() {
        // Three shards at the default factor 3, then three at 1 and three at 2.
        let shards = Shards::new(3).with_replicas(3).with_other_factors((1 << 1) | (1 << 2));
        assert_eq!(shards.factors(), [3, 1, 2]);
        assert_eq!(shards.count(), 10);
        assert_eq!((1..=9).map(|s| shards.factor_of(s)).collect::<Vec<_>>(), [3, 3, 3, 1, 1, 1, 2, 2, 2]);
        assert_eq!(shards.factor_of(META_SHARD), 0);
        assert_eq!(
            (shards.class_of_factor(3), shards.class_of_factor(1), shards.class_of_factor(4)),
            (Some(0), Some(1), None)
        );
        let of = |id: u64| (0..4).map(|p| shards.of_partition(id, p)).collect::<Vec<_>>();
        assert_eq!(of(topic_id(7, 0)), [2, 3, 1, 2], "the default class, as before classes existed");
        assert_eq!(of(topic_id(7, 1)), [5, 6, 4, 5]);
        assert_eq!(of(topic_id(7, 2)), [8, 9, 7, 8]);
        let ids = [1, 2, 3];
        assert_eq!(shards.initial_members(4, &ids), [2]);
        assert_eq!(shards.initial_members(8, &ids), [3, 1]);
        assert_eq!(shards.initial_members(1, &ids), [1, 2, 3]);
        // A joiner joins the metadata shard only, or the shards on every broker too.
        assert_eq!(shards.joined_by_newcomers(), 1);
        let everywhere = Shards::new(3).with_other_factors(1 << 1);
        assert_eq!((everywhere.joined_by_newcomers(), everywhere.on_some_brokers()), (4, true));
        assert!(!Shards::new(3).on_some_brokers());
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
