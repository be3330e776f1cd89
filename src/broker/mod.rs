//! The broker core: topics and partitions in memory, the commit loop that writes them, and one
//! file per operation (`produce`, `fetch`, `admin`, ...). Independent of gRPC: the `grpc`
//! module converts requests into calls here (as a Kafka-protocol listener will), and the
//! cluster's Raft apply calls the same apply path on every replica.
mod admin;
mod alter;
mod append_batch;
pub(crate) mod apply;
pub(crate) mod catalog;
pub mod classic;
pub(crate) mod commit_log;
pub(crate) mod commit_loop;
mod delete_records;
mod fetch;
mod fetch_batches;
pub mod groups;
mod list_offsets;
mod offsets;
mod partition;
mod produce;
pub mod producers;
mod recovery;
pub mod replica;
pub mod replication;
pub mod retention;
pub mod shards;
mod stats;
mod storage_errors;
mod stream_buffer;
mod topic;
pub(crate) mod topics;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use tokio::sync::{Semaphore, mpsc};
use tokio_util::sync::CancellationToken;

pub use admin::{PartitionInfo, TopicConfig, TopicInfo, validate_topic_name};
pub use alter::{ConfigSource, Effective, EffectiveConfig};
pub use commit_log::{ApplyResults, CommitLogTap};
pub use fetch::{FetchRequest, FetchResponse};
pub use fetch_batches::{FetchedBatches, ManyFetch, PartitionFetch};

/// Limits on fetch sizes and waits.
pub mod fetch_limits {
    pub use super::fetch::{DEFAULT_MAX_BYTES, MAX_FETCH_BYTES, MAX_WAIT};
}
pub use list_offsets::OffsetSpec;
pub use offsets::{CommittedOffset, OffsetCommit};
pub use partition::PartitionState;
pub use produce::{Acks, PartitionResult, ProduceRecord, ProduceRequest, ProducerSequence, Queued};
pub use producers::Identity as ProducerIdentity;
pub use recovery::reload_shard;
pub use replication::{BrokerStatus, ClusterStatus, FollowerStatus, Placement, ShardStatus};
pub use topic::Topic;

use crate::config::{BrokerConfig, FsyncPolicy};
use crate::error::{Error, Result};
use crate::proto::meta::DataDirIdentity;
use crate::storage::{StorageError, Store, housekeeping};
pub use apply::Applier;
use commit_log::{CommitLog, LocalLog};
use commit_loop::Queues;
use replication::Replication;
use shards::Shards;
use topics::Topics;

/// Produce bytes are budgeted in KiB permits (a semaphore counts at most u32::MAX permits).
const PERMIT_BYTES: usize = 1024;

pub struct Broker {
    config: BrokerConfig,
    /// Whose data dir this is: format version, node id, cluster id.
    identity: DataDirIdentity,
    /// The replicated log this broker is a member of; `None` alone.
    replication: Option<Arc<dyn replication::Replication>>,
    store: Arc<Store>,
    topics: Arc<Topics>,
    /// Consumer-group membership.
    groups: groups::Coordinator,
    /// Kafka clients' classic groups (client-side assignment).
    classic: classic::ClassicGroups,
    /// Serialises topic creation and deletion.
    admin: tokio::sync::Mutex<()>,
    /// The commit loops' queues, one per shard.
    jobs: Queues,
    inflight: Arc<Semaphore>,
    stream_buffer: stream_buffer::StreamBuffer,
    closing: AtomicBool,
    /// Cancelled when shutdown begins: ends long-polls and subscriptions.
    shutdown: CancellationToken,
    threads: Mutex<Vec<JoinHandle<()>>>,
}

impl Broker {
    /// Opens the data dir, recovers every topic and starts the commit loop.
    pub fn open(config: BrokerConfig) -> anyhow::Result<Arc<Broker>> {
        let (fsync, tap) = (config.fsync, config.commit_log_tap.clone());
        Self::open_with(config, move |appliers, _| {
            let applier = appliers.for_shard(Shards::default(), shards::META_SHARD)?;
            Ok((vec![Box::new(LocalLog { applier, fsync, tap }) as Box<dyn CommitLog>], None))
        })
    }

