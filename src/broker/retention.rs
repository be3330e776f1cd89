//! Retention: delete whole batches, oldest first, once they are older than the topic's
//! retention time (by the batch's newest timestamp) or while the partition is over its size
//! limit; then compact the deleted range so the disk space really returns.
use std::sync::Arc;
use std::time::Instant;

use tokio::sync::oneshot;

use super::apply::Op;
use super::commit_loop::{Job, Reply, Truncated};
use super::partition::PartitionState;
use super::produce::now_ms;
use super::{Broker, storage_errors};
use crate::error::{Error, Result};
use crate::storage::BatchExtent;

pub const DELETED_RECORDS: &str = "strata_retention_deleted_records_total";
pub const DELETED_BYTES: &str = "strata_retention_deleted_bytes_total";
pub const LAST_RUN_SECONDS: &str = "strata_retention_last_run_duration_seconds";

/// The limits retention enforces on one partition; -1 = unlimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetentionLimits {
    pub ms: i64,
    pub bytes: i64,
}

/// What one retention pass deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RetentionReport {
    pub partitions: usize,
    pub records: i64,
    pub bytes: u64,
}

impl Broker {
    /// One pass over every partition of every topic, as if the time were `now_ms`.
    pub async fn enforce_retention(&self, now_ms: i64) -> Result<RetentionReport> {
        let started = Instant::now();
        let mut report = RetentionReport::default();
        for topic in self.topics_snapshot() {
            let limits = self.effective_config(&topic.meta).limits();
            for state in &topic.partitions {
                if self.ensure_partition_leader(topic.meta.id, state.partition).is_err() {
                    // Its leader decides what expires; the truncations reach every replica in order.
                    continue;
                }
                let done = match self.expire(state, limits, now_ms).await {
                    Ok(done) => done,
                    Err(Error::TopicNotFound(_)) => break, // deleted meanwhile
                    Err(Error::ShuttingDown) => return Err(Error::ShuttingDown),
                    Err(e) => {
                        // One bad partition must not stop retention for all the others.
                        tracing::error!(topic = topic.name(), partition = state.partition, error = %e, "retention failed");
                        continue;
                    }
                };
                if done.records > 0 {
                    report.partitions += 1;
                    report.records += done.records;
                    report.bytes += done.bytes;
                    let labels = [("topic", topic.name().to_string())];
                    metrics::counter!(DELETED_RECORDS, &labels).increment(done.records as u64);
                    metrics::counter!(DELETED_BYTES, &labels).increment(done.bytes);
                }
            }
        }
        metrics::gauge!(LAST_RUN_SECONDS).set(started.elapsed().as_secs_f64());
        Ok(report)
    }

    /// Deletes the partition's leading batches that break `limits`.
    async fn expire(&self, state: &Arc<PartitionState>, limits: RetentionLimits, now: i64) -> Result<Truncated> {
        let cutoff = if limits.ms >= 0 { now.saturating_sub(limits.ms) } else { i64::MIN };
        let mut excess = if limits.bytes >= 0 { state.size_bytes() as i64 - limits.bytes } else { 0 };
        let expired = self
            .leading_batches(state, move |b| {
                let delete = b.max_timestamp < cutoff || excess > 0;
                if delete {
                    excess -= b.bytes as i64;
                }
                delete
            })
            .await?;
        let Some(last) = expired.last() else { return Ok(Truncated::default()) };
        let log_start = last.next_offset;
        self.truncate(state, log_start, log_start, expired).await
    }

    /// The partition's oldest batches, for as long as `take` accepts them.
    pub(super) async fn leading_batches(
        &self,
        state: &Arc<PartitionState>,
        take: impl FnMut(&BatchExtent) -> bool + Send + 'static,
    ) -> Result<Vec<BatchExtent>> {
        let (topic_id, partition, bounds) = (state.topic_id, state.partition, state.read_bounds());
        self.blocking(move |store| store.leading_batches(topic_id, partition, bounds, take))
            .await
            .map_err(|e| storage_errors::in_partition(&state.topic, partition, e))
    }

    /// Moves the log start to `log_start`, deleting `batches` (all below `first_batch`) in the
    /// same atomic write, then compacts the deleted range.
    pub(super) async fn truncate(
        &self,
        state: &Arc<PartitionState>,
        log_start: i64,
        first_batch: i64,
        batches: Vec<BatchExtent>,
    ) -> Result<Truncated> {
        let (reply, done) = oneshot::channel();
        let op = Op::Truncate {
            topic: state.topic.to_string(),
            topic_id: state.topic_id,
            partition: state.partition,
            log_start,
            first_batch,
            batches,
        };
        let job = Job::new(op, true, Reply::Truncated(reply));
        self.jobs.send(job).await.map_err(|_| Error::ShuttingDown)?;
        let truncated = done.await.map_err(|_| Error::ShuttingDown)??;
        if truncated.to > truncated.from {
            let (topic_id, partition) = (state.topic_id, state.partition);
            let (from, to) = (truncated.from, truncated.to);
            let compacted =
                self.blocking(move |store| store.compact_partition_range(topic_id, partition, from, to)).await;
            if let Err(e) = compacted {
                // The records are deleted either way; only the disk space waits for RocksDB.
                tracing::warn!(topic_id, partition, error = %e, "compacting a deleted range failed");
            }
        }
        Ok(truncated)
    }
}

/// Runs retention every `--retention-check-interval` until shutdown.
pub fn spawn(broker: Arc<Broker>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(broker.config.retention_check_interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = broker.shutdown.cancelled() => return,
                _ = ticks.tick() => {}
            }
            match broker.enforce_retention(now_ms()).await {
                Ok(report) if report.records > 0 => {
                    tracing::info!(
                        records = report.records,
                        bytes = report.bytes,
                        partitions = report.partitions,
                        "retention deleted records"
                    );
                }
                Ok(_) => {}
                Err(Error::ShuttingDown) => return,
                Err(e) => tracing::error!(error = %e, "retention pass failed"),
            }
        }
    })
}

impl Broker {
    /// Writes a topic's memtables (and the metadata's) to SST files, so on-disk sizes are
    /// current and the WAL behind them can be dropped.
    pub async fn flush_topic(&self, name: &str) -> Result<()> {
        let topic = self.topic(name)?;
        let topic_id = topic.meta.id;
        let partitions = topic.meta.partitions;
        self.blocking(move |store| {
            (0..partitions).try_for_each(|p| store.flush_partition(topic_id, p))?;
            store.flush_metadata()
        })
        .await
        .map_err(|e| storage_errors::in_partition(name, 0, e))
    }

    /// Bytes of a partition's SST files on disk.
    pub async fn partition_sst_bytes(&self, name: &str, partition: u32) -> Result<u64> {
        let (_, state) = self.partition(name, partition)?;
        let topic_id = state.topic_id;
        self.blocking(move |store| store.partition_sst_bytes(topic_id, partition))
            .await
            .map_err(|e| storage_errors::in_partition(name, partition, e))
    }
}
