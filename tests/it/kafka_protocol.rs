//! The Kafka listener over the wire, request by request: produced batches are stored as sent
//! and fetched back verbatim (and over gRPC), pipelined requests are answered in order, acks=0
//! gets no answer, and bad batches get Kafka's error codes.
use bytes::Bytes;
use kafka_protocol::messages::api_versions_request::ApiVersionsRequest;
use kafka_protocol::messages::fetch_request::{FetchPartition, FetchRequest, FetchTopic};
use kafka_protocol::messages::list_offsets_request::{ListOffsetsPartition, ListOffsetsRequest, ListOffsetsTopic};
use kafka_protocol::messages::produce_request::{PartitionProduceData, ProduceRequest, TopicProduceData};
use kafka_protocol::messages::produce_response::PartitionProduceResponse;
use kafka_protocol::messages::{ApiKey, TopicName};
use kafka_protocol::protocol::StrBytes;

use crate::kafka_wire::{KafkaWire, batch};
use crate::support::{TestBroker, create_topic, fetch_all};

pub fn name(topic: &str) -> TopicName {
    TopicName(StrBytes::from_string(topic.to_string()))
}

pub fn produce(topic: &str, partition: i32, records: Bytes, acks: i16) -> ProduceRequest {
    let mut data = PartitionProduceData::default();
    data.index = partition;
    data.records = Some(records);
    let mut topic_data = TopicProduceData::default();
    topic_data.name = name(topic);
    topic_data.partition_data = vec![data];
    let mut request = ProduceRequest::default();
    request.acks = acks;
    request.timeout_ms = 30_000;
    request.topic_data = vec![topic_data];
    request
}

pub fn fetch(topic: &str, partition: i32, offset: i64, max_wait_ms: i32) -> FetchRequest {
    let mut p = FetchPartition::default();
    p.partition = partition;
    p.fetch_offset = offset;
    p.partition_max_bytes = 1 << 20;
    let mut t = FetchTopic::default();
    t.topic = name(topic);
    t.partitions = vec![p];
    let mut request = FetchRequest::default();
    request.max_wait_ms = max_wait_ms;
    request.min_bytes = 1;
    request.max_bytes = 50 << 20;
    request.topics = vec![t];
    request
}

/// The one partition answer of a one-partition produce.
pub async fn produce_one(wire: &mut KafkaWire, request: ProduceRequest) -> PartitionProduceResponse {
    let mut response = wire.call(request, 9).await;
    response.responses.remove(0).partition_responses.remove(0)
}

#[tokio::test]
async fn api_versions_advertise_the_table_and_answer_newer_versions_per_kip_511() {
    let broker = TestBroker::start_with_kafka(|_| {}).await;
    let mut wire = KafkaWire::connect(broker.kafka_addr.expect("kafka")).await;
    let response = wire.call(ApiVersionsRequest::default(), 3).await;
    assert_eq!(response.error_code, 0);
    let produce = response.api_keys.iter().find(|k| k.api_key == ApiKey::Produce as i16).expect("Produce");
    assert_eq!((produce.min_version, produce.max_version), (0, 9), "v0 advertised for older librdkafka");
    let fetch = response.api_keys.iter().find(|k| k.api_key == ApiKey::Fetch as i16).expect("Fetch");
    assert_eq!(fetch.max_version, 12, "no topic ids yet");

    // A client newer than strata asks with ApiVersions v9: the answer is v0 with error 35.
    let mut frame = vec![0, 18, 0, 9, 0, 0, 0, 42, 0, 0];
    frame.extend_from_slice(b"whatever a future version carries");
    wire.send_raw(&frame).await;
    let mut answer = wire.read_frame().await.expect("a KIP-511 answer");
    assert_eq!(&answer[..4], &42i32.to_be_bytes(), "correlation id, header v0");
    let v0 = {
        use kafka_protocol::protocol::Decodable;
        let _ = answer.split_to(4);
        kafka_protocol::messages::ApiVersionsResponse::decode(&mut answer, 0).expect("v0 body")
    };
    assert_eq!(v0.error_code, 35, "UNSUPPORTED_VERSION");
    assert!(v0.api_keys.iter().any(|k| k.api_key == ApiKey::ApiVersions as i16 && k.max_version == 4));
}

