//! A batching producer: records are grouped per partition and sent when a batch reaches
//! `batch_size` bytes or has waited `linger`; at most `max_in_flight` requests are outstanding,
//! one per partition, so a retried batch never reorders a partition.
//!
//! Idempotent by default (Kafka's `enable.idempotence`): the producer gets an id from the
//! broker, numbers each partition's records, and retries every failure whose outcome it cannot
//! know (a timeout, a reset connection, a broker restart) with the same numbers until
//! `delivery_timeout`; the broker appends each batch once and answers a retry of a stored one
//! with its original offsets. Without idempotence, only requests the broker never saw (or
//! refused as overloaded) are retried, since a blind retry could store a batch twice.
mod batcher;
mod send;
mod sequences;

use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tonic::Status;

use super::Connection;
use crate::proto;
use batcher::Batcher;
use sequences::Sequences;

#[derive(Debug, Clone)]
pub struct ProducerConfig {
    /// With idempotence, must be ALL (Kafka's rule: a retry is only answered from the broker's
    /// window once the original is durable).
    pub acks: proto::Acks,
    /// How long a partial batch may wait for more records.
    pub linger: Duration,
    /// Payload bytes that make a batch ready at once.
    pub batch_size: usize,
    /// Produce requests outstanding at once (across partitions; one per partition, within
    /// Kafka's limit of five for idempotent producers).
    pub max_in_flight: usize,
    /// Append each record exactly once across retries (see the module doc).
    pub enable_idempotence: bool,
    /// A stable name for this producer (idempotent only): a new producer with the same name
    /// fences this one, whose sends then fail with PRODUCER_FENCED.
    pub producer_name: Option<String>,
    /// Without idempotence: attempts after the first for retriable errors (UNAVAILABLE,
    /// OVERLOADED, and requests the broker never saw).
    pub retries: u32,
    pub retry_backoff: Duration,
    /// With idempotence: how long a record may be retried before its send fails (Kafka's
    /// delivery.timeout.ms).
    pub delivery_timeout: Duration,
    /// With idempotence: how long one attempt waits for the broker's answer before it is
    /// retried (Kafka's request.timeout.ms). A plain producer waits for the answer, since a
    /// retry could store the batch twice.
    pub request_timeout: Duration,
    /// How the broker compresses the batches it stores (less disk and network for readers).
    pub compression: proto::Compression,
}

impl Default for ProducerConfig {
    fn default() -> Self {
        ProducerConfig {
            acks: proto::Acks::All,
            linger: Duration::from_millis(5),
            batch_size: 256 << 10,
            max_in_flight: 8,
            enable_idempotence: true,
            producer_name: None,
            retries: 10,
            retry_backoff: Duration::from_millis(100),
            delivery_timeout: Duration::from_secs(120),
            request_timeout: Duration::from_secs(30),
            compression: proto::Compression::None,
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
    /// A producer for `topic` (its partition count is read once, for key routing). With
    /// idempotence, also gets a producer id from the broker.
    pub async fn new(mut client: Connection, topic: &str, config: ProducerConfig) -> Result<Self, Status> {
        let sequences = if config.enable_idempotence {
            if config.acks != proto::Acks::All {
                return Err(Status::invalid_argument(
                    "an idempotent producer needs acks ALL; set enable_idempotence: false for acks LEADER or NONE",
                ));
            }
            Some(Sequences::start(&client, &config).await?)
        } else {
            None
        };
        let described = client.describe_topic(proto::DescribeTopicRequest { name: topic.into() }).await?.into_inner();
        let partitions = described.topic.map_or(1, |t| t.partition_count.max(1));
        let (commands, rx) = mpsc::channel(8192);
        let batcher = Batcher::new(client, topic.to_string(), partitions, config, sequences);
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
