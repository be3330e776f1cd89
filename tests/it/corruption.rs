//! A batch whose CRC does not match is never served: fetch answers DATA_LOSS naming the topic,
//! partition and offset, other partitions keep working, and a metric counts it.

use strata::storage::keys;
use tonic::Code;

use crate::process::ServerProcess;
use crate::support::*;

/// Flips one byte near the end of the batch stored at `base` (inside the CRC-covered records).
fn corrupt_batch(data_dir: &std::path::Path, cf_name: &str, base: i64) {
    let names = rocksdb::DB::list_cf(&rocksdb::Options::default(), data_dir).expect("list column families");
    let db = rocksdb::DB::open_cf(&rocksdb::Options::default(), data_dir, names).expect("open the data dir");
    let cf = db.cf_handle(cf_name).expect("partition column family");
    let mut value = db.get_cf(&cf, keys::offset_key(base)).expect("read").expect("a batch at this offset");
    let last = value.len() - 1;
    value[last] ^= 0x40;
    db.put_cf(&cf, keys::offset_key(base), &value).expect("write the damaged batch");
    db.flush_wal(true).expect("sync");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupt_batch_is_data_loss_and_other_data_is_still_served() {
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path().join("data");
    let metrics = format!("127.0.0.1:{}", crate::ports::fixed_ports(1)[0]);
    let server = ServerProcess::spawn(&data, &[]);
    let mut client = connect(server.addr).await;
    create_topic(&mut client, "t", 2).await;
    for batch in 0..3 {
        produce_to(&mut client, "t", 0, (0..5).map(|i| record(format!("b{batch}-{i}"))).collect()).await;
    }
    produce_to(&mut client, "t", 1, vec![record("fine")]).await;
    server.kill_9();

    // The first partition created in a fresh data dir gets column family slot 0.
    corrupt_batch(&data, &keys::partition_cf_name(0), 5);

    let server = ServerProcess::spawn(&data, &["--metrics-listen", &metrics]);
    let mut client = connect(server.addr).await;
    let status = client.fetch(fetch_request("t", 0, 5)).await.expect_err("corrupt batch");
    assert_eq!(status.code(), Code::DataLoss);
    assert!(status.message().contains("t/0") && status.message().contains("offset 5"), "{}", status.message());
    let status = client.fetch(fetch_request("t", 0, 7)).await.expect_err("inside the corrupt batch");
    assert_eq!(status.code(), Code::DataLoss);

    let before = client.fetch(fetch_request("t", 0, 0)).await.expect("records before it").into_inner();
    assert_eq!(before.records.len(), 5, "the intact batch before the corrupt one is served, and no more");
    let after = client.fetch(fetch_request("t", 0, 10)).await.expect("records after it").into_inner();
    assert_eq!(after.records.first().map(|r| r.offset), Some(10));
    let other = client.fetch(fetch_request("t", 1, 0)).await.expect("other partition").into_inner();
    assert_eq!(other.records.len(), 1);

    let metrics_addr = metrics.parse().expect("addr");
    let count = scrape(metrics_addr, &["strata_corrupt_batches_total{topic=\"t\"}"]).await[0];
    assert!(count >= 2.0, "both corrupt reads were counted: {count}");
}
