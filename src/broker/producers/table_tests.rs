//! The producer table's rules, without RocksDB.
use super::table::*;
use super::window::{SequencedBatch, Verdict, Window};

fn key(partition: u32, producer_id: i64) -> StateKey {
    StateKey { topic_id: 1, partition, producer_id }
}

/// Checks, records at `base_offset` and commits a batch; returns the verdict.
fn append(table: &mut ProducerTable, key: StateKey, epoch: i16, first: i32, count: i32, base: i64) -> Verdict {
    let verdict = table.check(key, epoch, first, count).expect("accepted");
    if verdict == Verdict::Append {
        table.record(key, epoch, first, count, base, 1_000);
    }
    table.commit();
    verdict
}

fn init(table: &mut ProducerTable, name: Option<&str>) -> Identity {
    let identity = table.init(name, None, 1_000).expect("issued");
    table.commit();
    identity
}

#[test]
fn anonymous_ids_are_new_each_time_and_start_at_epoch_zero() {
    let mut table = ProducerTable::empty();
    let a = init(&mut table, None);
    let b = init(&mut table, None);
    assert_eq!((a.id, a.epoch), (FIRST_ID, 0));
    assert_eq!((b.id, b.epoch), (FIRST_ID + 1, 0));
}

#[test]
fn a_named_producer_keeps_its_id_and_fences_older_epochs() {
    let mut table = ProducerTable::empty();
    let first = init(&mut table, Some("app"));
    append(&mut table, key(0, first.id), 0, 0, 3, 0);
    let second = init(&mut table, Some("app"));
    assert_eq!((second.id, second.epoch), (first.id, 1));
    assert_eq!(table.check(key(0, first.id), 0, 3, 1), Err(Rejection::Fenced { current: 1 }));
    assert_eq!(table.check(key(0, first.id), 2, 0, 1), Err(Rejection::FutureEpoch { current: 1 }));
    // The new epoch starts its sequences at 0, whatever the old one had reached.
    assert_eq!(table.check(key(0, first.id), 1, 3, 1), Err(Rejection::OutOfOrder { expected: 0 }));
    assert_eq!(append(&mut table, key(0, first.id), 1, 0, 1, 3), Verdict::Append);
}

#[test]
fn an_exhausted_epoch_gives_the_name_a_new_id() {
    let mut table =
        ProducerTable::recover(5, [(4, IssuedId { epoch: i16::MAX, name: Some("app".into()), initialized_ms: 0 })], []);
    let renewed = init(&mut table, Some("app"));
    assert_eq!((renewed.id, renewed.epoch), (5, 0));
    assert_eq!(table.check(key(0, 4), i16::MAX, 0, 1), Err(Rejection::UnknownId));
    let again = init(&mut table, Some("app"));
    assert_eq!((again.id, again.epoch), (5, 1), "the name now maps to its new id");
}

#[test]
fn a_renewing_producer_gets_a_new_epoch_of_its_own_id_and_its_old_epoch_is_fenced() {
    let mut table = ProducerTable::empty();
    let p = init(&mut table, None);
    append(&mut table, key(0, p.id), 0, 0, 3, 0);
    let renewed = table.init(None, Some(p), 2_000).expect("renewed");
    table.commit();
    assert_eq!((renewed.id, renewed.epoch), (p.id, 1));
    // A late copy of a request sent before the renewal is refused, not stored out of order.
    assert_eq!(table.check(key(0, p.id), 0, 3, 1), Err(Rejection::Fenced { current: 1 }));
    assert_eq!(table.check(key(0, p.id), 1, 0, 1), Ok(Verdict::Append), "the new epoch starts at 0");
    // The same renewal again (its answer was lost) gets the same epoch, not another.
    assert_eq!(table.init(None, Some(p), 2_000), Ok(renewed));
    let two_behind = Identity { epoch: 0, ..table.init(None, Some(renewed), 3_000).expect("renewed again") };
    table.commit();
    assert_eq!(table.init(None, Some(two_behind), 3_000), Err(Rejection::Fenced { current: 2 }));
    assert_eq!(table.init(None, Some(Identity { epoch: 9, ..p }), 3_000), Err(Rejection::FutureEpoch { current: 2 }));
    let forgotten = table.init(None, Some(Identity { id: 77, epoch: 0 }), 3_000).expect("a new id");
    assert_ne!(forgotten.id, 77, "an id the broker forgot is not brought back");
}

