//! Produce: validate, route records to partitions, encode one batch per partition, queue the
//! batches for the commit loop as one job (so a request is written atomically) and wait as the
//! acks level says.
use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use tokio::sync::oneshot;

use super::Broker;
use super::PERMIT_BYTES;
use super::commit_loop::{Job, PartitionAppend};
use super::partitioner::partition_for_key;
use super::topic::Topic;
use crate::error::{Error, Result};
use crate::metrics as m;
use crate::storage::batch::{NewRecord, encode_batch};

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
}

/// Where one partition's share of a request landed: offsets `base_offset..base_offset+count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartitionResult {
    pub partition: u32,
    pub base_offset: i64,
    pub record_count: u32,
}

impl Broker {
    /// Appends the records; returns, per partition touched, the offsets they got (nothing for
    /// acks NONE). A rejected request appends nothing.
    pub async fn produce(&self, request: ProduceRequest) -> Result<Vec<PartitionResult>> {
        self.ensure_open()?;
        let total_bytes = self.validate_records(&request.records)?;
        let topic = self.topic(&request.topic)?;
        if let Some(p) = request.partition {
            topic.partition(p)?;
        }
        let routed = route(&topic, request.partition, request.records.len(), |i| request.records[i].key.as_deref());
        let now = now_ms();
        let mut appends = Vec::with_capacity(routed.len());
        let mut results = Vec::with_capacity(routed.len());
        for (partition, indices) in routed {
            let batch = encode_partition_batch(&request.records, &indices, now);
            appends.push(PartitionAppend { partition: topic.partition(partition)?.clone(), batch });
            results.push(PartitionResult { partition, base_offset: -1, record_count: indices.len() as u32 });
        }
        let base_offsets = self.submit(appends, request.acks, total_bytes).await?;
        let topic_label = [("topic", topic.name().to_string())];
        metrics::counter!(m::PRODUCED_RECORDS, &topic_label).increment(request.records.len() as u64);
        metrics::counter!(m::PRODUCED_BYTES, &topic_label).increment(total_bytes as u64);
        for (result, base) in results.iter_mut().zip(base_offsets) {
            result.base_offset = base;
        }
        Ok(if request.acks == Acks::None { Vec::new() } else { results })
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

    /// Queues the batches and waits for the commit loop as `acks` says.
    async fn submit(&self, appends: Vec<PartitionAppend>, acks: Acks, bytes: usize) -> Result<Vec<i64>> {
        let permits = bytes.div_ceil(PERMIT_BYTES).max(1) as u32;
        let wait = self.config.enqueue_timeout;
        let permit = tokio::time::timeout(wait, self.inflight.clone().acquire_many_owned(permits))
            .await
            .map_err(|_| Error::Overloaded(format!("produce queue stayed full for {wait:?}")))?
            .map_err(|_| Error::ShuttingDown)?;
        let (reply, answer) = oneshot::channel();
        let count = appends.len();
        let reply = (acks != Acks::None).then_some(reply);
        let job = Job::Append { appends, durable: acks == Acks::All, reply, _permit: permit };
        tokio::time::timeout(wait, self.jobs.send(job))
            .await
            .map_err(|_| Error::Overloaded(format!("commit queue stayed full for {wait:?}")))?
            .map_err(|_| Error::ShuttingDown)?;
        if acks == Acks::None {
            return Ok(vec![-1; count]);
        }
        answer.await.map_err(|_| Error::ShuttingDown)?
    }
}

/// Groups record indices by partition, keeping each partition's records in request order:
/// the given partition; else murmur2 of the key; unkeyed records all go to one sticky partition.
fn route<'a>(
    topic: &Topic,
    explicit: Option<u32>,
    count: usize,
    key_of: impl Fn(usize) -> Option<&'a [u8]>,
) -> BTreeMap<u32, Vec<usize>> {
    let mut routed: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
    let mut sticky = None;
    for i in 0..count {
        let partition = match (explicit, key_of(i)) {
            (Some(p), _) => p,
            (None, Some(key)) => partition_for_key(key, topic.meta.partitions),
            (None, None) => *sticky.get_or_insert_with(|| topic.sticky_partition()),
        };
        routed.entry(partition).or_default().push(i);
    }
    routed
}

fn encode_partition_batch(records: &[super::ProduceRecord], indices: &[usize], now_ms: i64) -> Vec<u8> {
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
    encode_batch(&new_records)
}

pub(super) fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}
