//! Publishes the broker's state as gauges every few seconds: partition offsets and sizes,
//! consumer-group offsets and lag, RocksDB internals, uptime. Series of deleted topics and
//! groups stop being refreshed, and the exporter's idle timeout removes them.
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::Broker;
use crate::metrics as m;
use crate::storage::RocksStats;

/// Refreshes the gauges every `period` until shutdown.
pub fn spawn(broker: Arc<Broker>, period: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let started = Instant::now();
        let mut ticks = tokio::time::interval(period);
        loop {
            tokio::select! {
                _ = broker.shutdown.cancelled() => return,
                _ = ticks.tick() => {}
            }
            metrics::gauge!(m::UPTIME).set(started.elapsed().as_secs_f64());
            broker.publish_partitions();
            if let Err(e) = broker.publish_groups().await {
                tracing::warn!(error = %e, "refreshing group metrics failed");
            }
            match broker.storage_stats().await {
                Ok(s) => {
                    metrics::gauge!(m::ROCKSDB_MEMTABLE).set(s.memtable_bytes as f64);
                    metrics::gauge!(m::ROCKSDB_SST).set(s.sst_bytes as f64);
                    metrics::gauge!(m::ROCKSDB_PENDING_COMPACTION).set(s.pending_compaction_bytes as f64);
                    metrics::gauge!(m::ROCKSDB_WRITE_STOPPED).set(f64::from(u8::from(s.write_stopped)));
                    metrics::gauge!(m::ROCKSDB_DELAYED_WRITE_RATE).set(s.delayed_write_rate as f64);
                }
                Err(e) => tracing::warn!(error = %e, "reading RocksDB statistics failed"),
            }
        }
    })
}

impl Broker {
    /// RocksDB's memtable, SST, compaction and stall figures, summed over every family.
    pub async fn storage_stats(&self) -> crate::Result<RocksStats> {
        self.blocking(|store| store.rocks_stats()).await.map_err(super::storage_errors::internal)
    }

    fn publish_partitions(&self) {
        // Touching event counters keeps every topic's series present (at 0 until something
        // happens) and refreshed, so dashboards show a line instead of "no data".
        metrics::gauge!(m::CONNECTIONS).increment(0.0);
        metrics::gauge!(m::SUBSCRIPTIONS).increment(0.0);
        let topics = self.topics_snapshot();
        // Each shard's leader counts the partitions of its shard while a replica lags.
        let status = self.cluster_status();
        let short = |shard: u64| {
            let placement = status.placement(shard);
            placement.leader == Some(self.identity.node_id) && placement.in_sync.len() < placement.replicas.len()
        };
        let shards = self.shards();
        let under_replicated = topics
            .iter()
            .flat_map(|t| (0..t.meta.partitions).map(move |p| shards.of_partition(t.meta.id, p)))
            .filter(|shard| short(*shard))
            .count();
        metrics::gauge!(m::UNDER_REPLICATED).set(under_replicated as f64);
        // Partitions without a copy here have their series on the brokers that keep one.
        let kept_shards: Vec<bool> = (0..shards.count()).map(|shard| self.keeps_shard(shard)).collect();
        for topic in topics {
            let label = [("topic", topic.name().to_string())];
            for counter in [
                m::PRODUCED_RECORDS,
                m::PRODUCED_BYTES,
                m::FETCHED_RECORDS,
                m::FETCHED_BYTES,
                m::RETENTION_DELETED_RECORDS,
                m::RETENTION_DELETED_BYTES,
                m::CORRUPT_BATCHES,
            ] {
                metrics::counter!(counter, &label).increment(0);
            }
            let kept =
                |p: u32| kept_shards.get(shards.of_partition(topic.meta.id, p) as usize).copied().unwrap_or(true);
            for p in topic.partitions.iter().filter(|p| kept(p.partition)) {
                let labels = [("topic", topic.name().to_string()), ("partition", p.partition.to_string())];
                metrics::gauge!(m::PARTITION_LOG_START, &labels).set(p.log_start() as f64);
                metrics::gauge!(m::PARTITION_HIGH_WATERMARK, &labels).set(p.high_watermark() as f64);
                metrics::gauge!(m::PARTITION_SIZE, &labels).set(p.size_bytes() as f64);
            }
        }
    }

    async fn publish_groups(&self) -> crate::Result<()> {
        if self.ensure_coordinator().is_err() {
            return Ok(()); // the coordinator publishes them
        }
        for listing in self.list_groups().await? {
            metrics::gauge!(m::GROUP_MEMBERS, "group" => listing.group.clone()).set(listing.members as f64);
            for o in self.describe_group(&listing.group).await?.offsets {
                let labels = [
                    ("group", listing.group.clone()),
                    ("topic", o.topic.clone()),
                    ("partition", o.partition.to_string()),
                ];
                metrics::gauge!(m::GROUP_COMMITTED, &labels).set(o.committed_offset as f64);
                if o.lag >= 0 {
                    metrics::gauge!(m::GROUP_LAG, &labels).set(o.lag as f64);
                }
            }
        }
        Ok(())
    }
}
