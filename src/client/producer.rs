//! A batching producer: records are grouped per partition and sent when a batch reaches
//! `batch_size` bytes or has waited `linger`; at most `max_in_flight` requests are outstanding,
//! one per partition, so retrying a batch (see [`ProducerConfig::retries`]) never reorders a
//! partition.
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinSet;
use tokio::time::Instant;
use tonic::{Code, Status};

use super::Connection;
use crate::broker::partitioner::partition_for_key;
use crate::proto;

#[derive(Debug, Clone)]
pub struct ProducerConfig {
    pub acks: proto::Acks,
    /// How long a partial batch may wait for more records.
    pub linger: Duration,
    /// Payload bytes that make a batch ready at once.
    pub batch_size: usize,
    /// Produce requests outstanding at once (across partitions; one per partition).
    pub max_in_flight: usize,
    /// Attempts after the first for retriable errors: UNAVAILABLE, OVERLOADED, and requests the
    /// broker never saw (queued on a closing connection, or refused by its GOAWAY).
    pub retries: u32,
    pub retry_backoff: Duration,
}

impl Default for ProducerConfig {
    fn default() -> Self {
        ProducerConfig {
            acks: proto::Acks::All,
            linger: Duration::from_millis(5),
            batch_size: 256 << 10,
            max_in_flight: 8,
            retries: 10,
            retry_backoff: Duration::from_millis(100),
        }
    }
}

/// Where a record landed (offset -1 with acks NONE).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordOffset {
    pub partition: u32,
    pub offset: i64,
}

type Delivery = oneshot::Sender<Result<RecordOffset, Status>>;

enum Command {
    Send { record: proto::Record, partition: Option<u32>, done: Delivery },
    Flush(oneshot::Sender<()>),
}

pub struct Producer {
    commands: mpsc::Sender<Command>,
    task: tokio::task::JoinHandle<()>,
}

impl Producer {
    /// A producer for `topic` (its partition count is read once, for key routing).
    pub async fn new(mut client: Connection, topic: &str, config: ProducerConfig) -> Result<Self, Status> {
        let described = client.describe_topic(proto::DescribeTopicRequest { name: topic.into() }).await?.into_inner();
        let partitions = described.topic.map_or(1, |t| t.partition_count.max(1));
        let (commands, rx) = mpsc::channel(8192);
        let batcher = Batcher::new(client, topic.to_string(), partitions, config);
        Ok(Producer { commands, task: tokio::spawn(batcher.run(rx)) })
    }

    /// Queues a record; the returned receiver resolves once the broker acknowledged it.
    pub async fn send(
        &self,
        record: proto::Record,
        partition: Option<u32>,
    ) -> Result<oneshot::Receiver<Result<RecordOffset, Status>>, Status> {
        let (done, delivered) = oneshot::channel();
        self.commands
            .send(Command::Send { record, partition, done })
            .await
            .map_err(|_| Status::unavailable("producer is closed"))?;
        Ok(delivered)
    }

    /// Sends everything queued and waits until all of it is acknowledged (or failed).
    pub async fn flush(&self) {
        let (done, flushed) = oneshot::channel();
        if self.commands.send(Command::Flush(done)).await.is_ok() {
            let _ = flushed.await;
        }
    }

    pub async fn close(self) {
        self.flush().await;
        drop(self.commands);
        let _ = self.task.await;
    }
}

struct Batch {
    records: Vec<proto::Record>,
    deliveries: Vec<Delivery>,
    bytes: usize,
    since: Instant,
}

struct Batcher {
    client: Connection,
    topic: String,
    partitions: u32,
    config: ProducerConfig,
    /// Per partition, batches waiting to be sent, oldest first; only the last one grows.
    open: BTreeMap<u32, VecDeque<Batch>>,
    in_flight: BTreeSet<u32>,
    sticky: u32,
    flushes: Vec<oneshot::Sender<()>>,
}