    /// Opens the data dir and recovers every topic, then starts a commit loop on each log
    /// `make_log` builds from the appliers (a single broker's local log, or one per Raft
    /// group, in shard order).
    pub fn open_with(
        config: BrokerConfig,
        make_log: impl FnOnce(
            &Appliers,
            &DataDirIdentity,
        ) -> anyhow::Result<(Vec<Box<dyn CommitLog>>, Option<Arc<dyn Replication>>)>,
    ) -> anyhow::Result<Arc<Broker>> {
        config.validate().map_err(anyhow::Error::msg)?;
        std::fs::create_dir_all(&config.data_dir)?;
        let started = std::time::Instant::now();
        let store = Store::open(&config.data_dir, &config.store)?;
        let identity = store.claim_identity(config.node_id)?;
        let opened = started.elapsed();
        let (topics, free_slots) = recovery::recover_topics(&store)?;
        let recovered = started.elapsed() - opened;
        let topics = Arc::new(topics);
        let appliers = Appliers { store: store.clone(), topics: topics.clone(), limits: config.producers };
        let (logs, replication) = make_log(&appliers, &identity)?;
        let shards = replication.as_ref().map(|r| r.shards()).unwrap_or_default();
        anyhow::ensure!(
            logs.len() as u64 == shards.count(),
            "{} commit logs for {} shards",
            logs.len(),
            shards.count()
        );
        let mut threads = Vec::new();
        let mut senders = Vec::new();
        for log in logs {
            let (tx, rx) = mpsc::channel(4096);
            threads.push(commit_loop::spawn(log, rx)?);
            senders.push(tx);
        }
        let shutdown = CancellationToken::new();
        let wal_sync_period = match config.fsync {
            FsyncPolicy::Interval(period) => Some(period),
            FsyncPolicy::Always | FsyncPolicy::Never => None,
        };
        threads.extend(housekeeping::start(&store, wal_sync_period, free_slots, &shutdown)?);
        let permits = (config.max_inflight_bytes / PERMIT_BYTES).max(1);
        tracing::info!(
            data_dir = %config.data_dir.display(),
            node_id = identity.node_id,
            cluster_id = %identity.cluster_id,
            topics = topics.snapshot().len(),
            shards = shards.count(),
            rocksdb_open_ms = opened.as_millis() as u64,
            recovery_ms = recovered.as_millis() as u64,
            "broker opened"
        );
        Ok(Arc::new(Broker {
            store,
            identity,
            replication,
            topics,
            admin: tokio::sync::Mutex::new(()),
            groups: groups::Coordinator::default(),
            classic: classic::ClassicGroups::default(),
            jobs: Queues::new(shards, senders),
            inflight: Arc::new(Semaphore::new(permits)),
            stream_buffer: stream_buffer::StreamBuffer::new(config.max_stream_buffer_bytes),
            closing: AtomicBool::new(false),
            shutdown,
            threads: Mutex::new(threads),
            config,
        }))
    }

    pub fn config(&self) -> &BrokerConfig {
        &self.config
    }

    pub fn identity(&self) -> &DataDirIdentity {
        &self.identity
    }

    /// The data dir's store, for what a cluster member records beside the broker's own state.
    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    /// The topic named `name`.
    pub fn topic(&self, name: &str) -> Result<Arc<Topic>> {
        self.topics.by_name(name).ok_or_else(|| Error::TopicNotFound(name.to_string()))
    }

    /// Every topic, at this moment.
    pub fn topics_snapshot(&self) -> Vec<Arc<Topic>> {
        self.topics.snapshot()
    }

    /// Starts the background work that needs the async runtime (retention, group sessions).
    pub fn start_background(self: &Arc<Self>) {
        if let Some(mut events) = self.replication.as_ref().and_then(|r| r.take_catalog_events()) {
            let broker = self.clone();
            tokio::spawn(async move {
                while let Some(applied) = events.recv().await {
                    broker.after_catalog(&applied);
                }
            });
        }
        retention::spawn(self.clone());
        groups::spawn_session_sweeper(self.clone());
        producers::spawn_expiry(self.clone());
        if let Some(period) = self.config.stats_interval {
            stats::spawn(self.clone(), period);
        }
    }

