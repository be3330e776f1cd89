//! How long a restart spends loading idempotent producers' state: 10,000 producer ids, each
//! with five batches in each of 4 of 8 partitions (40,000 full windows), then three reopens of
//! the data dir. Prints the load of that state alone (a prefix scan of `meta` and the table
//! rebuilt from it), the heap it holds beside the broker's estimate, and the whole
//! `Broker::open`.
//!
//! Run by `make bench`; `STRATA_BENCH_PRODUCERS` sets the number of ids (default 10,000).
use std::alloc::{GlobalAlloc, Layout, System};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicIsize, Ordering};
use std::time::Instant;

use bytes::Bytes;
use strata::broker::{Broker, ProduceRecord, ProduceRequest, ProducerSequence, producers};
use strata::config::BrokerConfig;
use strata::storage::{Store, StoreOptions};

/// Counts the heap bytes in use, so the table's real size can be set beside its estimate.
struct Counting;

static HEAP_BYTES: AtomicIsize = AtomicIsize::new(0);

#[allow(unsafe_code)]
// SAFETY: forwards to the system allocator unchanged, only counting.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        HEAP_BYTES.fetch_add(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: the caller's contract for `alloc` is passed on as is.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        HEAP_BYTES.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: `ptr` came from `alloc` above with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const PARTITIONS: u32 = 8;
const PARTITIONS_PER_PRODUCER: u32 = 4;
/// Batches each producer sends to each of its partitions: a full window.
const WINDOW: i32 = 5;
/// Producers set up at once, so their fsyncs are group-committed.
const CONCURRENCY: usize = 64;

fn main() -> anyhow::Result<()> {
    let producers: usize = std::env::var("STRATA_BENCH_PRODUCERS").ok().and_then(|s| s.parse().ok()).unwrap_or(10_000);
    let dir = tempfile::tempdir_in(std::env::var("STRATA_BENCH_DIR").unwrap_or_else(|_| ".".into()))?;
    let data_dir = dir.path().join("data");
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let started = Instant::now();
    runtime.block_on(fill(&data_dir, producers))?;
    println!(
        "\nproducer state: {producers} producer ids x {PARTITIONS_PER_PRODUCER} partitions x {WINDOW} batches, written in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    for run in 1..=3 {
        let started = Instant::now();
        let store = Store::open(&data_dir, &StoreOptions::default())?;
        let opened = started.elapsed();
        let topics: std::collections::HashSet<u64> = store.load_topics()?.iter().map(|t| t.id).collect();
        let heap_before = HEAP_BYTES.load(Ordering::Relaxed);
        let loading = Instant::now();
        // A single broker's table: every partition, and the issued ids.
        let table = producers::recover(store.load_producers()?, &topics, |_, _| true, true);
        let loaded = loading.elapsed();
        let heap = HEAP_BYTES.load(Ordering::Relaxed) - heap_before;
        let (ids, states, bytes) = table.size();
        drop(table);
        drop(store);
        let started = Instant::now();
        let broker = Broker::open(config(&data_dir))?;
        let broker_open = started.elapsed();
        runtime.block_on(broker.close());
        drop(broker);
        println!(
            "  reopen {run}: producer state loaded in {:.1} ms ({ids} ids, {states} windows: heap {:.1} MiB, \
             estimated {:.1} MiB); RocksDB open {:.0} ms; whole broker open {:.0} ms",
            loaded.as_secs_f64() * 1e3,
            heap as f64 / (1 << 20) as f64,
            bytes as f64 / (1 << 20) as f64,
            opened.as_secs_f64() * 1e3,
            broker_open.as_secs_f64() * 1e3,
        );
    }
    Ok(())
}

fn config(data_dir: &Path) -> BrokerConfig {
    BrokerConfig { data_dir: data_dir.to_path_buf(), ..BrokerConfig::default() }
}

/// Issues the ids and sends each producer's batches to its partitions.
async fn fill(data_dir: &Path, producers: usize) -> anyhow::Result<()> {
    let broker = Broker::open(config(data_dir))?;
    broker.create_topic("t", PARTITIONS, Default::default()).await?;
    let mut workers = tokio::task::JoinSet::new();
    for worker in 0..CONCURRENCY {
        let broker = Arc::clone(&broker);
        workers.spawn(async move {
            for n in (worker..producers).step_by(CONCURRENCY) {
                let identity = broker.init_producer_id(None, None).await?;
                for (k, sequence) in (0..PARTITIONS_PER_PRODUCER).flat_map(|k| (0..WINDOW).map(move |s| (k, s))) {
                    let record = ProduceRecord { value: Bytes::from(format!("p{n}")), ..Default::default() };
                    let producer =
                        ProducerSequence { producer_id: identity.id, epoch: identity.epoch, base_sequence: sequence };
                    let request = ProduceRequest {
                        topic: "t".into(),
                        partition: Some((n as u32 + k) % PARTITIONS),
                        records: vec![record],
                        producer: Some(producer),
                        ..Default::default()
                    };
                    broker.produce(request).await?;
                }
            }
            anyhow::Ok(())
        });
    }
    while let Some(done) = workers.join_next().await {
        done??;
    }
    broker.close().await;
    Ok(())
}
