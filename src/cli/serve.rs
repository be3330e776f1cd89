//! `strata serve`: every flag has a `STRATA_*` environment fallback.
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use tokio::net::TcpListener;

use super::logging::{self, LogFormat};
use crate::broker::groups::GroupConfig;
use crate::broker::producers::ProducerLimits;
use crate::config::{
    BrokerConfig, FsyncPolicy, RetentionDefaults, ServerConfig, parse_duration, parse_retention_bytes,
    parse_retention_ms, parse_size,
};
use crate::kafka::Advertised;
use crate::server::{FrontEnds, KafkaListener};
use crate::storage::StoreOptions;

#[path = "serve_cluster.rs"]
mod cluster_flags;

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// gRPC listen address.
    #[arg(long, env = "STRATA_LISTEN", default_value = "127.0.0.1:9392")]
    listen: SocketAddr,
    /// Kafka-protocol listen address, or `none` (default: 127.0.0.1:9092 for a single broker,
    /// none for a cluster member).
    #[arg(long, env = "STRATA_KAFKA_LISTEN", value_parser = parse_kafka_listen)]
    kafka_listen: Option<KafkaListen>,
    /// host:port Kafka clients are told to connect to (default: the address --kafka-listen bound).
    #[arg(long, env = "STRATA_KAFKA_ADVERTISE")]
    kafka_advertise: Option<Advertised>,
    /// This broker's id; a data dir belongs to one node and refuses another. Default: the data
    /// dir's (1 for a new one).
    #[arg(long, env = "STRATA_NODE_ID")]
    node_id: Option<u64>,
    /// Directory holding the RocksDB database.
    #[arg(long, env = "STRATA_DATA_DIR", default_value = "./data")]
    data_dir: PathBuf,
    /// always | interval=<duration> | never. `always`: acks ALL waits for the WAL fsync.
    #[arg(long, env = "STRATA_FSYNC", default_value = "always")]
    fsync: FsyncPolicy,
    /// Largest record (key + value + headers), e.g. 1MiB.
    #[arg(long, env = "STRATA_MAX_RECORD_BYTES", default_value = "1MiB", value_parser = parse_size)]
    max_record_bytes: u64,
    /// Largest total of records in one produce request, e.g. 16MiB.
    #[arg(long, env = "STRATA_MAX_REQUEST_BYTES", default_value = "16MiB", value_parser = parse_size)]
    max_request_bytes: u64,
    /// Partitions of a topic created without a partition count.
    #[arg(long, env = "STRATA_DEFAULT_PARTITIONS", default_value_t = 1)]
    default_partitions: u32,
    /// Create a topic a Kafka client asks Metadata for if it does not exist (with
    /// --default-partitions and the default retention), as Kafka's auto.create.topics.enable.
    #[arg(long, env = "STRATA_AUTO_CREATE_TOPICS")]
    auto_create_topics: bool,
    /// Client connections served at once; further ones are closed on accept.
    #[arg(long, env = "STRATA_MAX_CONNECTIONS", default_value_t = 10_000)]
    max_connections: usize,
    /// Concurrent requests and streams (e.g. Subscribe) per connection.
    #[arg(long, env = "STRATA_MAX_STREAMS_PER_CONNECTION", default_value_t = 1_000)]
    max_streams_per_connection: u32,
    /// Produce bytes queued for writing at most; beyond it producers wait, then get RESOURCE_EXHAUSTED.
    #[arg(long, env = "STRATA_MAX_INFLIGHT_BYTES", default_value = "256MiB", value_parser = parse_size)]
    max_inflight_bytes: u64,
    /// Subscribe response bytes handed to connections and not yet sent, across all streams;
    /// beyond it, streams get smaller responses, then wait (bounds memory held for slow readers).
    #[arg(long, env = "STRATA_MAX_STREAM_BUFFER", default_value = "256MiB", value_parser = parse_size)]
    max_stream_buffer: u64,
    /// RocksDB block cache shared by every partition (memtables are charged to it too).
    #[arg(long, env = "STRATA_BLOCK_CACHE", default_value = "256MiB", value_parser = parse_size)]
    block_cache: u64,
    /// Memtable memory of all partitions together; reaching it flushes them.
    #[arg(long, env = "STRATA_WRITE_BUFFER_TOTAL", default_value = "256MiB", value_parser = parse_size)]
    write_buffer_total: u64,
    /// WAL size at which the oldest unflushed partitions are flushed, so the WAL stays bounded.
    #[arg(long, env = "STRATA_MAX_WAL_SIZE", default_value = "1GiB", value_parser = parse_size)]
    max_wal_size: u64,
    /// Write SST files (flushes, compactions) with O_DIRECT, bypassing the page cache: less CPU
    /// per produced byte; consumers reading older data then read from disk.
    #[arg(long, env = "STRATA_DIRECT_IO")]
    direct_io: bool,
    /// Bytes per second flushes and compactions may write (e.g. 200MiB; default: unlimited).
    /// Smooths flushes for a lower produce latency tail; a sustained load above it stalls writers.
    #[arg(long, env = "STRATA_FLUSH_WRITE_LIMIT", value_parser = parse_size)]
    flush_write_limit: Option<u64>,
    /// Default retention time of topics (e.g. 7d, 12h; `none` keeps records forever).
    #[arg(long, env = "STRATA_RETENTION", default_value = "7d", value_parser = parse_retention_ms)]
    retention: i64,
    /// Default per-partition size limit (e.g. 1GiB; `none` = unlimited).
    #[arg(long, env = "STRATA_RETENTION_BYTES", default_value = "none", value_parser = parse_retention_bytes)]
    retention_bytes: i64,
    /// How often retention limits are enforced.
    #[arg(long, env = "STRATA_RETENTION_CHECK_INTERVAL", default_value = "30s", value_parser = parse_duration)]
    retention_check_interval: Duration,
    /// Shortest consumer-group session timeout a member may ask for.
    #[arg(long, env = "STRATA_GROUP_MIN_SESSION_TIMEOUT", default_value = "6s", value_parser = parse_duration)]
    group_min_session_timeout: Duration,
    /// Longest consumer-group session timeout a member may ask for.
    #[arg(long, env = "STRATA_GROUP_MAX_SESSION_TIMEOUT", default_value = "30m", value_parser = parse_duration)]
    group_max_session_timeout: Duration,
    /// How long an idempotent producer id is kept without use (Kafka's producer.id.expiration.ms);
    /// a producer idle longer must call InitProducerId again.
    #[arg(long, env = "STRATA_PRODUCER_ID_EXPIRY", default_value = "1d", value_parser = parse_duration)]
    producer_id_expiry: Duration,
    /// Memory for idempotent producers' state (~230 bytes per producer and partition written);
    /// beyond it the least recently used producers are forgotten. In a cluster with data shards
    /// it bounds the producer ids; the shards' windows are forgotten by --producer-id-expiry.
    #[arg(long, env = "STRATA_MAX_PRODUCER_STATE", default_value = "64MiB", value_parser = parse_size)]
    max_producer_state: u64,
    /// Prometheus /metrics listen address, or `off`.
    #[arg(long, env = "STRATA_METRICS_LISTEN", default_value = "127.0.0.1:9464", value_parser = parse_metrics_listen)]
    metrics_listen: MetricsListen,
    /// Drop metric series not updated for this long (how deleted topics' series disappear).
    #[arg(long, env = "STRATA_METRICS_IDLE_TIMEOUT", default_value = "2m", value_parser = parse_duration, hide = true)]
    metrics_idle_timeout: Duration,
    /// Cluster: every seed's peer address, this broker's included (identical on every seed).
    /// Seeds with empty data dirs wait for each other and form the cluster. Without it, strata
    /// is a single broker.
    #[arg(long, env = "STRATA_SEEDS", value_delimiter = ',', value_name = "PEER,PEER,...")]
    seeds: Vec<String>,
    /// Cluster: join a running cluster through this member's peer address. With an empty data
    /// dir the broker copies a member's, then becomes a replica, once caught up, of the
    /// metadata shard and the data shards on every broker (all of them unless a replication
    /// factor below the seed count was set); it takes its share of the others from the
    /// balancer.
    /// Keep it on restarts (the seeds are learned from the cluster).
    #[arg(long, env = "STRATA_JOIN", value_name = "PEER")]
    join: Option<String>,
    /// Cluster: the address to listen on for other brokers (Raft's messages).
    #[arg(long, env = "STRATA_PEER_LISTEN")]
    peer_listen: Option<SocketAddr>,
    /// Cluster: host:port other brokers reach this one at (default: the address --peer-listen
    /// bound). Set it when --peer-listen binds 0.0.0.0 or peers dial another address (NAT,
    /// containers); a seed's must be among --seeds.
    #[arg(long, env = "STRATA_PEER_ADVERTISE")]
    peer_advertise: Option<Advertised>,
    /// Cluster: host:port other brokers hand out to clients for this one (default: the address
    /// --listen bound).
    #[arg(long, env = "STRATA_ADVERTISE")]
    advertise: Option<Advertised>,
    /// Cluster: Raft groups (shards) that carry the partitions, besides the one that carries
    /// topics, producer ids and consumer groups; each broker leads about as many. Fixed when the
    /// cluster forms (every seed gives the same); 0: one group carries all. Default: one per seed.
    #[arg(long, env = "STRATA_DATA_SHARDS")]
    data_shards: Option<u64>,
    /// Cluster: brokers that keep a copy of each data shard of the default class, and so of
    /// each partition of topics that ask for no other factor. Fixed when the cluster forms
    /// (every seed gives the same); with more seeds, each broker carries a share of the
    /// partitions. Default: min(3, seeds).
    #[arg(long, env = "STRATA_DEFAULT_REPLICATION_FACTOR")]
    default_replication_factor: Option<u64>,
    /// Cluster: other replication factors a topic may ask for (`topic create -r`), e.g. `1,2`;
    /// each gets --data-shards shards of its own, on that many brokers. Fixed when the cluster
    /// forms (every seed gives the same). Default: none, only --default-replication-factor.
    #[arg(long, env = "STRATA_TOPIC_REPLICATION_FACTORS", value_delimiter = ',')]
    topic_replication_factors: Vec<u64>,
    /// Cluster: how often a leader tells followers it is alive.
    #[arg(long, env = "STRATA_RAFT_HEARTBEAT", default_value = "100ms", value_parser = parse_duration)]
    raft_heartbeat: Duration,
    /// Cluster: followers start an election after a random wait in this range without a leader.
    #[arg(long, env = "STRATA_RAFT_ELECTION_TIMEOUT", default_value = "1s..2s", value_parser = parse_duration_range)]
    raft_election_timeout: (Duration, Duration),
    /// Cluster: a follower that has not caught up with the leader's committed log for this long
    /// leaves the in-sync replicas (Kafka's replica.lag.time.max.ms); also how long a silent
    /// broker still counts as alive.
    #[arg(long, env = "STRATA_REPLICA_LAG_TIME_MAX", default_value = "10s", value_parser = parse_duration)]
    replica_lag_time_max: Duration,
    /// Cluster: entries each shard's Raft log keeps below what every member holds (a member
    /// that is behind holds the trim back itself). A member whose log lost its unsynced end
    /// (power loss under --fsync interval or never) by fewer catches up from the log; a broker
    /// given a copy of a shard later gets the shard's rows instead. Small, so entries are
    /// trimmed before the Raft log's memtable is flushed.
    #[arg(long, env = "STRATA_RAFT_LOG_KEEP_ENTRIES", default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..))]
    raft_log_keep_entries: u64,
    /// Cluster: below this much free space on the data dir's disk, a leader hands leadership to
    /// a follower (a leader that cannot write holds every write of the cluster). Leave room for
    /// the memtables to flush and compactions to run.
    #[arg(long, env = "STRATA_MIN_FREE_DISK", default_value = "1GiB", value_parser = parse_size)]
    min_free_disk: u64,
    /// Log format; filter with RUST_LOG (e.g. RUST_LOG=strata=debug).
    #[arg(long, env = "STRATA_LOG_FORMAT", value_enum, default_value = "text")]
    log_format: LogFormat,
    /// A TOML file of these settings, keyed by flag name (see strata.example.toml); flags and
    /// STRATA_* variables win over it.
    #[arg(long, env = "STRATA_CONFIG", display_order = 0)]
    config: Option<PathBuf>,
}

