//! Every RocksDB key strata writes, and why it looks the way it does.
//!
//! Integers are big-endian so that RocksDB's bytewise key order equals numeric order: "seek to
//! offset X" is a plain seek, and a range of offsets is a contiguous key range (range deletes).

/// Key of a batch in its partition column family: the batch's base offset.
pub fn offset_key(offset: i64) -> [u8; 8] {
    // Offsets are never negative; the cast keeps their order.
    (offset.max(0) as u64).to_be_bytes()
}

/// Inverse of [`offset_key`]; `None` for a key that is not 8 bytes.
pub fn decode_offset_key(key: &[u8]) -> Option<i64> {
    let bytes: [u8; 8] = key.try_into().ok()?;
    i64::try_from(u64::from_be_bytes(bytes)).ok()
}

/// Above every offset key: the end of a range delete that empties a whole partition.
pub const END_OF_PARTITION_KEY: [u8; 8] = [0xFF; 8];

const PARTITION_CF_PREFIX: &str = "p-";

/// Column family of one partition slot. Slots are recycled: a deleted topic's families are
/// emptied and handed to the next topic created (see `storage::families` for why), and the
/// topic record lists which slot holds each of its partitions.
pub fn partition_cf_name(slot: u32) -> String {
    format!("{PARTITION_CF_PREFIX}{slot}")
}

/// The slot of a partition column family name; `None` for other families.
pub fn parse_partition_cf_name(name: &str) -> Option<u32> {
    name.strip_prefix(PARTITION_CF_PREFIX)?.parse().ok()
}

/// `meta` CF: the data dir's identity (format version, node id, cluster id).
pub const IDENTITY_KEY: &[u8] = b"identity";

/// `raftlog` CF: a Raft group's entry. Group, then index, both big-endian: one group's entries
/// are a contiguous, ordered key range (truncation and purge are range deletes).
pub fn raft_entry_key(group: u64, index: u64) -> [u8; 16] {
    let mut key = [0u8; 16];
    key[..8].copy_from_slice(&group.to_be_bytes());
    key[8..].copy_from_slice(&index.to_be_bytes());
    key
}

/// Inverse of [`raft_entry_key`]: `(group, index)`.
pub fn decode_raft_entry_key(key: &[u8]) -> Option<(u64, u64)> {
    let key: &[u8; 16] = key.try_into().ok()?;
    Some((u64::from_be_bytes(key[..8].try_into().ok()?), u64::from_be_bytes(key[8..].try_into().ok()?)))
}

/// `meta` CF: one of a Raft group's marks (`vote`, `committed`, `purged`, `applied`).
pub fn raft_meta_key(group: u64, name: &str) -> Vec<u8> {
    [b"raft/".as_slice(), &group.to_be_bytes(), b"/", name.as_bytes()].concat()
}

/// `meta` CF: the cluster's seeds, recorded by a broker that joined it (`--join`).
pub const SEEDS_KEY: &[u8] = b"cluster/seeds";

/// `meta` CF: the counter that hands out topic ids.
pub const NEXT_TOPIC_ID_KEY: &[u8] = b"next_topic_id";

const TOPIC_PREFIX: &[u8] = b"topic/";
const PARTITION_PREFIX: &[u8] = b"part/";

/// `meta` CF: a topic's configuration, by name.
pub fn topic_key(name: &str) -> Vec<u8> {
    [TOPIC_PREFIX, name.as_bytes()].concat()
}

/// The common prefix of all [`topic_key`]s, for listing topics at open.
pub fn topic_key_prefix() -> &'static [u8] {
    TOPIC_PREFIX
}

/// `meta` CF: a partition's log start and size.
pub fn partition_meta_key(topic_id: u64, partition: u32) -> Vec<u8> {
    let mut key = PARTITION_PREFIX.to_vec();
    key.extend_from_slice(&topic_id.to_be_bytes());
    key.extend_from_slice(&partition.to_be_bytes());
    key
}

/// `meta` CF: the next producer id to issue.
pub const NEXT_PRODUCER_ID_KEY: &[u8] = b"producer/next_id";

const PRODUCER_ID_PREFIX: &[u8] = b"producer/id/";
const PRODUCER_STATE_PREFIX: &[u8] = b"producer/state/";

/// `meta` CF: an issued producer id (its epoch and name).
pub fn producer_id_key(producer_id: i64) -> Vec<u8> {
    [PRODUCER_ID_PREFIX, &producer_id.to_be_bytes()].concat()
}

/// The common prefix of all [`producer_id_key`]s.
pub fn producer_id_prefix() -> &'static [u8] {
    PRODUCER_ID_PREFIX
}

/// Inverse of [`producer_id_key`].
pub fn decode_producer_id_key(key: &[u8]) -> Option<i64> {
    Some(i64::from_be_bytes(key.strip_prefix(PRODUCER_ID_PREFIX)?.try_into().ok()?))
}

/// `meta` CF: one producer's recent batches in one partition. Topic first, so deleting a topic
/// deletes its producers' states with one range delete ([`producer_state_topic_range`]).
pub fn producer_state_key(topic_id: u64, partition: u32, producer_id: i64) -> Vec<u8> {
    let mut key = producer_state_topic_prefix(topic_id);
    key.extend_from_slice(&partition.to_be_bytes());
    key.extend_from_slice(&producer_id.to_be_bytes());
    key
}

