//! Produce: validate, route records to partitions, encode one batch per partition, queue the
//! batches for the commit loop as one job per shard (so a request is written atomically in
//! each shard, and whole where one shard carries it all) and wait as the acks level says.
use std::collections::{BTreeMap, BTreeSet};
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use futures::future::BoxFuture;
use tokio::sync::oneshot;

use super::Broker;
use super::PERMIT_BYTES;
use super::apply::{Appended, Op};
use super::commit_loop::{Job, Reply};
use super::shards::ShardPart;
use super::topic::Topic;
use crate::error::{Error, Result};
use crate::metrics as m;
use crate::records::Codec;
use crate::records::partitioner::partition_for_key;
use crate::storage::batch::{BatchProducer, NewRecord, encode_compressed_batch};

/// How long a produce waits before it is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Acks {
    /// Durable under the broker's fsync policy.
    #[default]
    All,
    /// Written to the log, not waiting for fsync.
    Leader,
    /// Queued; no offsets are returned.
    None,
}

#[derive(Debug, Clone, Default)]
pub struct ProduceRecord {
    pub key: Option<Bytes>,
    pub value: Bytes,
    pub headers: BTreeMap<String, Bytes>,
    /// 0 = broker time.
    pub timestamp_ms: i64,
}

impl ProduceRecord {
    fn payload_len(&self) -> usize {
        let headers: usize = self.headers.iter().map(|(k, v)| k.len() + v.len()).sum();
        self.key.as_ref().map_or(0, Bytes::len) + self.value.len() + headers
    }
}

#[derive(Debug, Clone, Default)]
pub struct ProduceRequest {
    pub topic: String,
    pub partition: Option<u32>,
    pub records: Vec<ProduceRecord>,
    pub acks: Acks,
    /// Set for an idempotent produce (which must name its partition and use acks ALL).
    pub producer: Option<ProducerSequence>,
    /// How the broker compresses each partition's batch before storing it.
    pub compression: Codec,
}

/// An idempotent producer's instance and the sequence of the request's first record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProducerSequence {
    pub producer_id: i64,
    pub epoch: i16,
    pub base_sequence: i32,
}

/// Where one partition's share of a request landed: offsets `base_offset..base_offset+count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartitionResult {
    pub partition: u32,
    pub base_offset: i64,
    pub record_count: u32,
    /// An idempotent retry of records already stored; `base_offset` is where they were stored.
    pub duplicate: bool,
}

impl Broker {
    /// Appends the records; returns, per partition touched, the offsets they got (nothing for
    /// acks NONE). A rejected request appends nothing.
    pub async fn produce(&self, request: ProduceRequest) -> Result<Vec<PartitionResult>> {
        self.ensure_open()?;
        // Leadership first: a broker that does not lead answers NOT_LEADER whatever it is sent.
        let topic = self.topic(&request.topic).or_else(|unknown| {
            self.ensure_meta_leader()?;
            Err(unknown)
        })?;
        let led = |p: u32| self.leads(self.shards().of_partition(topic.meta.id, p));
        let key_of = |i: usize| request.records[i].key.as_deref();
        let routed = route(&topic, request.partition, request.records.len(), key_of, led);
        // The named partition too: a request without records routes none.
        self.ensure_leads_all(&topic, request.partition.into_iter().chain(routed.keys().copied()))?;
        if let Some(p) = request.partition {
            topic.partition(p)?;
        }
        let total_bytes = self.validate_records(&request.records)?;
        let producer = validate_idempotence(&request)?;
        let now = now_ms();
        let mut batches = Vec::with_capacity(routed.len());
        let mut results = Vec::with_capacity(routed.len());
        for (partition, indices) in routed {
            let batch = encode_partition_batch(&request.records, &indices, now, producer, request.compression);
            batches.push((partition, batch?));
            let record_count = indices.len() as u32;
            results.push(PartitionResult { partition, base_offset: -1, record_count, duplicate: false });
        }
        let appended = self.submit(&topic, now, batches, request.acks, total_bytes).await?;
        for (result, appended) in results.iter_mut().zip(appended) {
            result.base_offset = appended.base_offset;
            result.duplicate = appended.duplicate;
        }
        if !results.iter().any(|r| r.duplicate) {
            let topic_label = [("topic", topic.name().to_string())];
            metrics::counter!(m::PRODUCED_RECORDS, &topic_label).increment(request.records.len() as u64);
            metrics::counter!(m::PRODUCED_BYTES, &topic_label).increment(total_bytes as u64);
        }
        Ok(if request.acks == Acks::None { Vec::new() } else { results })
    }

