//! Stores holding one topic, written straight through a write group: for the storage module's
//! unit tests.
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use super::batch::{NewRecord, encode_batch, set_base_offset};
use super::{Store, StoreOptions, WriteGroup};
use crate::proto::meta::TopicMeta;

/// The topic the helpers here create and write to.
pub const TOPIC_ID: u64 = 1;

/// A store at `dir` (default options) holding topic 1 with `partitions` empty partitions.
pub fn store_with_topic(dir: &Path, partitions: u32) -> Arc<Store> {
    let store = Store::open(dir, &StoreOptions::default()).expect("open");
    let topic = TopicMeta { id: TOPIC_ID, name: "t".into(), partitions, ..Default::default() };
    store.create_topic(topic).expect("create");
    store
}

/// Writes, in one durable write, a batch of one record holding `value` at each of `offsets`.
pub fn append_one_record_batches(store: &Store, partition: u32, offsets: Range<i64>, value: &[u8]) {
    let mut group = WriteGroup::new(store).expect("group");
    let cf = group.partition(TOPIC_ID, partition).expect("partition cf");
    for offset in offsets {
        let mut batch = encode_batch(&[NewRecord { key: None, value, headers: &[], timestamp_ms: 1 }]);
        set_base_offset(&mut batch, offset);
        group.append(&cf, offset, &batch);
    }
    drop(cf);
    group.commit(true).expect("write");
}