#[tokio::test]
async fn a_produced_batch_is_stored_as_sent_and_read_back_over_both_protocols() {
    let broker = TestBroker::start_with_kafka(|_| {}).await;
    let mut client = broker.client().await;
    create_topic(&mut client, "k", 1).await;
    let mut wire = KafkaWire::connect(broker.kafka_addr.expect("kafka")).await;
    let first = produce_one(&mut wire, produce("k", 0, batch(&[("a", "1"), ("b", "2")]), -1)).await;
    assert_eq!((first.error_code, first.base_offset), (0, 0));
    let sent = batch(&[("c", "3")]);
    let second = produce_one(&mut wire, produce("k", 0, sent.clone(), 1)).await;
    assert_eq!((second.error_code, second.base_offset), (0, 2));

    let mut fetched = wire.call(fetch("k", 0, 2, 0), 12).await;
    let partition = fetched.responses.remove(0).partitions.remove(0);
    assert_eq!((partition.error_code, partition.high_watermark, partition.last_stable_offset), (0, 3, 3));
    assert_eq!(partition.preferred_read_replica.0, -1);
    let stored = partition.records.expect("records");
    assert_eq!(stored.len(), sent.len(), "one batch, as sent");
    assert_eq!(&stored[..8], &2i64.to_be_bytes(), "base offset patched");
    assert_eq!(&stored[12..16], &0i32.to_be_bytes(), "leader epoch 0 on a single broker");
    assert_eq!(&stored[16..], &sent[16..], "the rest, CRC included, untouched");

    let records = fetch_all(&mut client, "k", 0, 0).await;
    let seen: Vec<(i64, &[u8], &[u8])> =
        records.iter().map(|r| (r.offset, r.key.as_deref().unwrap_or_default(), r.value.as_ref())).collect();
    assert_eq!(seen, vec![(0, &b"a"[..], &b"1"[..]), (1, b"b", b"2"), (2, b"c", b"3")]);
    assert_eq!(records[0].headers.get("source").map(|v| v.as_ref()), Some(&b"kafka"[..]));
    assert_eq!(records[0].timestamp_ms, 1_000, "the producer's CreateTime");
}

#[tokio::test]
async fn pipelined_requests_are_answered_in_order_and_acks_zero_gets_no_answer() {
    let broker = TestBroker::start_with_kafka(|_| {}).await;
    create_topic(&mut broker.client().await, "k", 1).await;
    let mut wire = KafkaWire::connect(broker.kafka_addr.expect("kafka")).await;
    let mut sent = Vec::new();
    for i in 0..20 {
        let acks = if i % 5 == 4 { 0 } else { -1 };
        let id = wire.send(&produce("k", 0, batch(&[("k", "v")]), acks), 9).await;
        if acks != 0 {
            sent.push(id);
        }
    }
    let marker = wire.send(&ApiVersionsRequest::default(), 3).await;
    let mut offsets = Vec::new();
    for expected in sent {
        let (id, mut response) = wire.receive::<ProduceRequest>(9).await;
        assert_eq!(id, expected, "in request order, with no answer for acks=0");
        offsets.push(response.responses.remove(0).partition_responses.remove(0).base_offset);
    }
    assert!(offsets.windows(2).all(|w| w[0] < w[1]), "queued in the order sent: {offsets:?}");
    let (id, _) = wire.receive::<ApiVersionsRequest>(3).await;
    assert_eq!(id, marker);
    let hwm = wire.call(fetch("k", 0, 0, 0), 12).await.responses[0].partitions[0].high_watermark;
    assert_eq!(hwm, 20, "the acks=0 batches were stored too");
}

#[tokio::test]
async fn a_fetch_at_the_end_waits_for_the_next_batch() {
    let broker = TestBroker::start_with_kafka(|_| {}).await;
    create_topic(&mut broker.client().await, "k", 1).await;
    let addr = broker.kafka_addr.expect("kafka");
    let mut reader = KafkaWire::connect(addr).await;
    let waiting = reader.send(&fetch("k", 0, 0, 20_000), 12).await;
    let mut writer = KafkaWire::connect(addr).await;
    assert_eq!(produce_one(&mut writer, produce("k", 0, batch(&[("k", "late")]), -1)).await.error_code, 0);
    let (id, response) = reader.receive::<FetchRequest>(12).await;
    assert_eq!(id, waiting);
    let records = response.responses[0].partitions[0].records.clone().expect("records");
    assert!(!records.is_empty(), "the batch that arrived while the fetch waited");
}