impl Batcher {
    fn new(client: Connection, topic: String, partitions: u32, config: ProducerConfig) -> Self {
        Batcher {
            client,
            topic,
            partitions,
            config,
            open: BTreeMap::new(),
            in_flight: BTreeSet::new(),
            sticky: 0,
            flushes: Vec::new(),
        }
    }

    async fn run(mut self, mut commands: mpsc::Receiver<Command>) {
        let mut sending: JoinSet<u32> = JoinSet::new();
        let mut closed = false;
        loop {
            self.dispatch(&mut sending);
            if closed && self.open.is_empty() && sending.is_empty() {
                return;
            }
            if self.open.is_empty() && sending.is_empty() {
                for flushed in self.flushes.drain(..) {
                    let _ = flushed.send(());
                }
            }
            let linger = self.next_deadline();
            let lingering = linger.is_some();
            let linger = linger.unwrap_or_else(Instant::now);
            tokio::select! {
                command = commands.recv(), if !closed => match command {
                    Some(Command::Send { record, partition, done }) => self.add(record, partition, done),
                    Some(Command::Flush(done)) => self.flushes.push(done),
                    None => closed = true,
                },
                Some(done) = sending.join_next(), if !sending.is_empty() => {
                    if let Ok(partition) = done {
                        self.in_flight.remove(&partition);
                    }
                }
                _ = tokio::time::sleep_until(linger), if lingering => {}
            }
        }
    }

    fn add(&mut self, record: proto::Record, explicit: Option<u32>, done: Delivery) {
        let partition = match (explicit, &record.key) {
            (Some(p), _) => p,
            (None, Some(key)) => partition_for_key(key, self.partitions),
            (None, None) => self.sticky,
        };
        let bytes = record.value.len() + record.key.as_ref().map_or(0, |k| k.len());
        let queue = self.open.entry(partition).or_default();
        // A full batch is closed, so a partition waiting on a slow request never builds one
        // larger than the broker accepts.
        if queue.back().is_none_or(|b| b.bytes >= self.config.batch_size) {
            queue.push_back(Batch { records: Vec::new(), deliveries: Vec::new(), bytes: 0, since: Instant::now() });
        }
        let Some(batch) = queue.back_mut() else { return };
        batch.records.push(record);
        batch.deliveries.push(done);
        batch.bytes += bytes;
    }

    /// When the next batch that could be sent becomes ready by lingering; `None` if every
    /// waiting batch is blocked behind an in-flight request (its completion wakes the loop).
    fn next_deadline(&self) -> Option<Instant> {
        if self.in_flight.len() >= self.config.max_in_flight {
            return None;
        }
        self.open
            .iter()
            .filter(|(p, _)| !self.in_flight.contains(p))
            .filter_map(|(_, queue)| queue.front().map(|b| b.since + self.config.linger))
            .min()
    }

    /// Sends every batch that is ready and whose partition has nothing in flight.
    fn dispatch(&mut self, sending: &mut JoinSet<u32>) {
        let flushing = !self.flushes.is_empty();
        let ready: Vec<u32> = self
            .open
            .iter()
            .filter(|(p, queue)| {
                let Some(b) = queue.front() else { return false };
                let full = queue.len() > 1 || b.bytes >= self.config.batch_size;
                !self.in_flight.contains(p) && (flushing || full || b.since.elapsed() >= self.config.linger)
            })
            .map(|(p, _)| *p)
            .collect();
        for partition in ready {
            if self.in_flight.len() >= self.config.max_in_flight {
                return;
            }
            let Some(queue) = self.open.get_mut(&partition) else { continue };
            let Some(batch) = queue.pop_front() else { continue };
            if queue.is_empty() {
                self.open.remove(&partition);
            }
            if partition == self.sticky {
                self.sticky = (self.sticky + 1) % self.partitions; // a new batch, a new sticky partition
            }
            self.in_flight.insert(partition);
            let (client, topic, config) = (self.client.clone(), self.topic.clone(), self.config.clone());
            sending.spawn(async move {
                send_batch(client, topic, partition, batch, &config).await;
                partition
            });
        }
    }
}