/// The common prefix of all [`producer_state_key`]s.
pub fn producer_state_prefix() -> &'static [u8] {
    PRODUCER_STATE_PREFIX
}

/// Inverse of [`producer_state_key`]: `(topic id, partition, producer id)`.
pub fn decode_producer_state_key(key: &[u8]) -> Option<(u64, u32, i64)> {
    let rest: &[u8; 20] = key.strip_prefix(PRODUCER_STATE_PREFIX)?.try_into().ok()?;
    let topic_id = u64::from_be_bytes(rest[0..8].try_into().ok()?);
    let partition = u32::from_be_bytes(rest[8..12].try_into().ok()?);
    Some((topic_id, partition, i64::from_be_bytes(rest[12..20].try_into().ok()?)))
}

/// `[start, end)` covering every producer state of one topic.
pub fn producer_state_topic_range(topic_id: u64) -> (Vec<u8>, Vec<u8>) {
    (producer_state_topic_prefix(topic_id), producer_state_topic_prefix(topic_id + 1))
}

fn producer_state_topic_prefix(topic_id: u64) -> Vec<u8> {
    [PRODUCER_STATE_PREFIX, &topic_id.to_be_bytes()].concat()
}

/// `offsets` CF: `group \0 topic \0 partition`. Group first, so one group's commits are one
/// contiguous range; NUL cannot occur in topic names and is rejected in group names.
pub fn committed_offset_key(group: &str, topic: &str, partition: u32) -> Vec<u8> {
    let mut key = committed_offset_prefix(group, topic);
    key.extend_from_slice(&partition.to_be_bytes());
    key
}

/// Prefix of every [`committed_offset_key`] of `group` for `topic`.
pub fn committed_offset_prefix(group: &str, topic: &str) -> Vec<u8> {
    let mut key = Vec::with_capacity(group.len() + topic.len() + 6);
    key.extend_from_slice(group.as_bytes());
    key.push(0);
    key.extend_from_slice(topic.as_bytes());
    key.push(0);
    key
}

/// The topic named by a [`committed_offset_key`], used to drop a deleted topic's commits.
pub fn committed_offset_topic(key: &[u8]) -> Option<&[u8]> {
    let mut parts = key.splitn(3, |b| *b == 0);
    let _group = parts.next()?;
    let topic = parts.next()?;
    parts.next().filter(|p| p.len() == 4).map(|_| topic)
}

/// `(topic, partition)` of a [`committed_offset_key`].
pub fn committed_offset_topic_partition(key: &[u8]) -> Option<(String, u32)> {
    let topic = committed_offset_topic(key)?;
    let partition: [u8; 4] = key[key.len() - 4..].try_into().ok()?;
    Some((String::from_utf8(topic.to_vec()).ok()?, u32::from_be_bytes(partition)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offset_keys_sort_numerically() {
        let offsets = [0i64, 1, 255, 256, 65_535, 1 << 40, i64::MAX];
        for pair in offsets.windows(2) {
            assert!(offset_key(pair[0]) < offset_key(pair[1]), "{pair:?}");
        }
        for o in offsets {
            assert_eq!(decode_offset_key(&offset_key(o)), Some(o));
        }
        assert_eq!(decode_offset_key(b"short"), None);
    }

    #[test]
    fn partition_cf_names_round_trip() {
        assert_eq!(parse_partition_cf_name(&partition_cf_name(9_999)), Some(9_999));
        assert_eq!(parse_partition_cf_name("meta"), None);
        assert_eq!(parse_partition_cf_name("default"), None);
        assert_eq!(parse_partition_cf_name("p-x-1"), None);
    }

    #[test]
    fn producer_keys_round_trip_and_a_topic_range_holds_exactly_its_states() {
        assert_eq!(decode_producer_id_key(&producer_id_key(42)), Some(42));
        assert_eq!(decode_producer_id_key(b"producer/id/short"), None);
        let key = producer_state_key(7, 3, 99);
        assert_eq!(decode_producer_state_key(&key), Some((7, 3, 99)));
        let (start, end) = producer_state_topic_range(7);
        assert!(start <= key && key < end);
        for other in [producer_state_key(6, u32::MAX, i64::MAX), producer_state_key(8, 0, 0)] {
            assert!(!(start <= other && other < end));
        }
        assert!(!producer_id_key(1).starts_with(producer_state_prefix()));
    }

    #[test]
    fn raft_entry_keys_sort_by_group_then_index() {
        assert!(raft_entry_key(1, u64::MAX) < raft_entry_key(2, 0));
        assert!(raft_entry_key(1, 255) < raft_entry_key(1, 256));
        assert_eq!(decode_raft_entry_key(&raft_entry_key(7, 9)), Some((7, 9)));
        assert_ne!(raft_meta_key(1, "vote"), raft_meta_key(1, "committed"));
    }

    #[test]
    fn committed_offset_keys_group_by_group_then_topic() {
        let a = committed_offset_key("g", "orders", 2);
        assert!(a.starts_with(&committed_offset_prefix("g", "orders")));
        assert!(!committed_offset_key("g", "orders.v2", 0).starts_with(&committed_offset_prefix("g", "orders")));
        assert_eq!(committed_offset_topic(&a), Some(&b"orders"[..]));
        assert_eq!(committed_offset_topic_partition(&a), Some(("orders".to_string(), 2)));
        assert!(committed_offset_key("g", "t", 1) < committed_offset_key("g", "t", 256));
    }
}
