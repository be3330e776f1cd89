//! The loads: producers back to back (maximum throughput), a fixed offered rate (ack latency),
//! and a trickle that notes when each produce is acknowledged (failover time).
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use strata::client::Connection;
use strata::proto::{Acks, ProduceRequest, Record};

use crate::brokers::Brokers;

const RECORD: usize = 1024;

fn request(partition: u32, records: usize) -> ProduceRequest {
    let records = (0..records).map(|_| Record { value: Bytes::from(vec![7u8; RECORD]), ..Default::default() });
    ProduceRequest {
        topic: "bench".into(),
        partition: Some(partition),
        records: records.collect(),
        acks: Acks::All as i32,
        ..Default::default()
    }
}

/// Sends a produce to its partition's leader: a broker that does not lead the partition's shard
/// refuses it naming the leader (nothing written), and the client's route follows; during an
/// election it is sent again shortly.
async fn produce(client: &mut Connection, request: ProduceRequest) -> Result<(), tonic::Status> {
    let partition = request.partition.unwrap_or(0);
    for _ in 0..200 {
        let routed = strata::client::for_partition(request.clone(), &request.topic, partition);
        match client.produce(routed).await {
            Err(status) if status.metadata().contains_key("strata-leader-addr") => continue,
            Err(status) if status.message().starts_with("NOT_LEADER") => {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            answered => return answered.map(drop),
        }
    }
    Err(tonic::Status::unavailable(format!("partition {partition}: its leader was never reached")))
}

/// One producer per partition, each with one request of 16 records in flight; records/s.
pub async fn max_throughput(brokers: &Brokers, partitions: u32, secs: Duration) -> anyhow::Result<f64> {
    const PER_REQUEST: usize = 16;
    let client = brokers.connect().await?;
    let started = Instant::now();
    let tasks: Vec<_> = (0..partitions)
        .map(|p| {
            let mut client = client.clone();
            tokio::spawn(async move {
                let mut sent = 0u64;
                while started.elapsed() < secs {
                    produce(&mut client, request(p, PER_REQUEST)).await?;
                    sent += PER_REQUEST as u64;
                }
                anyhow::Ok(sent)
            })
        })
        .collect();
    let mut records = 0;
    for task in tasks {
        records += task.await??;
    }
    Ok(records as f64 / started.elapsed().as_secs_f64())
}

/// Records in each request of [`fixed_rate`].
pub const FIXED_RATE_PER_REQUEST: usize = 10;

/// Offers `mib_per_sec` in 10-record requests spread over the partitions, each sent on time
/// whether or not earlier ones were answered; every request's latency (µs, sorted).
pub async fn fixed_rate(
    brokers: &Brokers,
    partitions: u32,
    mib_per_sec: f64,
    secs: Duration,
) -> anyhow::Result<Vec<u64>> {
    let client = brokers.connect().await?;
    let per_sec = mib_per_sec * (1 << 20) as f64 / (FIXED_RATE_PER_REQUEST * RECORD) as f64;
    let mut ticks = tokio::time::interval(Duration::from_secs_f64(1.0 / per_sec));
    let started = Instant::now();
    let mut sends = Vec::new();
    let mut partition = 0;
    while started.elapsed() < secs {
        ticks.tick().await;
        let mut client = client.clone();
        let request = request(partition, FIXED_RATE_PER_REQUEST);
        partition = (partition + 1) % partitions;
        sends.push(tokio::spawn(async move {
            let sent = Instant::now();
            produce(&mut client, request).await?;
            let took = sent.elapsed();
            if std::env::var_os("STRATA_BENCH_TRACE").is_some() && took > Duration::from_millis(50) {
                let wall = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
                eprintln!(
                    "slow: sent at {:.3} s, took {:.1} ms, answered at unix {:.3}",
                    (sent - started).as_secs_f64(),
                    took.as_secs_f64() * 1e3,
                    wall.as_secs_f64()
                );
            }
            anyhow::Ok(took.as_micros() as u64)
        }));
    }
    let mut latencies = Vec::with_capacity(sends.len());
    for send in sends {
        latencies.push(send.await??);
    }
    latencies.sort_unstable();
    Ok(latencies)
}

/// The `p` quantile (0..=1) of sorted microsecond latencies, in milliseconds.
pub fn percentile_ms(sorted_us: &[u64], p: f64) -> f64 {
    let Some(last) = sorted_us.len().checked_sub(1) else { return f64::NAN };
    sorted_us[((last as f64) * p).round() as usize] as f64 / 1000.0
}

/// One-record produces every 5 ms to `partitions` in turn through the bootstrap list (each
/// bounded by 500 ms), noting when each acknowledged one was sent and answered.
pub struct Trickle {
    acks: Arc<Mutex<Vec<(Instant, Instant)>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Trickle {
    pub fn start(client: Connection, partitions: Vec<u32>) -> Self {
        let acks: Arc<Mutex<Vec<(Instant, Instant)>>> = Arc::default();
        let noted = acks.clone();
        let task = tokio::spawn(async move {
            for i in 0usize.. {
                let mut client = client.clone();
                let sent = Instant::now();
                let partition = partitions[i % partitions.len()];
                let produced = async move { produce(&mut client, request(partition, 1)).await };
                if let Ok(Ok(_)) = tokio::time::timeout(Duration::from_millis(500), produced).await {
                    noted.lock().unwrap_or_else(|p| p.into_inner()).push((sent, Instant::now()));
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        });
        Trickle { acks, task }
    }

    /// When the first produce sent after `after` was acknowledged (waits up to `limit`).
    pub async fn first_ack_after(&self, after: Instant, limit: Duration) -> anyhow::Result<Instant> {
        while after.elapsed() < limit {
            let first = self.first_sent_after(after);
            if let Some(at) = first {
                return Ok(at);
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        anyhow::bail!("no produce was acknowledged within {limit:?} of the kill")
    }

    fn first_sent_after(&self, after: Instant) -> Option<Instant> {
        let acks = self.acks.lock().unwrap_or_else(|p| p.into_inner());
        acks.iter().find(|(sent, _)| *sent > after).map(|(_, acked)| *acked)
    }

    pub async fn stop(self) {
        self.task.abort();
        let _ = self.task.await;
    }
}