    /// `Ok` if this broker leads every partition a request's records went to; else the leader
    /// when one other broker leads them all, and when several do, a refusal that says to name
    /// the partition (no one broker can take the request whole).
    fn ensure_leads_all(&self, topic: &Topic, partitions: impl Iterator<Item = u32>) -> Result<()> {
        let (mut any_led, mut leaders, mut refusal) = (false, BTreeSet::new(), None);
        for partition in partitions {
            match self.ensure_partition_leader(topic.meta.id, partition) {
                Ok(()) => any_led = true,
                Err(e) => {
                    leaders.insert(if let Error::NotLeader { leader_id, .. } = &e { *leader_id } else { None });
                    refusal = Some(e);
                }
            }
        }
        match refusal {
            None => Ok(()),
            Some(refusal) if !any_led && leaders.len() == 1 => Err(refusal),
            Some(_) => Err(Error::invalid(
                "partition",
                format!(
                    "the records' keys map to partitions of \"{}\" led by different brokers; send each \
                     partition's records to its leader with `partition` set (the strata client and Kafka \
                     clients do)",
                    topic.name()
                ),
            )),
        }
    }

    /// Checks record and request sizes and timestamps; returns the request's payload bytes.
    fn validate_records(&self, records: &[ProduceRecord]) -> Result<usize> {
        if records.is_empty() {
            return Err(Error::invalid("records", "a produce request needs at least one record"));
        }
        let limit = self.config.max_record_bytes;
        let mut total = 0usize;
        for (i, record) in records.iter().enumerate() {
            let len = record.payload_len();
            if len > limit {
                let reason =
                    format!("record {i} is {len} bytes (key + value + headers); --max-record-bytes is {limit}");
                return Err(Error::invalid("records", reason));
            }
            if record.timestamp_ms < 0 {
                let reason = format!("record {i} has timestamp_ms {}; use 0 for broker time", record.timestamp_ms);
                return Err(Error::invalid("timestamp_ms", reason));
            }
            total += len;
        }
        let limit = self.config.max_request_bytes;
        if total > limit {
            let reason = format!("the request carries {total} bytes of records; --max-request-bytes is {limit}");
            return Err(Error::invalid("records", reason));
        }
        Ok(total)
    }

    /// Queues the batches, one append per shard, and waits for the commit loops as `acks`
    /// says. Where the request spans shards and one part fails, the error is the answer though
    /// other parts may be stored (as after a timeout, the outcome is unknown to the client).
    async fn submit(
        &self,
        topic: &Topic,
        now_ms: i64,
        batches: Vec<(u32, Vec<u8>)>,
        acks: Acks,
        bytes: usize,
    ) -> Result<Vec<Appended>> {
        let count = batches.len();
        let split = self.shards().split_append(topic.meta.id, batches);
        let mut queued = Vec::with_capacity(split.len());
        for ShardPart { positions, batches, .. } in split {
            // The request's bytes are budgeted by share, so the parts add up to the whole.
            let share = bytes * positions.len() / count;
            let append = Op::Append { topic: topic.name().to_string(), topic_id: topic.meta.id, now_ms, batches };
            queued.push((positions, self.enqueue(append, acks, share).await?));
        }
        let mut appended = vec![Appended { base_offset: -1, duplicate: false }; count];
        for (positions, queued) in queued {
            for (at, answer) in positions.into_iter().zip(queued.appended().await?) {
                appended[at] = answer;
            }
        }
        Ok(appended)
    }

    /// Queues an append for the commit loop: appends are written in the order they were queued.
    /// Waits while the in-flight byte budget is spent (then `Overloaded`), not for the write.
    pub(super) async fn enqueue(&self, append: Op, acks: Acks, bytes: usize) -> Result<Queued> {
        let permits = bytes.div_ceil(PERMIT_BYTES).max(1) as u32;
        let wait = self.config.enqueue_timeout;
        let permit = tokio::time::timeout(wait, self.inflight.clone().acquire_many_owned(permits))
            .await
            .map_err(|_| Error::Overloaded(format!("produce queue stayed full for {wait:?}")))?
            .map_err(|_| Error::ShuttingDown)?;
        let (reply, answer) = oneshot::channel();
        let count = match &append {
            Op::Append { batches, .. } => batches.len(),
            _ => 1,
        };
        let reply = Reply::Appended { reply: (acks != Acks::None).then_some(reply), permit };
        let job = Job::new(append, acks == Acks::All, reply);
        tokio::time::timeout(wait, self.jobs.send(job))
            .await
            .map_err(|_| Error::Overloaded(format!("commit queue stayed full for {wait:?}")))?
            .map_err(|_| Error::ShuttingDown)?;
        let answer = (acks != Acks::None).then_some(answer);
        // Only a produce that waits for its answer waits on the disk too.
        let stalled = answer.as_ref().and(self.replication.as_ref()).map(|replication| replication.writes_stalled());
        Ok(Queued { answer, count, stalled })
    }
}