impl ServeArgs {
    pub fn run(self) -> anyhow::Result<()> {
        logging::init(self.log_format);
        let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
        let metrics = self.metrics_listen;
        let idle = self.metrics_idle_timeout;
        let cluster = self.cluster_flags()?;
        let (kafka_listen, kafka_advertise) = (self.kafka_listen, self.kafka_advertise.clone());
        let mut config = self.into_config()?;
        let served = runtime.block_on(async move {
            if let MetricsListen::On(addr) = metrics {
                crate::metrics::install(addr, idle).with_context(|| format!("cannot serve metrics on {addr}"))?;
                config.broker.stats_interval = Some(Duration::from_secs(2));
                tracing::info!(%addr, "serving Prometheus metrics on /metrics");
            }
            let listener = TcpListener::bind(config.listen)
                .await
                .with_context(|| format!("cannot listen on {} (is another broker running?)", config.listen))?;
            // A single broker serves Kafka clients on Kafka's port unless told otherwise; a cluster
            // member only when given an address (several on one machine cannot share 9092).
            let default = if cluster.is_some() { KafkaListen::Off } else { KafkaListen::On(DEFAULT_KAFKA_LISTEN) };
            let kafka = match kafka_listen.unwrap_or(default) {
                KafkaListen::Off => None,
                KafkaListen::On(addr) => {
                    let bound = TcpListener::bind(addr).await.with_context(|| {
                        format!("cannot listen for Kafka clients on {addr} (--kafka-listen; `none` turns it off)")
                    })?;
                    let advertised = dialable(kafka_advertise, &bound, ("--kafka-listen", "--kafka-advertise"))?;
                    Some(KafkaListener::new(bound, Some(advertised))?)
                }
            };
            let Some(cluster) = cluster else {
                let front_ends = FrontEnds { grpc: listener, kafka };
                return crate::server::run(front_ends, config.broker, shutdown_signal()).await;
            };
            let peer_listener = TcpListener::bind(cluster.peer_listen)
                .await
                .with_context(|| format!("cannot listen for peers on {}", cluster.peer_listen))?;
            let kafka_addr = kafka.as_ref().map(|k| k.advertised.to_string()).unwrap_or_default();
            let cluster = cluster.config(&listener, &peer_listener, kafka_addr)?;
            tracing::info!(peer_addr = %cluster.peer_addr, seeds = ?cluster.seeds, "serving as a cluster member");
            let front_ends = FrontEnds { grpc: listener, kafka };
            crate::cluster::run(front_ends, peer_listener, config.broker, cluster, shutdown_signal()).await
        });
        // Ends the tasks still holding the store (connections cut short at the stop); the last
        // holder may be a thread that closes the database a moment later, which must be done
        // before the process exits (see `storage::wait_until_all_closed`).
        runtime.shutdown_timeout(EXIT_WAIT);
        if !crate::storage::wait_until_all_closed(EXIT_WAIT) {
            tracing::warn!("the data dir was still open {EXIT_WAIT:?} after the broker stopped; exiting anyway");
        }
        served
    }

