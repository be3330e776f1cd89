//! Open-loop runs at a fixed rate, as OpenMessaging Benchmark does: batch k is due at
//! start + k × interval and is sent then whether or not earlier ones were acknowledged, and
//! latency counts from that intended time, so a stall shows up in the percentiles instead of
//! silently lowering the rate (no coordinated omission). A subscriber measures end to end:
//! each record carries its batch's intended send time.
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use strata::proto::broker_client::BrokerClient;
use strata::proto::{Acks, FetchRequest, ProduceRequest, Record, SubscribeRequest};
use tonic::transport::Channel;

use crate::{page_cache, strata_target};

const RECORD_BYTES: usize = 1024;
const PER_BATCH: usize = 100;
/// Bytes of records per produce request.
pub const BATCH_BYTES: usize = RECORD_BYTES * PER_BATCH;

pub struct Latencies {
    pub ack_us: Vec<u64>,
    pub end_to_end_us: Vec<u64>,
    pub achieved_bytes_per_sec: f64,
}

/// Durable (acks ALL, `--fsync always`) 1 KiB records at `mib_per_sec`, into one partition,
/// with one subscriber on it.
pub async fn run(dir: &Path, mib_per_sec: f64, duration: Duration) -> anyhow::Result<Latencies> {
    let broker = strata_target::start(dir).await?;
    let start = Instant::now();
    let subscriber = tokio::spawn(receive(broker.client().await?, start, duration));
    let client = broker.client().await?;
    let interval = Duration::from_secs_f64(BATCH_BYTES as f64 / (mib_per_sec * (1 << 20) as f64));
    let acks = Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut inflight = Vec::new();
    let mut ticks = paced(start, interval, duration);
    let mut k = 0u32;
    while let Some(due) = ticks.recv().await {
        let stamp = (due - start).as_micros() as u64;
        let value = Bytes::from([&stamp.to_be_bytes()[..], &[b'f'; RECORD_BYTES - 8]].concat());
        let records = vec![Record { value, ..Record::default() }; PER_BATCH];
        let request = ProduceRequest {
            topic: "bench".into(),
            partition: Some(0),
            records,
            acks: Acks::All as i32,
            ..ProduceRequest::default()
        };
        let (mut client, acks) = (client.clone(), acks.clone());
        inflight.push(tokio::spawn(async move {
            client.produce(request).await?;
            let latency = (start.elapsed() - (due - start)).as_micros() as u64;
            acks.lock().map_err(|_| anyhow::anyhow!("poisoned"))?.push(latency);
            anyhow::Ok(())
        }));
        k += 1;
    }
    for send in inflight {
        send.await??;
    }
    let sent_bytes = (k as usize * PER_BATCH * RECORD_BYTES) as f64;
    let achieved_bytes_per_sec = sent_bytes / start.elapsed().as_secs_f64();
    let mut end_to_end_us = subscriber.await??;
    broker.stop().await?;
    let mut ack_us = std::mem::take(&mut *acks.lock().map_err(|_| anyhow::anyhow!("poisoned"))?);
    ack_us.sort_unstable();
    end_to_end_us.sort_unstable();
    Ok(Latencies { ack_us, end_to_end_us, achieved_bytes_per_sec })
}

/// Each batch's intended send time, from a thread of its own that sleeps until it: tokio's timer
/// wheel has 1 ms ticks and would add up to a millisecond of the generator's own lateness to
/// every latency; a sleeping thread is late by tens of microseconds.
fn paced(start: Instant, interval: Duration, duration: Duration) -> tokio::sync::mpsc::UnboundedReceiver<Instant> {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    std::thread::spawn(move || {
        for k in 0u32.. {
            let due = start + interval * k;
            if due - start >= duration {
                break;
            }
            if let Some(wait) = due.checked_duration_since(Instant::now()) {
                std::thread::sleep(wait);
            }
            if tx.send(due).is_err() {
                break;
            }
        }
    });
    rx
}

/// Receives until a second after the producers stop; latency per record from its stamp.
async fn receive(
    mut client: strata::proto::broker_client::BrokerClient<tonic::transport::Channel>,
    start: Instant,
    duration: Duration,
) -> anyhow::Result<Vec<u64>> {
    let request = SubscribeRequest { topic: "bench".into(), partition: 0, offset: 0, max_bytes: 0 };
    let mut stream = client.subscribe(request).await?.into_inner();
    let mut latencies = Vec::new();
    let end = start + duration + Duration::from_secs(1);
    loop {
        let Ok(item) = tokio::time::timeout_at(end.into(), stream.message()).await else { break };
        let Some(response) = item? else { break };
        let now = start.elapsed().as_micros() as u64;
        for record in &response.records {
            let stamp: [u8; 8] = record.value.get(..8).and_then(|b| b.try_into().ok()).unwrap_or_default();
            latencies.push(now.saturating_sub(u64::from_be_bytes(stamp)));
        }
    }
    Ok(latencies)
}

