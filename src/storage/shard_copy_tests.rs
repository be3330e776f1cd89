use super::*;
use crate::proto::meta::{PartitionMeta, ProducerStateMeta, TopicMeta};
use crate::storage::{StoreDump, StoreOptions};

const TOPIC: u64 = 7;
const GROUP: u64 = 1;

fn store_with_topic(dir: &std::path::Path) -> std::sync::Arc<Store> {
    let store = Store::open(dir, &StoreOptions::default()).expect("open");
    store.ensure_raft_log().expect("raft log");
    let topic = TopicMeta { id: TOPIC, name: "t".into(), partitions: 3, ..Default::default() };
    store.create_topic(topic).expect("create");
    store
}

/// Writes `batches` batches of `tag` into each partition, with their state and a producer's
/// window, and `applied` as the group's applied mark.
fn fill(store: &Store, tag: u8, batches: i64, applied: &[u8]) {
    let mut write = WriteGroup::new(store).expect("group");
    for partition in 0..3 {
        let cf = write.partition(TOPIC, partition).expect("family");
        for offset in 0..batches {
            write.append(&cf, offset * 10, &[tag, partition as u8, offset as u8]);
        }
        let meta =
            PartitionMeta { next_offset: Some(batches * 10), size_bytes: 3 * batches as u64, ..Default::default() };
        write.set_partition_meta(TOPIC, partition, &meta);
        let window = ProducerStateMeta { epoch: i32::from(tag), ..Default::default() };
        write.set_producer_state((TOPIC, partition, 40 + i64::from(tag)), Some(&window));
    }
    write.put_meta(&keys::raft_meta_key(GROUP, "applied"), applied);
    write.commit(true).expect("write");
}

fn dump(store: &Store) -> StoreDump {
    store.dump(&store.load_topics().expect("topics")).expect("dump")
}

fn carried(_topic: u64, partition: u32) -> bool {
    partition != 1
}

#[test]
fn a_shard_copied_into_a_store_holding_stale_rows_matches_the_source_byte_for_byte() {
    let dir = tempfile::tempdir().expect("tempdir");
    let source = store_with_topic(&dir.path().join("source"));
    fill(&source, 1, 5, b"applied-at-5");
    let target = store_with_topic(&dir.path().join("target"));
    fill(&target, 2, 3, b"stale");

    let mut rows = Vec::new();
    let applied = source.read_shard(GROUP, carried, |row| {
        rows.push(row);
        true
    });
    assert_eq!(applied.expect("read"), Some(b"applied-at-5".to_vec()));
    assert!(rows.iter().all(|r| !matches!(r, ShardRow::Batch { partition: 1, .. })), "only the shard's partitions");

    let partitions = [(TOPIC, 0), (TOPIC, 2)];
    target.begin_shard_install(GROUP, &partitions).expect("begin");
    assert_eq!(target.raft_mark(GROUP, "applied").expect("mark"), None, "no applied mark while installing");
    target.write_shard_rows(&rows).expect("rows");
    target.finish_shard_install(GROUP, &[("applied", b"applied-at-5"), ("snapshot", b"mark")]).expect("finish");

    let (copied, original) = (dump(&target), dump(&source));
    for p in [0, 2] {
        assert_eq!(copied.partitions[p], original.partitions[p], "partition {p} is the source's");
    }
    assert_ne!(copied.partitions[1], original.partitions[1], "partition 1 is not the shard's: left as it was");
    let producers: Vec<_> = copied.producers.states.iter().map(|(at, m)| (*at, m.epoch)).collect();
    assert_eq!(producers, vec![((TOPIC, 0, 41), 1), ((TOPIC, 1, 42), 2), ((TOPIC, 2, 41), 1)]);
    assert_eq!(target.raft_mark(GROUP, "applied").expect("mark"), Some(b"applied-at-5".to_vec()));
    assert!(
        !target.forget_interrupted_install(GROUP, || partitions.to_vec()).expect("check"),
        "a finished install is kept"
    );
}

#[test]
fn an_interrupted_install_forgets_the_shards_log_and_rows_but_its_vote() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = store_with_topic(dir.path());
    fill(&store, 1, 2, b"applied");
    store.raft_append(GROUP, &[(1, b"e1".to_vec()), (2, b"e2".to_vec())], false).expect("append");
    store.raft_append(GROUP + 1, &[(1, b"other".to_vec())], false).expect("append");
    for mark in ["vote", "committed", "purged", "snapshot"] {
        store.raft_put_mark(GROUP, mark, mark.as_bytes(), false).expect("mark");
    }
    store.note_left_shard(GROUP).expect("noted");
    store.forget_shard_at_open(GROUP).expect("marked");

    assert!(store.forget_interrupted_install(GROUP, || vec![(TOPIC, 0), (TOPIC, 2)]).expect("forget"));
    assert!(!store.left_shard_noted(GROUP).expect("read"), "the note that it left goes with the shard");
    let left = dump(&store);
    assert!(left.partitions[0].2.is_empty() && left.partitions[2].2.is_empty(), "the shard's rows are gone");
    assert_eq!(left.partitions[1].2.len(), 2, "another shard's partition keeps its rows");
    assert_eq!(left.producers.states.len(), 1, "only the other partition's producer window is left");
    assert_eq!(store.raft_entries(GROUP, 0, u64::MAX).expect("entries"), vec![]);
    assert_eq!(store.raft_entries(GROUP + 1, 0, u64::MAX).expect("entries").len(), 1, "other groups keep theirs");
    assert_eq!(store.raft_mark(GROUP, "vote").expect("vote"), Some(b"vote".to_vec()));
    for mark in ["committed", "purged", "snapshot", "applied", INSTALLING] {
        assert_eq!(store.raft_mark(GROUP, mark).expect("mark"), None, "{mark} forgotten");
    }
    assert!(!store.forget_interrupted_install(GROUP, Vec::new).expect("again"), "done once");
}
