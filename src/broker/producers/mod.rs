//! Idempotent producers (Kafka's KIP-98): a retried produce is appended exactly once.
//!
//! InitProducerId issues a producer id (a named producer gets its id back with the epoch
//! bumped, fencing older instances). Each idempotent batch carries id, epoch and the sequence
//! of its first record in the RecordBatch header; per producer and partition the broker keeps
//! the last five batches' sequences and offsets. Apply (`apply::stage`, on every replica in a
//! cluster) checks each batch against them in log order: the next sequence is appended, a repeat of a remembered batch is
//! answered with its original offsets, anything else is refused. The state is written to
//! `meta` in the same write as the batch, so after a crash it is exactly as durable as the
//! records, and it is loaded at open from `meta` alone (no partition log is read).
//!
//! Retention never drops producer state: a producer is forgotten only after
//! `--producer-id-expiry` without use, or (least recently used first) when the state outgrows
//! `--max-producer-state`.
mod persist;
mod table;
#[cfg(test)]
mod table_tests;
mod window;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::oneshot;

pub use persist::{recover, stage_writes};
pub use table::{Identity, ProducerTable, StateKey};
pub use window::Verdict;

use super::Broker;
use super::apply::Op;
use super::commit_loop::{Job, Reply};
use super::partition::PartitionState;
use super::produce::now_ms;
use crate::error::{Error, Result};
use crate::metrics as m;
use crate::storage::batch::BatchHeader;
use table::Rejection;

/// How long producer state is kept, and how much memory it may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProducerLimits {
    /// A producer id unused (no InitProducerId, no append) this long is forgotten.
    pub expiry: Duration,
    /// Estimated bytes of producer state held in memory at most.
    pub max_bytes: usize,
}

impl Default for ProducerLimits {
    fn default() -> Self {
        // Kafka's producer.id.expiration.ms is one day.
        ProducerLimits { expiry: Duration::from_secs(86_400), max_bytes: 64 << 20 }
    }
}

/// The longest producer name accepted.
pub const MAX_NAME_BYTES: usize = 255;

/// An idempotent batch: whose state it checks and updates, and its sequences.
pub(super) struct Sequenced {
    pub key: StateKey,
    pub epoch: i16,
    pub first: i32,
    pub count: i32,
}

/// Checks a batch for partition `p` against its producer's window; `None` if the batch is
/// not idempotent. A refusal is counted and becomes the request's error.
pub(super) fn check(
    table: &ProducerTable,
    p: &PartitionState,
    header: &BatchHeader,
) -> Result<Option<(Sequenced, Verdict)>> {
    if header.producer_id < 0 {
        return Ok(None);
    }
    let key = StateKey { topic_id: p.topic_id, partition: p.partition, producer_id: header.producer_id };
    let (epoch, first, count) = (header.producer_epoch, header.base_sequence, header.last_offset_delta + 1);
    let count_for_topic =
        |counter: &'static str| metrics::counter!(counter, "topic" => p.topic.to_string()).increment(1);
    match table.check(key, epoch, first, count) {
        Ok(verdict) => {
            if matches!(verdict, Verdict::Duplicate { .. }) {
                count_for_topic(m::PRODUCER_DUPLICATES);
            }
            Ok(Some((Sequenced { key, epoch, first, count }, verdict)))
        }
        Err(rejection) => {
            let (counter, error) = refused(p, header, rejection);
            count_for_topic(counter);
            Err(error)
        }
    }
}

/// Stages an InitProducerId (see [`ProducerTable::init`]); a renewing instance that was fenced
/// is told so.
pub(super) fn init(
    table: &mut ProducerTable,
    name: Option<&str>,
    renewing: Option<Identity>,
    now_ms: i64,
) -> Result<Identity> {
    table.init(name, renewing, now_ms).map_err(|rejection| {
        let (producer_id, epoch) = renewing.map_or((-1, -1), |r| (r.id, r.epoch));
        match rejection {
            Rejection::FutureEpoch { current } => Error::InvalidProducerEpoch { producer_id, epoch, current },
            Rejection::Fenced { current } => Error::ProducerFenced { producer_id, epoch, current },
            Rejection::UnknownId | Rejection::OutOfOrder { .. } => Error::UnknownProducerId { producer_id },
        }
    })
}

/// The counter and the client's error for a refused batch.
fn refused(p: &PartitionState, header: &BatchHeader, rejection: Rejection) -> (&'static str, Error) {
    let (producer_id, epoch) = (header.producer_id, header.producer_epoch);
    match rejection {
        Rejection::UnknownId => (m::PRODUCER_UNKNOWN_IDS, Error::UnknownProducerId { producer_id }),
        Rejection::Fenced { current } => (m::PRODUCER_FENCED, Error::ProducerFenced { producer_id, epoch, current }),
        Rejection::FutureEpoch { current } => {
            (m::PRODUCER_FENCED, Error::InvalidProducerEpoch { producer_id, epoch, current })
        }
        Rejection::OutOfOrder { expected } => (
            m::PRODUCER_OUT_OF_ORDER,
            Error::OutOfOrderSequence {
                topic: p.topic.to_string(),
                partition: p.partition,
                producer_id,
                epoch,
                expected,
                got: header.base_sequence,
            },
        ),
    }
}

