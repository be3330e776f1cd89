//! Criterion micro-benchmarks of the storage hot paths: encoding and decoding a stored batch,
//! appending batches to a partition (one RocksDB write per group, WAL without fsync, so the
//! disk does not dominate), and reading them back.
//!
//! `cargo bench --profile release --bench micro` (part of `make bench`).
use std::hint::black_box;

use bytes::Bytes;
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use strata::proto::meta::TopicMeta;
use strata::storage::batch::{self, NewRecord};
use strata::storage::{ReadBounds, Store, StoreOptions, WriteGroup};

/// (name, records per batch, value size): Kafka-style small and medium records.
const SHAPES: [(&str, usize, usize); 2] = [("100x1KiB", 100, 1024), ("1000x100B", 1000, 100)];

fn values(count: usize, size: usize) -> Vec<Vec<u8>> {
    (0..count).map(|i| vec![(i % 251) as u8; size]).collect()
}

fn encoded(count: usize, size: usize) -> Vec<u8> {
    let values = values(count, size);
    let records: Vec<NewRecord<'_>> =
        values.iter().map(|v| NewRecord { key: None, value: v, headers: &[], timestamp_ms: 1 }).collect();
    batch::encode_batch(&records)
}

fn codec(c: &mut Criterion) {
    for (name, count, size) in SHAPES {
        let mut group = c.benchmark_group(format!("batch/{name}"));
        group.throughput(Throughput::Elements(count as u64));
        let values = values(count, size);
        group.bench_function("encode", |b| {
            b.iter(|| {
                let records: Vec<NewRecord<'_>> =
                    values.iter().map(|v| NewRecord { key: None, value: v, headers: &[], timestamp_ms: 1 }).collect();
                black_box(batch::encode_batch(&records))
            })
        });
        let stored = Bytes::from(encoded(count, size));
        group.bench_function("decode", |b| b.iter(|| black_box(batch::decode(&stored).expect("valid batch"))));
        group.finish();
    }
}

fn partition(c: &mut Criterion) {
    for (name, count, size) in SHAPES {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open(dir.path(), &StoreOptions::default()).expect("open");
        let topic = TopicMeta { id: 1, name: "bench".into(), partitions: 1, ..Default::default() };
        store.create_topic(topic).expect("create");
        let stored = encoded(count, size);
        let mut next = 0i64;
        let mut group = c.benchmark_group(format!("partition/{name}"));
        group.throughput(Throughput::Elements(count as u64));
        group.bench_function("append", |b| {
            b.iter_batched(
                || stored.clone(),
                |mut value| {
                    batch::set_base_offset(&mut value, next);
                    let mut write = WriteGroup::new(&store).expect("group");
                    let cf = write.partition(1, 0).expect("partition");
                    write.append(&cf, next, &value);
                    drop(cf);
                    write.commit(false).expect("write");
                    next += count as i64;
                },
                BatchSize::SmallInput,
            )
        });
        let bounds = ReadBounds { first_batch: 0, log_start: 0, high_watermark: next };
        let mut from = 0i64;
        group.bench_function("read", |b| {
            b.iter(|| {
                let records = store.read_records(1, 0, from, bounds, count * size).expect("read");
                from = (from + count as i64) % next.max(1);
                black_box(records)
            })
        });
        group.finish();
    }
}

criterion_group!(benches, codec, partition);
criterion_main!(benches);
