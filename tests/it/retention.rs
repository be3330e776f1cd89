//! Retention by time and size, DeleteRecords, and what survives restarts and crashes.
//! Time is injected: records carry old timestamps and passes run with a given "now".
use std::sync::Arc;

use bytes::Bytes;
use strata::broker::{Broker, FetchRequest, OffsetSpec, ProduceRecord, ProduceRequest, TopicConfig};
use strata::config::BrokerConfig;
use strata::proto;
use tempfile::TempDir;
use tonic::Code;

use crate::process::ServerProcess;
use crate::support::*;

const DAY_MS: i64 = 86_400_000;

fn open_broker(dir: &TempDir) -> Arc<Broker> {
    open_broker_with(dir, false)
}

/// `direct_io`: SST files written and compacted with O_DIRECT (`--direct-io`).
fn open_broker_with(dir: &TempDir, direct_io: bool) -> Arc<Broker> {
    let mut config = BrokerConfig { data_dir: dir.path().to_path_buf(), ..BrokerConfig::default() };
    config.store.direct_io = direct_io;
    Broker::open(config).expect("open")
}

/// Appends one batch of `count` records of `size` bytes, all stamped `timestamp_ms`.
async fn append(broker: &Broker, topic: &str, partition: u32, count: usize, size: usize, timestamp_ms: i64) -> i64 {
    let records =
        (0..count).map(|_| ProduceRecord { value: Bytes::from(vec![7u8; size]), timestamp_ms, ..Default::default() });
    let request = ProduceRequest {
        topic: topic.into(),
        partition: Some(partition),
        records: records.collect(),
        ..Default::default()
    };
    broker.produce(request).await.expect("produce")[0].base_offset
}

async fn first_offset(broker: &Broker, topic: &str, partition: u32, offset: i64) -> strata::Result<Option<i64>> {
    let request = FetchRequest { topic: topic.into(), partition, offset, ..Default::default() };
    Ok(broker.fetch(&request).await?.records.first().map(|r| r.offset))
}

#[tokio::test]
async fn time_retention_deletes_old_batches_and_keeps_new_ones() {
    let dir = tempfile::tempdir().expect("dir");
    let broker = open_broker(&dir);
    let config = TopicConfig { retention_ms: Some(3_000), retention_bytes: None };
    broker.create_topic("t", 1, config).await.expect("create");
    append(&broker, "t", 0, 2, 100, 1_000).await; // offsets 0..2, newest 1000
    append(&broker, "t", 0, 1, 100, 5_000).await; // offset 2, newest 5000
    append(&broker, "t", 0, 2, 100, 9_000).await; // offsets 3..5
    let size_before = broker.describe_topic("t").expect("describe").partitions[0].size_bytes;

    let report = broker.enforce_retention(8_500).await.expect("retention"); // cutoff 5500
    assert_eq!(report.records, 3);
    let p = broker.describe_topic("t").expect("describe").partitions[0];
    assert_eq!((p.log_start_offset, p.high_watermark), (3, 5));
    assert!(p.size_bytes < size_before && p.size_bytes > 0, "{} vs {size_before}", p.size_bytes);
    assert_eq!(first_offset(&broker, "t", 0, 3).await.expect("fetch"), Some(3));
    let below = first_offset(&broker, "t", 0, 2).await.expect_err("deleted");
    let status = tonic::Status::from(below);
    assert_eq!(status.code(), Code::OutOfRange);
    assert!(status.message().contains("3..=5"), "names the earliest offset: {}", status.message());
    assert_eq!(broker.list_offsets("t", 0, OffsetSpec::Earliest).await.expect("earliest").0, 3);

    // Nothing more is old enough: a second pass deletes nothing.
    assert_eq!(broker.enforce_retention(8_500).await.expect("retention").records, 0);
    broker.close().await;
}

#[tokio::test]
async fn size_retention_keeps_partitions_under_the_limit_with_the_newest_data() {
    let dir = tempfile::tempdir().expect("dir");
    let broker = open_broker(&dir);
    let config = TopicConfig { retention_ms: Some(-1), retention_bytes: Some(10_000) };
    broker.create_topic("t", 2, config).await.expect("create");
    for partition in 0..2 {
        for _ in 0..20 {
            append(&broker, "t", partition, 2, 500, 1).await; // ~1 KiB batches, ancient timestamps
        }
    }
    broker.enforce_retention(i64::MAX).await.expect("retention");
    for p in broker.describe_topic("t").expect("describe").partitions {
        assert!(p.size_bytes <= 10_000, "partition {} holds {} bytes", p.partition, p.size_bytes);
        assert!(p.size_bytes > 10_000 - 1_200, "only as much as needed went: {}", p.size_bytes);
        assert!(p.log_start_offset > 0);
        assert_eq!(p.high_watermark, 40);
        assert_eq!(first_offset(&broker, "t", p.partition, 39).await.expect("newest"), Some(39));
    }
    broker.close().await;
}

