//! Keyed records land where Kafka's default partitioner would put them.
use strata::proto;

use crate::support::*;

/// Kafka's murmur2 test vectors (UtilsTest), as signed 32-bit results.
const KAFKA_VECTORS: [(&str, i32); 4] =
    [("21", -973_932_308), ("foobar", -790_332_482), ("a-little-bit-long-string", -985_981_536), ("abc", 479_470_107)];

#[tokio::test]
async fn keyed_records_go_to_kafkas_murmur2_partition() {
    let broker = TestBroker::start().await;
    let mut client = broker.client().await;
    for partitions in [3u32, 7, 16] {
        let topic = format!("routed-{partitions}");
        create_topic(&mut client, &topic, partitions).await;
        for (key, hash) in KAFKA_VECTORS {
            let expected = ((hash as u32) & 0x7fff_ffff) % partitions;
            let request = proto::ProduceRequest {
                topic: topic.clone(),
                partition: None,
                records: vec![keyed(key, "v"), keyed(key, "w")],
                acks: 0,
                ..Default::default()
            };
            let results = client.produce(request).await.expect("produce").into_inner().results;
            assert_eq!(results.len(), 1, "both records of one key go to one partition");
            assert_eq!(results[0].partition, expected, "key {key:?} with {partitions} partitions");
            assert_eq!(results[0].record_count, 2);
        }
    }
}

#[tokio::test]
async fn one_request_with_many_keys_is_split_per_partition_in_order() {
    let broker = TestBroker::start().await;
    let mut client = broker.client().await;
    create_topic(&mut client, "t", 7).await;
    let records: Vec<proto::Record> = (0..50).map(|i| keyed(KAFKA_VECTORS[i % 4].0, format!("{i}"))).collect();
    let request = proto::ProduceRequest { topic: "t".into(), partition: None, records, acks: 0, ..Default::default() };
    let results = client.produce(request).await.expect("produce").into_inner().results;
    let total: u32 = results.iter().map(|r| r.record_count).sum();
    assert_eq!(total, 50);
    for result in results {
        let fetched = fetch_all(&mut client, "t", result.partition, 0).await;
        let values: Vec<usize> =
            fetched.iter().map(|r| std::str::from_utf8(&r.value).expect("utf8").parse().expect("number")).collect();
        let mut sorted = values.clone();
        sorted.sort_unstable();
        assert_eq!(values, sorted, "request order is kept within partition {}", result.partition);
    }
}
