//! Prometheus metrics: every name as a constant, described once at startup, served on their own
//! listener by `metrics-exporter-prometheus` with explicit histogram buckets (real histograms,
//! not summaries). Labels: topic for throughput, topic + partition for offsets and sizes,
//! group for lag. The broker records with the `metrics` macros; without an installed exporter
//! (tests, `--metrics-listen off`) those calls do nothing.
use std::net::SocketAddr;
use std::time::Duration;

use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder};
use metrics_util::MetricKindMask;

pub const GRPC_REQUESTS: &str = "strata_grpc_requests_total";
pub const GRPC_DURATION: &str = "strata_grpc_request_duration_seconds";
pub const GRPC_IN_FLIGHT: &str = "strata_grpc_requests_in_flight";
pub const KAFKA_REQUESTS: &str = "strata_kafka_requests_total";
pub const KAFKA_DURATION: &str = "strata_kafka_request_duration_seconds";
pub const KAFKA_ERRORS: &str = "strata_kafka_errors_total";
pub const KAFKA_CONNECTIONS: &str = "strata_kafka_connections";
pub const CONNECTIONS: &str = "strata_connections_open";
pub const SUBSCRIPTIONS: &str = "strata_subscriptions_open";
pub const PRODUCED_RECORDS: &str = "strata_produced_records_total";
pub const PRODUCED_BYTES: &str = "strata_produced_bytes_total";
pub const FETCHED_RECORDS: &str = "strata_fetched_records_total";
pub const FETCHED_BYTES: &str = "strata_fetched_bytes_total";
pub const PARTITION_LOG_START: &str = "strata_partition_log_start_offset";
pub const PARTITION_HIGH_WATERMARK: &str = "strata_partition_high_watermark";
pub const PARTITION_SIZE: &str = "strata_partition_size_bytes";
pub const GROUP_COMMITTED: &str = "strata_group_committed_offset";
pub const GROUP_LAG: &str = "strata_group_lag";
pub const GROUP_MEMBERS: &str = "strata_group_members";
pub const COMMIT_BATCH_JOBS: &str = "strata_commit_batch_requests";
pub const COMMIT_BATCH_BYTES: &str = "strata_commit_batch_bytes";
pub const WAL_SYNC_DURATION: &str = "strata_wal_sync_duration_seconds";
pub const CORRUPT_BATCHES: &str = "strata_corrupt_batches_total";
pub const DATA_DIR_AVAILABLE: &str = "strata_data_dir_available_bytes";
pub const DISK_LOW: &str = "strata_disk_low";
pub const ROCKSDB_MEMTABLE: &str = "strata_rocksdb_memtable_bytes";
pub const EARLY_FLUSHES: &str = "strata_early_flushes_total";
pub const EARLY_FLUSHED_PARTITIONS: &str = "strata_early_flushed_partitions_total";
pub const ROCKSDB_SST: &str = "strata_rocksdb_sst_bytes";
pub const ROCKSDB_PENDING_COMPACTION: &str = "strata_rocksdb_pending_compaction_bytes";
pub const ROCKSDB_WRITE_STOPPED: &str = "strata_rocksdb_write_stopped";
pub const ROCKSDB_DELAYED_WRITE_RATE: &str = "strata_rocksdb_delayed_write_rate_bytes";
pub const PRODUCER_DUPLICATES: &str = "strata_producer_duplicates_total";
pub const PRODUCER_OUT_OF_ORDER: &str = "strata_producer_out_of_order_total";
pub const PRODUCER_FENCED: &str = "strata_producer_fenced_total";
pub const PRODUCER_UNKNOWN_IDS: &str = "strata_producer_unknown_id_total";
pub const PRODUCER_IDS: &str = "strata_producer_ids";
pub const PRODUCER_STATES: &str = "strata_producer_partition_states";
pub const PRODUCER_STATE_BYTES: &str = "strata_producer_state_bytes";
pub const PRODUCER_IDS_EXPIRED: &str = "strata_producer_ids_expired_total";
pub const PRODUCER_IDS_EVICTED: &str = "strata_producer_ids_evicted_total";
pub const BUILD_INFO: &str = "strata_build_info";
pub const UPTIME: &str = "strata_uptime_seconds";
pub const UNDER_REPLICATED: &str = "strata_under_replicated_partitions";
pub use crate::broker::retention::LAST_RUN_SECONDS as RETENTION_LAST_RUN;
pub use crate::broker::retention::{
    DELETED_BYTES as RETENTION_DELETED_BYTES, DELETED_RECORDS as RETENTION_DELETED_RECORDS,
};

