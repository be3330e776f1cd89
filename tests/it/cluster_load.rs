//! Helpers for cluster tests that write under a fault and read everything back: an idempotent
//! producer through a bootstrap list while a broker dies, and the check that every
//! acknowledged record is stored once, where it was acknowledged.
use std::time::Duration;

use bytes::Bytes;
use strata::client::RecordOffset;
use strata::proto;
use tonic::Code;

use crate::cluster::{Cluster, failover_producer};
use crate::support::*;

/// The value of the `i`-th record `produce_through_a_death` sends.
pub fn numbered(i: u32) -> Bytes {
    Bytes::from(format!("value-{i}"))
}

/// Sends `count` records to `topic` (record `i` to partition `i % partitions`) through an
/// idempotent producer on the cluster's bootstrap list, and kills broker `victim` (-9)
/// halfway; returns where each was acknowledged (every one must be).
pub async fn produce_through_a_death(
    cluster: &mut Cluster,
    topic: &str,
    partitions: u32,
    count: u32,
    victim: usize,
) -> Vec<(u32, RecordOffset)> {
    let producer = failover_producer(&cluster.bootstrap(), topic).await;
    let mut deliveries = Vec::new();
    for i in 0..count {
        let record = proto::Record { value: numbered(i), ..Default::default() };
        deliveries.push((i, producer.send(record, Some(i % partitions)).await.expect("queued")));
        if i == count / 2 {
            producer.flush().await;
            cluster.kill_9(victim);
        }
    }
    producer.flush().await;
    let mut acked = Vec::new();
    for (i, delivered) in deliveries {
        acked.push((i, delivered.await.expect("answered").expect("acknowledged despite the death")));
    }
    producer.close().await;
    acked
}

/// Reads every partition of `topic` from its leader and checks it holds exactly the `acked`
/// records, each once, at the offset it was acknowledged with; returns each partition's end.
pub async fn stored_once(
    reader: &mut strata::client::Connection,
    topic: &str,
    partitions: u32,
    acked: &[(u32, RecordOffset)],
) -> Vec<i64> {
    let mut ends = Vec::new();
    for partition in 0..partitions {
        let mut stored = Vec::new();
        let mut from = 0;
        loop {
            let records = fetch_at_leader(reader, fetch_request(topic, partition, from)).await;
            if records.is_empty() {
                break;
            }
            from = records.last().map_or(from, |r| r.offset + 1);
            stored.extend(records.into_iter().map(|r| (r.offset, r.value)));
        }
        let mut expected: Vec<_> =
            acked.iter().filter(|(_, at)| at.partition == partition).map(|(i, at)| (at.offset, numbered(*i))).collect();
        expected.sort();
        assert_eq!(stored, expected, "partition {partition}: every acknowledged record once, in order");
        ends.push(from);
    }
    ends
}

/// A fetch sent (and resent, bounded) until the partition's leader answers it.
pub async fn fetch_at_leader(
    client: &mut strata::client::Connection,
    request: proto::FetchRequest,
) -> Vec<proto::StoredRecord> {
    for _ in 0..100 {
        let routed = strata::client::for_partition(request.clone(), &request.topic, request.partition);
        match client.fetch(routed).await {
            Ok(response) => return response.into_inner().records,
            Err(status) if status.code() == Code::Unavailable => {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(status) => panic!("fetch failed: {status}"),
        }
    }
    panic!("the partition's leader never answered");
}