/// Sends one batch, retrying retriable failures, and tells every record where it landed.
async fn send_batch(mut client: Connection, topic: String, partition: u32, batch: Batch, config: &ProducerConfig) {
    let request =
        proto::ProduceRequest { topic, partition: Some(partition), records: batch.records, acks: config.acks as i32 };
    let mut attempt = 0;
    let result = loop {
        match client.produce(request.clone()).await {
            Err(status) if retriable(&status) && attempt < config.retries => {
                attempt += 1;
                tokio::time::sleep(config.retry_backoff * attempt).await;
            }
            other => break other,
        }
    };
    match result {
        Ok(response) => {
            let base = response.into_inner().results.first().map_or(-1, |r| r.base_offset);
            for (i, done) in batch.deliveries.into_iter().enumerate() {
                let offset = if base < 0 { -1 } else { base + i as i64 };
                let _ = done.send(Ok(RecordOffset { partition, offset }));
            }
        }
        Err(status) => {
            for done in batch.deliveries {
                let _ = done.send(Err(status.clone()));
            }
        }
    }
}

/// The broker is down or restarting, or asked producers to back off (OVERLOADED), or the request
/// never left this client.
fn retriable(status: &Status) -> bool {
    let overloaded = status.code() == Code::ResourceExhausted
        && status.metadata().get("strata-reason").and_then(|v| v.to_str().ok()) == Some("OVERLOADED");
    status.code() == Code::Unavailable || overloaded || never_reached_the_broker(status)
}

/// The request failed on this side before the broker saw it, so a retry cannot duplicate it:
/// hyper cancels the requests still queued on a connection that closes, and a broker shutting
/// down sends GOAWAY (NO_ERROR), which by HTTP/2 (RFC 9113 6.8) refuses the streams above its
/// last stream id unprocessed. hyper also fails with that GOAWAY a request whose headers were
/// queued but whose body it had not started sending; the broker cannot have decoded that one
/// either. A status the broker sent carries no source.
fn never_reached_the_broker(status: &Status) -> bool {
    let mut cause = std::error::Error::source(status);
    while let Some(err) = cause {
        if err.downcast_ref::<hyper::Error>().is_some_and(hyper::Error::is_canceled) {
            return true;
        }
        if err
            .downcast_ref::<h2::Error>()
            .is_some_and(|e| e.is_go_away() && e.is_remote() && e.reason() == Some(h2::Reason::NO_ERROR))
        {
            return true;
        }
        cause = err.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[test]
    fn unavailable_and_overloaded_are_retried_and_what_the_broker_answered_is_not() {
        assert!(retriable(&Status::unavailable("broker restarting")));
        let mut overloaded = Status::resource_exhausted("the broker is behind");
        overloaded.metadata_mut().insert("strata-reason", "OVERLOADED".parse().expect("ascii"));
        assert!(retriable(&overloaded));
        assert!(!retriable(&Status::resource_exhausted("quota")), "only OVERLOADED backs off and retries");
        assert!(!retriable(&Status::cancelled("the broker cancelled it")));
        assert!(!retriable(&Status::invalid_argument("record too large")));
    }

    #[test]
    fn a_local_error_that_is_not_a_refused_or_unsent_request_is_not_retried() {
        let mut reset = Status::internal("h2 protocol error");
        reset.set_source(Arc::new(h2::Error::from(h2::Reason::INTERNAL_ERROR)));
        assert!(!retriable(&reset), "the broker may have written it");
        let mut other = Status::cancelled("operation was canceled");
        other.set_source(Arc::new(std::io::Error::other("connection reset")));
        assert!(!retriable(&other));
    }
}