const LATENCY_BUCKETS: [f64; 14] =
    [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0];
const COUNT_BUCKETS: [f64; 10] = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 1024.0];
const BYTE_BUCKETS: [f64; 10] = [1e3, 1e4, 1e5, 2.5e5, 5e5, 1e6, 2.5e6, 5e6, 1e7, 6.4e7];

/// Installs the exporter on `addr` (needs a tokio runtime). Series not updated for
/// `idle_timeout` are dropped, which is how a deleted topic's series disappear: live ones are
/// refreshed every few seconds.
pub fn install(addr: SocketAddr, idle_timeout: Duration) -> anyhow::Result<()> {
    PrometheusBuilder::new()
        .with_http_listener(addr)
        .with_recommended_naming(true)
        .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &LATENCY_BUCKETS)?
        .set_buckets_for_metric(Matcher::Full(COMMIT_BATCH_JOBS.into()), &COUNT_BUCKETS)?
        .set_buckets_for_metric(Matcher::Full(COMMIT_BATCH_BYTES.into()), &BYTE_BUCKETS)?
        .idle_timeout(MetricKindMask::ALL, Some(idle_timeout))
        .install()?;
    describe_all();
    metrics::gauge!(BUILD_INFO, "version" => env!("CARGO_PKG_VERSION")).set(1.0);
    Ok(())
}