#[test]
fn a_fenced_named_instance_cannot_renew_itself_back() {
    let mut table = ProducerTable::empty();
    let zombie = init(&mut table, Some("app"));
    let current = init(&mut table, Some("app"));
    assert_eq!(table.init(Some("app"), Some(zombie), 2_000), Err(Rejection::Fenced { current: 1 }));
    let renewed = table.init(Some("app"), Some(current), 2_000).expect("the current instance renews");
    assert_eq!((renewed.id, renewed.epoch), (current.id, 2));
}

#[test]
fn ids_never_issued_are_unknown_at_any_sequence() {
    let mut table = ProducerTable::empty();
    init(&mut table, None);
    for first in [0, 1, i32::MAX] {
        assert_eq!(table.check(key(0, 99), 0, first, 1), Err(Rejection::UnknownId));
    }
}

#[test]
fn each_partition_has_its_own_sequences() {
    let mut table = ProducerTable::empty();
    let p = init(&mut table, None);
    append(&mut table, key(0, p.id), 0, 0, 10, 0);
    assert_eq!(table.check(key(1, p.id), 0, 10, 1), Err(Rejection::OutOfOrder { expected: 0 }));
    assert_eq!(append(&mut table, key(1, p.id), 0, 0, 2, 0), Verdict::Append);
    assert_eq!(append(&mut table, key(0, p.id), 0, 0, 10, 0), Verdict::Duplicate { base_offset: 0 });
}

#[test]
fn a_rolled_back_group_leaves_no_trace_and_pending_changes_are_seen_by_the_same_group() {
    let mut table = ProducerTable::empty();
    let p = init(&mut table, None);
    table.record(key(0, p.id), 0, 0, 5, 0, 1_000);
    // A retry in the same group sees the staged batch.
    assert_eq!(table.check(key(0, p.id), 0, 0, 5), Ok(Verdict::Duplicate { base_offset: 0 }));
    let staged = table.init(None, None, 1_000).expect("issued");
    assert!(table.pending_writes().contains(&ProducerWrite::NextId(staged.id + 1)));
    table.rollback();
    assert_eq!(table.check(key(0, p.id), 0, 0, 5), Ok(Verdict::Append));
    assert_eq!(table.check(key(0, staged.id), 0, 0, 1), Err(Rejection::UnknownId));
    assert_eq!(init(&mut table, None).id, staged.id, "the rolled-back id was never issued");
}

#[test]
fn idle_ids_expire_with_their_states_and_the_rest_stay() {
    let mut table = ProducerTable::empty();
    let old = table.init(Some("old"), None, 1_000).expect("issued");
    let busy = table.init(None, None, 1_000).expect("issued");
    table.commit();
    table.record(key(0, old.id), 0, 0, 1, 0, 2_000);
    table.record(key(0, busy.id), 0, 0, 1, 1, 9_000);
    table.commit();
    let dropped = table.expire(10_000, 5_000, usize::MAX);
    assert_eq!(dropped, Dropped { expired: vec![old.id], evicted: vec![] });
    let writes = table.pending_writes();
    assert!(writes.contains(&ProducerWrite::Id(old.id, None)));
    assert!(writes.contains(&ProducerWrite::State(key(0, old.id), None)));
    table.commit();
    assert_eq!(table.size().0, 1);
    assert_eq!(table.check(key(0, old.id), 0, 1, 1), Err(Rejection::UnknownId));
    assert_eq!(table.check(key(0, busy.id), 0, 0, 1), Ok(Verdict::Duplicate { base_offset: 1 }));
    assert_eq!(init(&mut table, Some("old")).epoch, 0, "an expired name starts over");
}

#[test]
fn over_the_memory_limit_the_least_recently_used_go_first() {
    let mut table = ProducerTable::empty();
    let ids: Vec<i64> = (0..10).map(|i| table.init(None, None, 1_000 + i).expect("issued").id).collect();
    table.commit();
    for (i, id) in ids.iter().enumerate() {
        table.record(key(0, *id), 0, 0, 1, i as i64, 2_000 + i as i64);
    }
    table.commit();
    let (_, _, bytes) = table.size();
    assert_eq!(bytes, 10 * (ID_BYTES + STATE_BYTES));
    let limit = 8 * (ID_BYTES + STATE_BYTES);
    let dropped = table.expire(3_000, i64::MAX, limit);
    table.commit();
    assert!(dropped.expired.is_empty());
    assert_eq!(dropped.evicted, ids[..3].to_vec(), "down to 9/10 of the limit, oldest first");
    assert!(table.size().2 <= limit / 10 * 9);
}