#[tokio::test]
async fn bad_batches_get_kafkas_error_codes_and_store_nothing() {
    let broker = TestBroker::start_with_kafka(|_| {}).await;
    create_topic(&mut broker.client().await, "k", 1).await;
    let mut wire = KafkaWire::connect(broker.kafka_addr.expect("kafka")).await;
    let good = batch(&[("k", "v")]);
    let mut flipped = good.to_vec();
    let last = flipped.len() - 1;
    flipped[last] ^= 1;
    let mut old_format = good.to_vec();
    old_format[16] = 1;
    let mut control = good.to_vec();
    control[22] |= 0x20; // attributes low byte: the control bit, with the CRC made right again
    let crc = crc32c::crc32c(&control[21..]);
    control[17..21].copy_from_slice(&crc.to_be_bytes());
    let cases: Vec<(&str, Bytes, i16, i16)> = vec![
        ("a CRC mismatch", Bytes::from(flipped), -1, 2),
        ("message format v1", Bytes::from(old_format), -1, 43),
        ("two batches in one", [good.clone(), good.clone()].concat().into(), -1, 2),
        ("a control batch", Bytes::from(control), -1, 87),
        ("acks 2", good.clone(), 2, 42),
    ];
    for (case, records, acks, code) in cases {
        let answer = produce_one(&mut wire, produce("k", 0, records, acks)).await;
        assert_eq!(answer.error_code, code, "{case}: {:?}", answer.error_message);
    }
    let unknown = produce_one(&mut wire, produce("nope", 0, good.clone(), -1)).await;
    assert_eq!(unknown.error_code, 3, "UNKNOWN_TOPIC_OR_PARTITION: topics are not auto-created");
    let partition = produce_one(&mut wire, produce("k", 7, good, -1)).await;
    assert_eq!(partition.error_code, 3);
    let hwm = wire.call(fetch("k", 0, 0, 0), 12).await.responses[0].partitions[0].high_watermark;
    assert_eq!(hwm, 0, "nothing was stored");
}

#[tokio::test]
async fn list_offsets_finds_the_ends_and_times() {
    let broker = TestBroker::start_with_kafka(|_| {}).await;
    create_topic(&mut broker.client().await, "k", 1).await;
    let mut wire = KafkaWire::connect(broker.kafka_addr.expect("kafka")).await;
    for _ in 0..3 {
        produce_one(&mut wire, produce("k", 0, batch(&[("k", "v"), ("k", "w")]), -1)).await;
    }
    for (timestamp, expected) in [(-2, 0), (-1, 6), (1_000, 0), (1_001, 6), (-3, 0)] {
        let mut p = ListOffsetsPartition::default();
        p.timestamp = timestamp;
        let mut t = ListOffsetsTopic::default();
        t.name = name("k");
        t.partitions = vec![p];
        let mut request = ListOffsetsRequest::default();
        request.topics = vec![t];
        // -3 (the largest timestamp: every record has 1,000, the first wins) is v7's.
        for version in if timestamp == -3 { vec![7] } else { vec![1, 6, 7] } {
            let response = wire.call(request.clone(), version).await;
            let answer = &response.topics[0].partitions[0];
            assert_eq!((answer.error_code, answer.offset), (0, expected), "timestamp {timestamp} v{version}");
        }
    }
}

#[tokio::test]
async fn grpc_producers_may_ask_for_compressed_batches_that_both_protocols_read() {
    use strata::proto;
    let broker = TestBroker::start_with_kafka(|_| {}).await;
    let mut client = broker.client().await;
    create_topic(&mut client, "z", 1).await;
    let codecs =
        [proto::Compression::Gzip, proto::Compression::Snappy, proto::Compression::Lz4, proto::Compression::Zstd];
    for codec in codecs {
        let records =
            (0..20).map(|i| crate::support::keyed("k", format!("{codec:?} record {i} {}", "x".repeat(100)))).collect();
        let request = proto::ProduceRequest {
            topic: "z".into(),
            partition: Some(0),
            records,
            compression: codec as i32,
            ..Default::default()
        };
        client.produce(request).await.expect("produce");
    }
    let records = fetch_all(&mut client, "z", 0, 0).await;
    assert_eq!(records.len(), 80, "gRPC reads every compressed batch");
    assert_eq!(records[79].value, format!("Zstd record 19 {}", "x".repeat(100)).as_bytes());

    let mut wire = KafkaWire::connect(broker.kafka_addr.expect("kafka")).await;
    let fetched = wire.call(fetch("z", 0, 0, 0), 12).await;
    let mut stored = fetched.responses[0].partitions[0].records.clone().expect("records");
    let mut codes = Vec::new();
    while stored.len() >= 61 {
        let len = i32::from_be_bytes([stored[8], stored[9], stored[10], stored[11]]) as usize + 12;
        let batch = stored.split_to(len);
        codes.push(i16::from_be_bytes([batch[21], batch[22]]) & 0x07);
        let (_, decoded) = strata::storage::batch::decode(&batch).expect("a Kafka reader's view decodes");
        assert_eq!(decoded.len(), 20);
    }
    assert_eq!(codes, vec![1, 2, 3, 4], "stored with the codec asked for");
}