fn describe_all() {
    describe_counter!(GRPC_REQUESTS, Unit::Count, "gRPC requests answered, by method and status code");
    describe_histogram!(GRPC_DURATION, Unit::Seconds, "gRPC request latency until the response headers, by method");
    describe_gauge!(GRPC_IN_FLIGHT, Unit::Count, "gRPC requests being served");
    describe_gauge!(CONNECTIONS, Unit::Count, "Open client TCP connections");
    describe_counter!(KAFKA_REQUESTS, Unit::Count, "Kafka-protocol requests answered, by API");
    describe_histogram!(
        KAFKA_DURATION,
        Unit::Seconds,
        "Kafka-protocol request latency until the response is sent, by API"
    );
    describe_counter!(
        KAFKA_ERRORS,
        Unit::Count,
        "Error codes in Kafka-protocol answers (one per partition or item), by error"
    );
    describe_gauge!(KAFKA_CONNECTIONS, Unit::Count, "Open Kafka-protocol connections");
    describe_gauge!(SUBSCRIPTIONS, Unit::Count, "Open Subscribe streams");
    describe_counter!(PRODUCED_RECORDS, Unit::Count, "Records appended, by topic");
    describe_counter!(PRODUCED_BYTES, Unit::Bytes, "Record payload bytes appended, by topic");
    describe_counter!(FETCHED_RECORDS, Unit::Count, "Records returned by Fetch and Subscribe, by topic");
    describe_counter!(FETCHED_BYTES, Unit::Bytes, "Record payload bytes returned by Fetch and Subscribe, by topic");
    describe_gauge!(PARTITION_LOG_START, Unit::Count, "First offset still stored, by topic and partition");
    describe_gauge!(PARTITION_HIGH_WATERMARK, Unit::Count, "Offset the next record gets, by topic and partition");
    describe_gauge!(PARTITION_SIZE, Unit::Bytes, "Bytes of stored batches, by topic and partition");
    describe_gauge!(GROUP_COMMITTED, Unit::Count, "Committed offset, by group, topic and partition");
    describe_gauge!(GROUP_LAG, Unit::Count, "High watermark minus committed offset, by group, topic and partition");
    describe_gauge!(GROUP_MEMBERS, Unit::Count, "Members of a consumer group");
    describe_histogram!(COMMIT_BATCH_JOBS, Unit::Count, "Requests (produce, commit, truncate) in one group commit");
    describe_histogram!(COMMIT_BATCH_BYTES, Unit::Bytes, "Bytes written by one group commit");
    describe_histogram!(WAL_SYNC_DURATION, Unit::Seconds, "Time of one group commit's write with WAL fsync");
    describe_counter!(CORRUPT_BATCHES, Unit::Count, "Stored batches that failed their CRC or format check, by topic");
    describe_gauge!(DATA_DIR_AVAILABLE, Unit::Bytes, "Bytes available on the data dir's filesystem (cluster members)");
    describe_gauge!(DISK_LOW, Unit::Count, "1 while the data dir's free space is below --min-free-disk, else 0");
    describe_gauge!(ROCKSDB_MEMTABLE, Unit::Bytes, "RocksDB memtable bytes, all column families");
    describe_counter!(
        EARLY_FLUSHES,
        Unit::Count,
        "Flushes of the fullest partitions near --write-buffer-total, before RocksDB flushes them all"
    );
    describe_counter!(EARLY_FLUSHED_PARTITIONS, Unit::Count, "Partitions flushed by those early flushes");
    describe_gauge!(ROCKSDB_SST, Unit::Bytes, "RocksDB SST file bytes, all column families");
    describe_gauge!(ROCKSDB_PENDING_COMPACTION, Unit::Bytes, "RocksDB estimated bytes waiting for compaction");
    describe_gauge!(ROCKSDB_WRITE_STOPPED, Unit::Count, "1 while RocksDB stops writes (stall), else 0");
    describe_gauge!(
        ROCKSDB_DELAYED_WRITE_RATE,
        Unit::Bytes,
        "RocksDB's delayed write rate while slowing writes, 0 if not"
    );
    describe_counter!(RETENTION_DELETED_RECORDS, Unit::Count, "Records deleted by retention, by topic");
    describe_counter!(RETENTION_DELETED_BYTES, Unit::Bytes, "Bytes deleted by retention, by topic");
    describe_gauge!(RETENTION_LAST_RUN, Unit::Seconds, "Duration of the last retention pass");
    describe_counter!(
        PRODUCER_DUPLICATES,
        Unit::Count,
        "Idempotent retries answered with the original offsets instead of appended again, by topic"
    );
    describe_counter!(PRODUCER_OUT_OF_ORDER, Unit::Count, "Idempotent batches refused as out of order, by topic");
    describe_counter!(
        PRODUCER_FENCED,
        Unit::Count,
        "Idempotent batches refused for an old (fenced) or unissued producer epoch, by topic"
    );
    describe_counter!(
        PRODUCER_UNKNOWN_IDS,
        Unit::Count,
        "Idempotent batches refused for an unknown producer id, by topic"
    );
    describe_gauge!(PRODUCER_IDS, Unit::Count, "Idempotent producer ids the broker keeps state for");
    describe_gauge!(PRODUCER_STATES, Unit::Count, "Producer and partition pairs with a window of recent batches");
    describe_gauge!(PRODUCER_STATE_BYTES, Unit::Bytes, "Estimated memory of idempotent producer state");
    describe_counter!(PRODUCER_IDS_EXPIRED, Unit::Count, "Producer ids forgotten after --producer-id-expiry unused");
    describe_counter!(
        PRODUCER_IDS_EVICTED,
        Unit::Count,
        "Least recently used producer ids forgotten to stay within --max-producer-state"
    );
    describe_gauge!(BUILD_INFO, Unit::Count, "Always 1; the version label says which build runs");
    describe_gauge!(UPTIME, Unit::Seconds, "Seconds since the broker started");
    describe_gauge!(
        UNDER_REPLICATED,
        Unit::Count,
        "Partitions this broker leads with fewer in-sync replicas than replicas"
    );
    crate::cluster::describe_metrics();
}

/// Counts one open thing (a connection, a stream) in `gauge` for as long as it lives.
pub struct Open(&'static str);

impl Open {
    pub fn count(gauge: &'static str) -> Self {
        metrics::gauge!(gauge).increment(1.0);
        Open(gauge)
    }
}

impl Drop for Open {
    fn drop(&mut self) {
        metrics::gauge!(self.0).decrement(1.0);
    }
}
