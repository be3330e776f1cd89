//! A model test of the partition log: random appends (plain and idempotent, with retries),
//! reads, DeleteRecords and reopens against a `BTreeMap` of what must be stored (TiKV's
//! pattern). After every step a replica applies the commit-log entries the broker applied and
//! must hold the same bytes. Runs in-process on the library API.
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use proptest::prelude::*;
use strata::broker::replica::Replica;
use strata::broker::{Broker, CommitLogTap, FetchRequest, ProduceRecord, ProduceRequest, ProducerSequence};
use strata::config::BrokerConfig;

#[derive(Debug, Clone)]
enum Op {
    /// Append a batch of this many records (idempotently, from the one producer, if set).
    Append(usize, bool),
    /// Send the last idempotent batch again: answered with its offsets, stored once.
    Retry,
    /// Fetch from (log start + this much into the log), at most this many bytes.
    Read(u8, u32),
    /// DeleteRecords before (log start + this fraction of the live log, in 1/8ths).
    DeleteBefore(u8),
    /// Close and reopen the data dir.
    Reopen,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (1usize..20, any::<bool>()).prop_map(|(n, idempotent)| Op::Append(n, idempotent)),
        1 => Just(Op::Retry),
        3 => (any::<u8>(), 1u32..400).prop_map(|(at, max)| Op::Read(at, max)),
        1 => (0u8..=8).prop_map(Op::DeleteBefore),
        1 => Just(Op::Reopen),
    ]
}

struct Model {
    records: BTreeMap<i64, Bytes>,
    log_start: i64,
    next: i64,
    /// The idempotent producer's next sequence, and its last request with where it landed.
    sequence: i32,
    last_sequenced: Option<(ProduceRequest, i64)>,
}

type Entries = Arc<Mutex<Vec<Vec<u8>>>>;

fn open(dir: &std::path::Path, entries: &Entries) -> std::sync::Arc<Broker> {
    let tapped = entries.clone();
    let tap = CommitLogTap(Arc::new(move |entry| tapped.lock().expect("entries").push(entry)));
    let config = BrokerConfig { data_dir: dir.to_path_buf(), commit_log_tap: Some(tap), ..BrokerConfig::default() };
    Broker::open(config).expect("open")
}

/// Hands the replica every entry applied since the last call; both must then hold the same.
fn replicate(broker: &Broker, replica: &mut Replica, entries: &Entries) -> Result<(), TestCaseError> {
    let topics: Vec<_> = broker.topics_snapshot().iter().map(|t| t.meta.clone()).collect();
    replica.add_topics(&topics).expect("replica topics");
    for entry in std::mem::take(&mut *entries.lock().expect("entries")) {
        replica.apply(&entry).expect("the replica applies what the broker applied");
    }
    prop_assert_eq!(replica.dump().expect("replica dump"), broker.dump().expect("broker dump"));
    Ok(())
}

async fn run(ops: Vec<Op>) -> Result<(), TestCaseError> {
    let dir = tempfile::tempdir().expect("dir");
    let replica_dir = tempfile::tempdir().expect("replica dir");
    let entries: Entries = Arc::default();
    let mut broker = open(dir.path(), &entries);
    let mut replica = Replica::open(replica_dir.path()).expect("replica");
    broker.create_topic("m", 1, Default::default()).await.expect("create");
    let producer = broker.init_producer_id(None, None).await.expect("producer id");
    let mut model = Model { records: BTreeMap::new(), log_start: 0, next: 0, sequence: 0, last_sequenced: None };
    for op in ops {
        match op {
            Op::Append(n, idempotent) => {
                let values: Vec<Bytes> = (0..n).map(|i| Bytes::from(format!("{}-{i}", model.next))).collect();
                let records = values.iter().map(|v| ProduceRecord { value: v.clone(), ..Default::default() }).collect();
                let sequence =
                    ProducerSequence { producer_id: producer.id, epoch: producer.epoch, base_sequence: model.sequence };
                let producer = idempotent.then_some(sequence);
                let request =
                    ProduceRequest { topic: "m".into(), partition: Some(0), records, producer, ..Default::default() };
                let base = broker.produce(request.clone()).await.expect("produce")[0].base_offset;
                prop_assert_eq!(base, model.next);
                if idempotent {
                    model.sequence += n as i32;
                    model.last_sequenced = Some((request, base));
                }
                for v in values {
                    model.records.insert(model.next, v);
                    model.next += 1;
                }
            }
            Op::Retry => {
                if let Some((request, base)) = model.last_sequenced.clone() {
                    let result = broker.produce(request).await.expect("retry")[0];
                    prop_assert_eq!((result.base_offset, result.duplicate), (base, true));
                }
            }
            Op::Read(at, max_bytes) => {
                let live = model.next - model.log_start;
                let offset = model.log_start + if live == 0 { 0 } else { i64::from(at) % (live + 1) };
                let request = FetchRequest { topic: "m".into(), partition: 0, offset, max_bytes, ..Default::default() };
                let response = broker.fetch(&request).await.expect("fetch");
                prop_assert_eq!(response.log_start_offset, model.log_start);
                prop_assert_eq!(response.high_watermark, model.next);
                prop_assert_eq!(response.records.is_empty(), offset == model.next, "at least one record if any");
                for (i, r) in response.records.iter().enumerate() {
                    prop_assert_eq!(r.offset, offset + i as i64);
                    prop_assert_eq!(r.value.as_ref(), model.records.get(&r.offset));
                }
            }
            Op::DeleteBefore(eighths) => {
                let before = model.log_start + (model.next - model.log_start) * i64::from(eighths) / 8;
                let start = broker.delete_records("m", 0, before).await.expect("delete records");
                model.log_start = model.log_start.max(before);
                prop_assert_eq!(start, model.log_start);
                model.records = model.records.split_off(&model.log_start);
            }
            Op::Reopen => {
                broker.close().await;
                drop(broker);
                broker = open(dir.path(), &entries);
            }
        }
        replicate(&broker, &mut replica, &entries)?;
        let p = broker.describe_topic("m").expect("describe").partitions[0];
        prop_assert_eq!((p.log_start_offset, p.high_watermark), (model.log_start, model.next));
    }
    broker.close().await;
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn the_partition_log_matches_a_btreemap_model(ops in proptest::collection::vec(op(), 1..30)) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        runtime.block_on(run(ops))?;
    }
}