/// An append in the commit loop's queue.
pub struct Queued {
    /// `None` with acks NONE: nobody waits.
    answer: Option<oneshot::Receiver<Result<Vec<Appended>>>>,
    count: usize,
    /// In a cluster: resolves once this broker cannot store writes (a full disk).
    stalled: Option<BoxFuture<'static, ()>>,
}

impl Queued {
    /// Where each batch landed, once stored as the acks asked (base offset -1 with acks NONE).
    pub async fn appended(self) -> Result<Vec<Appended>> {
        match self.answer {
            None => Ok(vec![Appended { base_offset: -1, duplicate: false }; self.count]),
            Some(answer) => {
                let stalled = self.stalled.unwrap_or_else(|| Box::pin(std::future::pending()));
                tokio::select! {
                    answer = answer => answer.map_err(|_| Error::ShuttingDown)?,
                    // Its outcome is unknown (like a leader change's): an idempotent producer's
                    // retry is answered from its window at the new leader.
                    () = stalled => Err(Error::NotLeader { leader_id: None, leader_addr: None }),
                }
            }
        }
    }
}

/// Groups record indices by partition, keeping each partition's records in request order:
/// the given partition; else murmur2 of the key; unkeyed records all go to one sticky
/// partition, one this broker leads if it leads any (`led`).
fn route<'a>(
    topic: &Topic,
    explicit: Option<u32>,
    count: usize,
    key_of: impl Fn(usize) -> Option<&'a [u8]>,
    led: impl Fn(u32) -> bool,
) -> BTreeMap<u32, Vec<usize>> {
    let mut routed: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
    let mut sticky = None;
    let pick_sticky = || {
        let first = topic.sticky_partition();
        let partitions = topic.meta.partitions;
        (0..partitions).map(|i| (first + i) % partitions).find(|p| led(*p)).unwrap_or(first)
    };
    for i in 0..count {
        let partition = match (explicit, key_of(i)) {
            (Some(p), _) => p,
            (None, Some(key)) => partition_for_key(key, topic.meta.partitions),
            (None, None) => *sticky.get_or_insert_with(pick_sticky),
        };
        routed.entry(partition).or_default().push(i);
    }
    routed
}

/// An idempotent produce names one partition and waits for acks ALL (Kafka's rules: the
/// sequence is per partition, and a retry is only safe to answer once the original is durable).
fn validate_idempotence(request: &ProduceRequest) -> Result<BatchProducer> {
    let Some(p) = request.producer else { return Ok(BatchProducer::NONE) };
    if request.partition.is_none() {
        return Err(Error::invalid("partition", "an idempotent produce (producer_id set) must name its partition"));
    }
    if request.acks != Acks::All {
        return Err(Error::invalid("acks", "an idempotent produce (producer_id set) must use ACKS_ALL"));
    }
    if p.producer_id < 0 || p.epoch < 0 || p.base_sequence < 0 {
        let reason = format!(
            "producer_id {}, producer_epoch {} and base_sequence {} must not be negative",
            p.producer_id, p.epoch, p.base_sequence
        );
        return Err(Error::invalid("producer_id", reason));
    }
    Ok(BatchProducer { id: p.producer_id, epoch: p.epoch, base_sequence: p.base_sequence })
}

fn encode_partition_batch(
    records: &[super::ProduceRecord],
    indices: &[usize],
    now_ms: i64,
    producer: BatchProducer,
    codec: Codec,
) -> Result<Vec<u8>> {
    let headers: Vec<Vec<(&str, &[u8])>> =
        indices.iter().map(|&i| records[i].headers.iter().map(|(k, v)| (k.as_str(), v.as_ref())).collect()).collect();
    let new_records: Vec<NewRecord<'_>> = indices
        .iter()
        .zip(&headers)
        .map(|(&i, headers)| {
            let r = &records[i];
            NewRecord {
                key: r.key.as_deref(),
                value: &r.value,
                headers,
                timestamp_ms: if r.timestamp_ms == 0 { now_ms } else { r.timestamp_ms },
            }
        })
        .collect();
    encode_compressed_batch(&new_records, producer, codec).map_err(|e| {
        tracing::error!(error = %e, ?codec, "compressing a batch failed");
        Error::WriteFailed
    })
}

pub(super) fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}