    fn into_config(self) -> anyhow::Result<ServerConfig> {
        let broker = BrokerConfig {
            data_dir: self.data_dir,
            node_id: self.node_id,
            fsync: self.fsync,
            max_record_bytes: usize::try_from(self.max_record_bytes).context("--max-record-bytes is too large")?,
            max_request_bytes: usize::try_from(self.max_request_bytes).context("--max-request-bytes is too large")?,
            default_partitions: self.default_partitions,
            auto_create_topics: self.auto_create_topics,
            max_connections: self.max_connections,
            max_streams_per_connection: self.max_streams_per_connection,
            max_inflight_bytes: usize::try_from(self.max_inflight_bytes)
                .context("--max-inflight-bytes is too large")?,
            max_stream_buffer_bytes: usize::try_from(self.max_stream_buffer)
                .context("--max-stream-buffer is too large")?,
            store: StoreOptions {
                block_cache_bytes: usize::try_from(self.block_cache).context("--block-cache is too large")?,
                write_buffer_total_bytes: usize::try_from(self.write_buffer_total)
                    .context("--write-buffer-total is too large")?,
                max_total_wal_bytes: self.max_wal_size,
                direct_io: self.direct_io,
                flush_write_limit: match self.flush_write_limit {
                    Some(0) => anyhow::bail!("--flush-write-limit must be more than 0 (leave it out for no limit)"),
                    limit => limit,
                },
            },
            retention: RetentionDefaults { ms: self.retention, bytes: self.retention_bytes },
            retention_check_interval: self.retention_check_interval,
            groups: GroupConfig {
                min_session_timeout: self.group_min_session_timeout,
                max_session_timeout: self.group_max_session_timeout,
                default_session_timeout: Duration::from_secs(45).clamp(
                    self.group_min_session_timeout,
                    self.group_max_session_timeout.max(self.group_min_session_timeout),
                ),
            },
            producers: ProducerLimits {
                expiry: self.producer_id_expiry,
                max_bytes: usize::try_from(self.max_producer_state).context("--max-producer-state is too large")?,
            },
            ..BrokerConfig::default()
        };
        broker.validate().map_err(anyhow::Error::msg)?;
        Ok(ServerConfig { listen: self.listen, broker })
    }
}