/// Stages the forgetting of expired (and, over the memory limit, least recently used) ids.
pub(super) fn expire(table: &mut ProducerTable, limits: &ProducerLimits, now_ms: i64) {
    let expiry_ms = i64::try_from(limits.expiry.as_millis()).unwrap_or(i64::MAX);
    let dropped = table.expire(now_ms, expiry_ms, limits.max_bytes);
    if !dropped.evicted.is_empty() {
        tracing::warn!(
            evicted = dropped.evicted.len(),
            limit = limits.max_bytes,
            "producer state over --max-producer-state: forgot the least recently used producers"
        );
    }
    metrics::counter!(m::PRODUCER_IDS_EXPIRED).increment(dropped.expired.len() as u64);
    metrics::counter!(m::PRODUCER_IDS_EVICTED).increment(dropped.evicted.len() as u64);
}

/// The group's write succeeded: its producer changes take effect.
pub(super) fn commit(table: &mut ProducerTable, published: &mut Published) {
    if table.has_pending() {
        table.commit();
        published.update(table);
    }
}

/// One table's share of the producer-state gauges: a cluster member has one table per shard,
/// and the gauges show the sum of its tables' last sizes.
#[derive(Debug)]
pub struct Published {
    table: u64,
}

/// Each live table's last published (ids, states, bytes), by table.
static SIZES: Mutex<BTreeMap<u64, (usize, usize, usize)>> = Mutex::new(BTreeMap::new());
static NEXT_TABLE: AtomicU64 = AtomicU64::new(0);

impl Default for Published {
    fn default() -> Self {
        Published { table: NEXT_TABLE.fetch_add(1, Ordering::Relaxed) }
    }
}

impl Published {
    /// Records this table's size and sets the gauges to the sum.
    fn update(&mut self, table: &ProducerTable) {
        let mut sizes = SIZES.lock().unwrap_or_else(|p| p.into_inner());
        sizes.insert(self.table, table.size());
        let (ids, states, bytes) =
            sizes.values().fold((0, 0, 0), |(i, s, b), (ids, states, bytes)| (i + ids, s + states, b + bytes));
        metrics::gauge!(m::PRODUCER_IDS).set(ids as f64);
        metrics::gauge!(m::PRODUCER_STATES).set(states as f64);
        metrics::gauge!(m::PRODUCER_STATE_BYTES).set(bytes as f64);
    }
}

impl Drop for Published {
    fn drop(&mut self) {
        SIZES.lock().unwrap_or_else(|p| p.into_inner()).remove(&self.table);
    }
}

impl Broker {
    /// Issues a producer id, or bumps a named producer's epoch; durable before it returns.
    pub async fn init_producer_id(&self, name: Option<String>, renewing: Option<Identity>) -> Result<Identity> {
        self.ensure_open()?;
        if let Some(name) = name.as_ref().filter(|n| n.is_empty() || n.len() > MAX_NAME_BYTES) {
            let reason = format!("{} bytes; use 1-{MAX_NAME_BYTES}, or leave it unset", name.len());
            return Err(Error::invalid("producer_name", reason));
        }
        let (reply, answer) = oneshot::channel();
        if let Some(instance) = renewing.filter(|i| i.id < 0 || i.epoch < 0) {
            let reason =
                format!("producer_id {} and producer_epoch {} must not be negative", instance.id, instance.epoch);
            return Err(Error::invalid("producer_id", reason));
        }
        let job = Job::new(Op::InitProducer { name, renewing, now_ms: now_ms() }, true, Reply::Producer(reply));
        self.jobs.send(job).await.map_err(|_| Error::ShuttingDown)?;
        answer.await.map_err(|_| Error::ShuttingDown)?
    }
}

/// Forgets idle producers every tenth of `--producer-id-expiry` (at most every minute), so an
/// id is forgotten at most 10% late.
pub(super) fn spawn_expiry(broker: Arc<Broker>) {
    let period = (broker.config.producers.expiry / 10).clamp(Duration::from_millis(100), Duration::from_secs(60));
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(period);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            tokio::select! {
                _ = ticks.tick() => {}
                _ = broker.shutdown_signal() => return,
            }
            // Each shard's leader expires its producers, for every replica at once.
            for shard in (0..broker.shards().count()).filter(|shard| broker.leads(*shard)) {
                let expire = Job::new(Op::ExpireProducers { now_ms: now_ms() }, false, Reply::Nobody);
                if broker.jobs.send_to(shard, expire).await.is_err() {
                    return;
                }
            }
        }
    });
}

pub use crate::records::sequence::sequence_after;