#[tokio::test]
async fn unlimited_retention_keeps_everything() {
    let dir = tempfile::tempdir().expect("dir");
    let broker = open_broker(&dir);
    let config = TopicConfig { retention_ms: Some(-1), retention_bytes: Some(-1) };
    broker.create_topic("t", 1, config).await.expect("create");
    append(&broker, "t", 0, 5, 100, 1).await;
    assert_eq!(broker.enforce_retention(i64::MAX).await.expect("retention").records, 0);
    assert_eq!(broker.describe_topic("t").expect("describe").partitions[0].log_start_offset, 0);
    broker.close().await;
}

#[tokio::test]
async fn retention_frees_sst_bytes_on_disk() {
    let dir = tempfile::tempdir().expect("dir");
    let broker = open_broker(&dir);
    broker.create_topic("t", 1, TopicConfig { retention_ms: Some(-1), ..Default::default() }).await.expect("create");
    for _ in 0..40 {
        append(&broker, "t", 0, 50, 1_000, 1).await; // 40 batches of ~50 KB
    }
    broker.flush_topic("t").await.expect("flush");
    let before = broker.partition_sst_bytes("t", 0).await.expect("sst bytes");
    assert!(before > 1_500_000, "data reached SST files: {before}");

    let config = TopicConfig { retention_bytes: Some(200_000), ..Default::default() };
    broker.alter_topic_config("t", config, &[]).await.expect("alter");
    broker.enforce_retention(i64::MAX).await.expect("retention");
    let after = broker.partition_sst_bytes("t", 0).await.expect("sst bytes");
    assert!(after < before / 4, "SST bytes dropped from {before} to {after}");
    broker.close().await;
}

#[tokio::test]
async fn delete_records_moves_the_log_start_even_inside_a_batch() {
    let broker = TestBroker::start().await;
    let mut client = broker.client().await;
    create_topic(&mut client, "t", 1).await;
    for batch in 0..3 {
        produce_to(&mut client, "t", 0, (0..10).map(|i| record(format!("{}", batch * 10 + i))).collect()).await;
    }
    let delete = |before_offset| proto::DeleteRecordsRequest { topic: "t".into(), partition: 0, before_offset };
    let response = client.delete_records(delete(15)).await.expect("delete records").into_inner();
    assert_eq!(response.log_start_offset, 15);
    let fetched = fetch_all(&mut client, "t", 0, 15).await;
    assert_eq!(fetched.first().map(|r| (r.offset, r.value.clone())), Some((15, Bytes::from("15"))));
    assert_eq!(fetched.len(), 15);
    let status = client.fetch(fetch_request("t", 0, 14)).await.expect_err("below the log start");
    assert_eq!(status.code(), Code::OutOfRange);
    assert!(status.message().contains("15..=30"), "{}", status.message());

    // Survives a restart, inside-a-batch log start included.
    let broker = broker.restart().await;
    let mut client = broker.client().await;
    assert_eq!(describe(&mut client, "t").await.partitions[0].log_start_offset, 15);
    assert_eq!(fetch_all(&mut client, "t", 0, 15).await.len(), 15);

    assert_eq!(client.delete_records(delete(3)).await.expect("no-op").into_inner().log_start_offset, 15);
    assert_eq!(client.delete_records(delete(31)).await.expect_err("past the end").code(), Code::OutOfRange);
    let all = client.delete_records(delete(-1)).await.expect("delete all").into_inner();
    assert_eq!(all.log_start_offset, 30);
    let p = describe(&mut client, "t").await.partitions[0].clone();
    assert_eq!((p.log_start_offset, p.high_watermark, p.size_bytes), (30, 30, 0));
    assert_eq!(produce_to(&mut client, "t", 0, vec![record("next")]).await, 30, "offsets continue");
    let broker = broker.restart().await;
    let mut client = broker.client().await;
    let p = describe(&mut client, "t").await.partitions[0].clone();
    assert_eq!((p.log_start_offset, p.high_watermark), (30, 31), "an emptied log restarts at its log start");
}