/// Catch-up read: fills a partition with `backlog_mib` of 1 KiB records (acks LEADER), then
/// reads it all from offset 0, once per reader: a loop of 64 MiB fetches (each waits for the
/// previous), the client library's `Consumer`, and Subscribe streams whose responses carry up to
/// 1, 4 or 16 MiB (the broker reads ahead while the client takes the previous response).
/// The first reader, a 1 MiB Subscribe, starts with the data dir evicted from the page cache.
/// Returns (reader, bytes per second).
pub async fn catch_up(dir: &Path, backlog_mib: usize) -> anyhow::Result<Vec<(String, f64)>> {
    let broker = strata_target::start(dir).await?;
    let mut client = broker.client().await?;
    let records = vec![Record { value: Bytes::from(vec![b'c'; RECORD_BYTES]), ..Record::default() }; 1000];
    for _ in 0..backlog_mib * (1 << 20) / (RECORD_BYTES * 1000) {
        let request = ProduceRequest {
            topic: "bench".into(),
            partition: Some(0),
            records: records.clone(),
            acks: Acks::Leader as i32,
            ..ProduceRequest::default()
        };
        client.produce(request).await?;
    }
    // The first reader starts cold: with `--direct-io` nothing was cached by the writes, and
    // without it the writes left the whole backlog in the page cache. The others read what the
    // first one brought into the cache.
    page_cache::evict(broker.data_dir())?;
    let cold = subscribed(&mut client, 1 << 20).await?;
    let mut rates = vec![("subscribe, 1 MiB responses, cold cache".to_string(), cold)];
    rates.push(("fetch loop, 64 MiB fetches".to_string(), fetch_loop(&mut client).await?));
    rates.push((
        "client Consumer (reads ahead)".to_string(),
        client_consumer(strata::client::connect(&broker.endpoint).await?).await?,
    ));
    for mib in [1u32, 4, 16] {
        rates.push((format!("subscribe, {mib} MiB responses"), subscribed(&mut client, mib << 20).await?));
    }
    broker.stop().await?;
    Ok(rates)
}

/// Bytes per second of record values read by consecutive fetches until the high watermark.
async fn fetch_loop(client: &mut BrokerClient<Channel>) -> anyhow::Result<f64> {
    let started = Instant::now();
    let (mut offset, mut bytes) = (0i64, 0usize);
    loop {
        let request = FetchRequest { topic: "bench".into(), partition: 0, offset, max_bytes: 64 << 20, max_wait_ms: 0 };
        let response = client.fetch(request).await?.into_inner();
        let Some(last) = response.records.last() else { break };
        offset = last.offset + 1;
        bytes += response.records.iter().map(|r| r.value.len()).sum::<usize>();
        if offset >= response.high_watermark {
            break;
        }
    }
    Ok(bytes as f64 / started.elapsed().as_secs_f64())
}

/// Bytes per second of record values read by the Rust client's `Consumer` (1 MiB fetches, the
/// next one sent while the previous response is handled) until the high watermark.
async fn client_consumer(client: strata::client::Connection) -> anyhow::Result<f64> {
    let started = Instant::now();
    let mut consumer =
        strata::client::Consumer::assign(client, "bench", &[0], strata::client::StartAt::Earliest).await?;
    let end = consumer.high_watermarks().await?.get(&0).copied().unwrap_or(0);
    let mut bytes = 0usize;
    while consumer.positions().get(&0).is_some_and(|&position| position < end) {
        bytes += consumer.poll(Duration::ZERO).await?.iter().map(|r| r.value.len()).sum::<usize>();
    }
    Ok(bytes as f64 / started.elapsed().as_secs_f64())
}

/// Bytes per second of record values read by one Subscribe stream until the high watermark.
async fn subscribed(client: &mut BrokerClient<Channel>, max_bytes: u32) -> anyhow::Result<f64> {
    let started = Instant::now();
    let request = SubscribeRequest { topic: "bench".into(), partition: 0, offset: 0, max_bytes };
    let mut stream = client.subscribe(request).await?.into_inner();
    let mut bytes = 0usize;
    while let Some(response) = stream.message().await? {
        bytes += response.records.iter().map(|r| r.value.len()).sum::<usize>();
        if response.records.last().is_some_and(|last| last.offset + 1 >= response.high_watermark) {
            break;
        }
    }
    Ok(bytes as f64 / started.elapsed().as_secs_f64())
}