#[test]
fn a_deleted_topics_states_are_forgotten() {
    let mut table = ProducerTable::empty();
    let p = init(&mut table, None);
    append(&mut table, key(0, p.id), 0, 0, 1, 0);
    append(&mut table, StateKey { topic_id: 2, partition: 0, producer_id: p.id }, 0, 0, 1, 0);
    table.forget_topic(1);
    table.commit();
    assert_eq!(table.size().1, 1);
    assert_eq!(table.size().2, ID_BYTES + STATE_BYTES);
}

#[test]
fn recovery_keeps_ids_above_every_issued_one_and_drops_orphaned_states() {
    let issued = IssuedId { epoch: 0, name: None, initialized_ms: 0 };
    let state = PartitionProducer { epoch: 0, window: Default::default(), last_append_ms: 0 };
    let mut table = ProducerTable::recover(3, [(7, issued)], [(key(0, 7), state.clone()), (key(0, 8), state)]);
    assert_eq!(init(&mut table, None).id, 9, "above every id seen");
    // The state of an id no longer issued goes at the next expiry pass, from `meta` too.
    table.expire(1_000, i64::MAX, usize::MAX);
    assert_eq!(table.pending_writes(), vec![ProducerWrite::State(key(0, 8), None)]);
    table.commit();
    assert_eq!(table.size().1, 1);
}

#[test]
fn sequences_continue_across_the_wrap_after_i32_max() {
    let issued = IssuedId { epoch: 0, name: None, initialized_ms: 0 };
    let window = Window::from_batches([SequencedBatch { first: i32::MAX - 9, last: i32::MAX - 1, base_offset: 0 }]);
    let state = PartitionProducer { epoch: 0, window, last_append_ms: 0 };
    let mut table = ProducerTable::recover(2, [(1, issued)], [(key(0, 1), state)]);
    assert_eq!(append(&mut table, key(0, 1), 0, i32::MAX, 3, 9), Verdict::Append, "i32::MAX, 0, 1");
    assert_eq!(table.check(key(0, 1), 0, i32::MAX, 3), Ok(Verdict::Duplicate { base_offset: 9 }));
    assert_eq!(table.check(key(0, 1), 0, 3, 1), Err(Rejection::OutOfOrder { expected: 2 }));
    assert_eq!(append(&mut table, key(0, 1), 0, 2, 1, 12), Verdict::Append);
}

#[test]
fn a_data_shards_table_decides_by_the_partitions_state_alone() {
    let mut table = ProducerTable::partition_states([]);
    assert!(!table.issues_ids());
    // An id issued elsewhere: its first batch here starts at 0, whatever its epoch.
    assert_eq!(table.check(key(0, 7), 3, 5, 1), Err(Rejection::OutOfOrder { expected: 0 }));
    assert_eq!(append(&mut table, key(0, 7), 3, 0, 2, 10), Verdict::Append);
    assert_eq!(table.check(key(0, 7), 3, 0, 2), Ok(Verdict::Duplicate { base_offset: 10 }));
    // An older epoch than the partition has seen is fenced; a newer one starts over at 0.
    assert_eq!(table.check(key(0, 7), 2, 2, 1), Err(Rejection::Fenced { current: 3 }));
    assert_eq!(append(&mut table, key(0, 7), 4, 0, 1, 12), Verdict::Append);
    assert_eq!(table.check(key(0, 7), 3, 2, 1), Err(Rejection::Fenced { current: 4 }));
}

#[test]
fn a_data_shards_table_expires_idle_states_and_keeps_used_ones() {
    let mut table = ProducerTable::partition_states([]);
    table.record(key(0, 1), 0, 0, 1, 0, 1_000);
    table.record(key(1, 2), 0, 0, 1, 0, 5_000);
    table.commit();
    let dropped = table.expire(6_000, 2_000, usize::MAX);
    assert_eq!(dropped, Dropped::default(), "a data shard issues no ids, so drops none");
    table.commit();
    assert_eq!(table.size().1, 1, "the state idle since 1,000 expired at 6,000 with a 2,000 expiry");
    assert_eq!(table.check(key(1, 2), 0, 1, 1), Ok(Verdict::Append), "the recent one is kept");
}