#[tokio::test]
async fn committed_offsets_below_the_log_start_stay_as_they_are() {
    let broker = TestBroker::start().await;
    let mut client = broker.client().await;
    create_topic(&mut client, "t", 1).await;
    produce_to(&mut client, "t", 0, (0..10).map(|i| record(format!("{i}"))).collect()).await;
    client.commit_offsets(super::offsets::commit("g", "t", &[(0, 2)])).await.expect("commit");
    let delete = proto::DeleteRecordsRequest { topic: "t".into(), partition: 0, before_offset: 5 };
    client.delete_records(delete).await.expect("delete records");
    assert_eq!(super::offsets::committed(&mut client, "g", "t").await[0].1, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_after_retention_keeps_a_consistent_log_start() {
    let dir = tempfile::tempdir().expect("dir");
    let args = ["--retention", "1d", "--retention-check-interval", "50ms"];
    let server = ServerProcess::spawn(dir.path(), &args);
    let mut client = connect(server.addr).await;
    create_topic(&mut client, "t", 1).await;
    let now = strata_now_ms();
    let old = |i: i64| proto::Record { timestamp_ms: now - 3 * DAY_MS, ..record(format!("old{i}")) };
    for batch in 0..5 {
        produce_to(&mut client, "t", 0, (0..4).map(|i| old(batch * 4 + i)).collect()).await;
    }
    produce_to(&mut client, "t", 0, vec![record("new0"), record("new1")]).await;
    // Retention checks every 50 ms, so it may already have deleted some old batches while the
    // others were being produced: wait for the last of them to go.
    let mut log_start = 0;
    for _ in 0..400 {
        log_start = describe(&mut client, "t").await.partitions[0].log_start_offset;
        if log_start >= 20 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert_eq!(log_start, 20, "retention deleted the five old batches");
    server.kill_9();

    let server = ServerProcess::spawn(dir.path(), &args);
    let mut client = connect(server.addr).await;
    let p = describe(&mut client, "t").await.partitions[0].clone();
    assert_eq!((p.log_start_offset, p.high_watermark), (20, 22));
    let values: Vec<Bytes> = fetch_all(&mut client, "t", 0, 20).await.into_iter().map(|r| r.value).collect();
    assert_eq!(values, vec![Bytes::from("new0"), Bytes::from("new1")]);
    server.kill_9();
}

/// Many small SST files in one partition: RocksDB compacts them (moving files between levels,
/// which leaves two records of one file, only one of them obsolete) while retention rewrites
/// the oldest. Every file still referenced must survive the deletion of obsolete ones, which
/// a restart then proves by reading every remaining record.
#[tokio::test]
async fn compacted_and_moved_files_stay_readable_after_a_restart() {
    compacted_files_stay_readable_after_a_restart(tempfile::tempdir().expect("dir"), false).await;
}

#[tokio::test]
async fn with_direct_io_compacted_files_stay_readable_after_a_restart() {
    // The target dir, not /tmp: a tmpfs /tmp may not take O_DIRECT.
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("dir");
    compacted_files_stay_readable_after_a_restart(dir, true).await;
}

/// The test above, with SST files written buffered or with O_DIRECT.
async fn compacted_files_stay_readable_after_a_restart(dir: TempDir, direct_io: bool) {
    let broker = open_broker_with(&dir, direct_io);
    broker.create_topic("t", 1, TopicConfig { retention_ms: Some(-1), ..Default::default() }).await.expect("create");
    for _ in 0..12 {
        append(&broker, "t", 0, 20, 1_000, 1).await;
        broker.flush_topic("t").await.expect("flush"); // one L0 file per batch
    }
    let config = TopicConfig { retention_bytes: Some(150_000), ..Default::default() };
    broker.alter_topic_config("t", config, &[]).await.expect("alter");
    broker.enforce_retention(i64::MAX).await.expect("retention");
    let log_start = broker.describe_topic("t").expect("describe").partitions[0].log_start_offset;
    assert!(log_start > 0 && log_start % 20 == 0, "retention removed whole batches: {log_start}");
    broker.close().await;
    drop(broker); // the last handle: closes RocksDB

    let broker = open_broker_with(&dir, direct_io);
    let mut offset = log_start;
    while offset < 240 {
        let request = FetchRequest { topic: "t".into(), partition: 0, offset, ..Default::default() };
        let records = broker.fetch(&request).await.expect("fetch after restart").records;
        assert_eq!(records.first().map(|r| r.offset), Some(offset), "records from {offset} are readable");
        assert!(records.iter().all(|r| r.value.as_ref().map(Bytes::len) == Some(1_000)));
        offset += records.len() as i64;
    }
    assert_eq!(offset, 240);
    broker.close().await;
}

fn strata_now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}