    /// A partition this broker leads: reads and writes go to the leader. One it does not know
    /// is answered by the metadata shard's leader (this broker may not have applied the topic
    /// yet: its client then asks the broker that decides).
    pub(crate) fn led_partition(&self, topic: &str, partition: u32) -> Result<(Arc<Topic>, Arc<PartitionState>)> {
        match self.partition(topic, partition) {
            Ok((topic, state)) => {
                self.ensure_partition_leader(topic.meta.id, partition)?;
                Ok((topic, state))
            }
            Err(unknown) => {
                self.ensure_meta_leader()?;
                Err(unknown)
            }
        }
    }

    /// The topic and one of its partitions.
    pub fn partition(&self, topic: &str, partition: u32) -> Result<(Arc<Topic>, Arc<PartitionState>)> {
        let topic = self.topic(topic)?;
        let state = topic.partition(partition)?.clone();
        Ok((topic, state))
    }

    fn ensure_open(&self) -> Result<()> {
        if self.closing.load(Ordering::Acquire) { Err(Error::ShuttingDown) } else { Ok(()) }
    }

    /// A future that completes when shutdown begins.
    pub fn shutdown_signal(&self) -> tokio_util::sync::WaitForCancellationFuture<'_> {
        self.shutdown.cancelled()
    }

    /// Refuses new work and wakes every long-poll and subscription so they can finish.
    pub fn begin_shutdown(&self) {
        self.closing.store(true, Ordering::Release);
        self.shutdown.cancel();
    }

    /// Writes what is still queued, syncs the WAL and stops the background threads. Call after
    /// the server stopped taking requests; RocksDB closes when the last `Arc<Broker>` drops.
    pub async fn close(&self) {
        self.begin_shutdown();
        // If the queue is already closed the loop has stopped; nothing to wait for.
        let _ = self.jobs.stop().await;
        let threads = std::mem::take(&mut *self.threads.lock().unwrap_or_else(|p| p.into_inner()));
        let joined = tokio::task::spawn_blocking(move || {
            for thread in threads {
                if thread.join().is_err() {
                    tracing::error!("a broker thread panicked during shutdown");
                }
            }
        });
        if joined.await.is_err() {
            tracing::error!("joining broker threads failed");
        }
    }

    /// Compacts a deleted topic's slots in the background, then frees them.
    fn reclaim_in_background(&self, slots: Vec<u32>) {
        let started = housekeeping::reclaim(self.store.clone(), slots, true, self.shutdown.clone());
        self.track_thread(started, "reclaiming a deleted topic's space; it happens at the next start");
    }

    /// Creates spare partition families in the background, after a topic took some.
    fn top_up_in_background(&self) {
        self.track_thread(housekeeping::top_up(self.store.clone()), "creating spare partition families");
    }

    fn track_thread(&self, started: std::io::Result<JoinHandle<()>>, what: &str) {
        let mut threads = self.threads.lock().unwrap_or_else(|p| p.into_inner());
        threads.retain(|thread| !thread.is_finished() || thread.thread().name() == Some(commit_loop::THREAD_NAME));
        match started {
            Ok(thread) => threads.push(thread),
            Err(e) => tracing::error!(error = %e, "cannot start a thread for {what}"),
        }
    }

    /// Runs blocking storage work off the async runtime's workers.
    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Store) -> std::result::Result<T, StorageError> + Send + 'static,
    ) -> Result<T, StorageError> {
        let store = self.store.clone();
        match tokio::task::spawn_blocking(move || work(&store)).await {
            Ok(result) => result,
            Err(join) => std::panic::resume_unwind(join.into_panic()),
        }
    }
}

/// Builds each shard's applier from what the broker recovered.
pub struct Appliers {
    store: Arc<Store>,
    topics: Arc<Topics>,
    limits: producers::ProducerLimits,
}

impl Appliers {
    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    /// The applier of `shard`, with the producer state of the partitions it carries (and, for
    /// the metadata shard, the issued producer ids).
    pub fn for_shard(&self, shards: Shards, shard: u64) -> anyhow::Result<Applier> {
        let started = std::time::Instant::now();
        let producers = recovery::recover_producers(&self.store, &self.topics, shards, shard)?;
        tracing::debug!(shard, ms = started.elapsed().as_millis() as u64, "producer state recovered");
        Ok(Applier {
            store: self.store.clone(),
            topics: self.topics.clone(),
            producers,
            producer_limits: self.limits,
            leader_epoch: 0,
            published: Default::default(),
        })
    }
}
