//! Hundreds of partitions: created in one go, written everywhere, read back after a restart,
//! and deleted, their column families recycled (empty) by the next topic and their disk freed.
use std::path::Path;
use std::time::{Duration, Instant};

use strata::proto;

use crate::support::*;

const WIDE: u32 = 300;

/// A small write-buffer budget, so that the test's records reach SST files.
fn small_write_buffers(config: &mut strata::config::BrokerConfig) {
    config.store.write_buffer_total_bytes = 4 << 20;
}

async fn restart(broker: TestBroker) -> TestBroker {
    TestBroker::start_in(broker.stop().await, small_write_buffers).await
}

async fn produce_everywhere(client: &mut Client, topic: &str, partitions: u32) {
    for partition in 0..partitions {
        let offset = produce_to(client, topic, partition, vec![record(format!("{topic}-{partition}"))]).await;
        assert_eq!(offset, 0, "{topic}/{partition} starts empty");
    }
}

async fn assert_each_holds_its_record(client: &mut Client, topic: &str, partitions: u32) {
    for partition in 0..partitions {
        let records = fetch_all(client, topic, partition, 0).await;
        let values: Vec<&[u8]> = records.iter().map(|r| &r.value[..]).collect();
        assert_eq!(values, vec![format!("{topic}-{partition}").as_bytes()], "{topic}/{partition}");
    }
}

fn sst_bytes(dir: &Path) -> u64 {
    sst_file_sizes(dir).iter().sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hundreds_of_partitions_survive_restart_and_deleted_ones_are_recycled_empty() {
    let broker = TestBroker::start_with(small_write_buffers).await;
    let mut client = broker.client().await;
    create_topic(&mut client, "wide", WIDE).await;
    create_topic(&mut client, "other", 100).await;
    produce_everywhere(&mut client, "wide", WIDE).await;
    produce_everywhere(&mut client, "other", 100).await;

    let broker = restart(broker).await;
    let mut client = broker.client().await;
    assert_each_holds_its_record(&mut client, "wide", WIDE).await;
    assert_each_holds_its_record(&mut client, "other", 100).await;

    // Fill "wide" well past the write-buffer budget (so into SST files), then delete it: the
    // files go, in the background.
    let big = vec![b'z'; 64 << 10];
    for partition in 0..WIDE {
        produce_to(&mut client, "wide", partition, vec![record(big.clone())]).await;
    }
    let data_dir = broker.data_dir();
    let broker = restart(broker).await;
    let mut client = broker.client().await;
    let before = sst_bytes(&data_dir);
    assert!(before > 8 << 20, "the records are in SST files ({before} bytes)");
    // Those files come from flushes over hundreds of families at once (written in parallel):
    // every partition reads back both its records from them.
    for partition in 0..WIDE {
        let values: Vec<Vec<u8>> =
            fetch_all(&mut client, "wide", partition, 0).await.into_iter().map(|r| r.value.to_vec()).collect();
        assert_eq!(values, vec![format!("wide-{partition}").into_bytes(), big.clone()], "wide/{partition}");
    }
    client.delete_topic(proto::DeleteTopicRequest { name: "wide".into() }).await.expect("delete");
    let give_up = Instant::now() + Duration::from_secs(120);
    while sst_bytes(&data_dir) > before / 4 {
        assert!(Instant::now() < give_up, "deleting the topic never freed its files: {} bytes", sst_bytes(&data_dir));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // After a restart every unreferenced family is free, lowest slot first: a new topic takes
    // over "wide"'s families (the first created), and every partition must start empty.
    let broker = restart(broker).await;
    let mut client = broker.client().await;
    create_topic(&mut client, "fresh", WIDE + 50).await;
    for partition in [0, WIDE / 2, WIDE - 1, WIDE + 49] {
        assert!(fetch_all(&mut client, "fresh", partition, 0).await.is_empty(), "fresh/{partition} sees old records");
    }
    produce_everywhere(&mut client, "fresh", WIDE + 50).await;
    let broker = restart(broker).await;
    let mut client = broker.client().await;
    assert_each_holds_its_record(&mut client, "fresh", WIDE + 50).await;
    assert_each_holds_its_record(&mut client, "other", 100).await;
    let missing = client.describe_topic(proto::DescribeTopicRequest { name: "wide".into() }).await;
    assert_eq!(missing.expect_err("deleted").code(), tonic::Code::NotFound);
}