/// The address others are told to dial for `listener`: `advertised` (its `flags`' second)
/// if given, else the address it bound. The unspecified address (`0.0.0.0`, `::`) reaches
/// nothing from another machine, so it is refused, naming the flag that fixes it (Kafka refuses
/// it in advertised.listeners likewise).
fn dialable(
    advertised: Option<Advertised>,
    listener: &TcpListener,
    (listen_flag, advertise_flag): (&str, &str),
) -> anyhow::Result<Advertised> {
    let advertised = match advertised {
        Some(advertised) => advertised,
        None => Advertised::bound(listener.local_addr()?),
    };
    if advertised.host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_unspecified()) {
        anyhow::bail!(
            "{advertised} is no address others can connect to (it stands for every interface): set {advertise_flag} \
             to the host:port they reach this broker at (needed when {listen_flag} binds 0.0.0.0 or [::])"
        );
    }
    Ok(advertised)
}

/// Parses `1s..2s`.
fn parse_duration_range(s: &str) -> Result<(Duration, Duration), String> {
    let (low, high) = s.split_once("..").ok_or_else(|| format!("\"{s}\" is not a range like 1s..2s"))?;
    let (low, high) = (parse_duration(low)?, parse_duration(high)?);
    if low >= high {
        return Err(format!("\"{s}\": the first duration must be shorter than the second"));
    }
    Ok((low, high))
}

/// How long a stopped broker waits for tasks, then its data dir, to finish before it exits.
const EXIT_WAIT: Duration = Duration::from_secs(10);

/// The Kafka listener's default address: Kafka's own port.
const DEFAULT_KAFKA_LISTEN: SocketAddr = SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 9092);

/// Where Kafka clients are served.
#[derive(Debug, Clone, Copy)]
pub enum KafkaListen {
    Off,
    On(SocketAddr),
}

fn parse_kafka_listen(s: &str) -> Result<KafkaListen, String> {
    match s {
        "none" | "off" => Ok(KafkaListen::Off),
        addr => addr.parse().map(KafkaListen::On).map_err(|e| format!("\"{addr}\" is not host:port or none: {e}")),
    }
}

/// Where `/metrics` is served.
#[derive(Debug, Clone, Copy)]
pub enum MetricsListen {
    Off,
    On(SocketAddr),
}

fn parse_metrics_listen(s: &str) -> Result<MetricsListen, String> {
    match s {
        "off" | "none" => Ok(MetricsListen::Off),
        addr => addr.parse().map(MetricsListen::On).map_err(|e| format!("\"{addr}\" is not host:port or off: {e}")),
    }
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}
