//! `kill -9` of a real broker process loses no acknowledged record or commit.
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use strata::proto;
use tokio::sync::watch;

use super::offsets::{commit, committed};
use crate::process::ServerProcess;
use crate::support::*;

type Acked = Arc<Mutex<Vec<(u32, i64, Vec<Bytes>)>>>;

/// Producers append until the broker dies; returns what was acknowledged.
async fn produce_until_killed(server: ServerProcess, producers: u32, kill_after_acks: usize) -> Acked {
    let acked: Acked = Arc::default();
    let (count_tx, mut count_rx) = watch::channel(0usize);
    let count_tx = Arc::new(count_tx);
    let mut tasks = Vec::new();
    for producer in 0..producers {
        let mut client = connect(server.addr).await;
        let (acked, count_tx) = (acked.clone(), count_tx.clone());
        tasks.push(tokio::spawn(async move {
            let partition = producer % 4;
            for request in 0.. {
                let values: Vec<Bytes> = (0..20).map(|i| Bytes::from(format!("{producer}/{request}/{i}"))).collect();
                let records = values.iter().map(|v| proto::Record { value: v.clone(), ..Default::default() }).collect();
                let req = proto::ProduceRequest { topic: "t".into(), partition: Some(partition), records, acks: 0 };
                let Ok(response) = client.produce(req).await else { return };
                let base = response.into_inner().results[0].base_offset;
                let mut acked = acked.lock().expect("lock");
                acked.push((partition, base, values));
                count_tx.send_replace(acked.len());
            }
        }));
    }
    count_rx.wait_for(|n| *n >= kill_after_acks).await.expect("producers running");
    server.kill_9();
    for task in tasks {
        task.await.expect("producer task");
    }
    acked
}

async fn assert_all_acked_present(client: &mut Client, acked: &Acked) {
    let acked = acked.lock().expect("lock").clone();
    for partition in 0..4u32 {
        let log = fetch_all(client, "t", partition, 0).await;
        for (i, r) in log.iter().enumerate() {
            assert_eq!(r.offset, i as i64, "offsets are dense in partition {partition}");
        }
        for (_, base, values) in acked.iter().filter(|(p, _, _)| *p == partition) {
            for (i, value) in values.iter().enumerate() {
                let at = (*base as usize) + i;
                let stored = log.get(at).unwrap_or_else(|| panic!("acked offset {at} of partition {partition} lost"));
                assert_eq!(&stored.value, value, "partition {partition} offset {at}");
            }
        }
    }
}

async fn kill_9_keeps_every_acknowledgement(fsync: &str) {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = ServerProcess::spawn(dir.path(), &["--fsync", fsync]);
    let mut client = connect(server.addr).await;
    create_topic(&mut client, "t", 4).await;
    produce_to(&mut client, "t", 0, vec![record("seed")]).await;
    client.commit_offsets(commit("g", "t", &[(0, 1)])).await.expect("commit");

    let acked = produce_until_killed(server, 8, 200).await;
    assert!(acked.lock().expect("lock").len() >= 200);

    let server = ServerProcess::spawn(dir.path(), &["--fsync", fsync]);
    let mut client = connect(server.addr).await;
    assert_all_acked_present(&mut client, &acked).await;
    assert_eq!(committed(&mut client, "g", "t").await[0].1, 1, "the acknowledged commit survived");
    server.kill_9();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_loses_no_acknowledged_record_with_fsync_always() {
    kill_9_keeps_every_acknowledgement("always").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_loses_no_acknowledged_record_with_fsync_interval() {
    // The process dies, the OS survives: nothing acknowledged may be lost in this mode either.
    kill_9_keeps_every_acknowledgement("interval=200ms").await;
}
