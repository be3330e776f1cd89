//! Kafka admin and coordinator requests: Metadata, CreateTopics (with configs) and
//! DeleteTopics, InitProducerId, FindCoordinator, OffsetCommit and OffsetFetch, each seen from
//! gRPC too (one catalog, one set of committed offsets).
use kafka_protocol::messages::create_topics_request::{CreatableTopic, CreatableTopicConfig, CreateTopicsRequest};
use kafka_protocol::messages::delete_topics_request::DeleteTopicsRequest;
use kafka_protocol::messages::find_coordinator_request::FindCoordinatorRequest;
use kafka_protocol::messages::init_producer_id_request::InitProducerIdRequest;
use kafka_protocol::messages::metadata_request::{MetadataRequest, MetadataRequestTopic};
use kafka_protocol::messages::offset_commit_request::{
    OffsetCommitRequest, OffsetCommitRequestPartition, OffsetCommitRequestTopic,
};
use kafka_protocol::messages::offset_fetch_request::{OffsetFetchRequest, OffsetFetchRequestTopic};
use kafka_protocol::messages::{GroupId, ProducerId};
use kafka_protocol::protocol::StrBytes;
use strata::proto;

use crate::kafka_protocol::{name, produce, produce_one};
use crate::kafka_wire::{KafkaWire, batch};
use crate::support::{TestBroker, create_topic, describe};

pub fn creatable(topic: &str, partitions: i32, configs: &[(&str, &str)]) -> CreatableTopic {
    let mut t = CreatableTopic::default();
    t.name = name(topic);
    t.num_partitions = partitions;
    t.replication_factor = -1;
    t.configs = configs
        .iter()
        .map(|(k, v)| {
            let mut c = CreatableTopicConfig::default();
            c.name = StrBytes::from_string(k.to_string());
            c.value = Some(StrBytes::from_string(v.to_string()));
            c
        })
        .collect();
    t
}

#[tokio::test]
async fn topics_created_and_deleted_over_kafka_are_strata_topics() {
    let broker = TestBroker::start_with_kafka(|_| {}).await;
    let mut client = broker.client().await;
    let mut wire = KafkaWire::connect(broker.kafka_addr.expect("kafka")).await;
    let mut request = CreateTopicsRequest::default();
    request.topics = vec![
        creatable("orders", 3, &[("retention.ms", "3600000"), ("cleanup.policy", "delete")]),
        creatable("odd", 1, &[("segment.bytes", "1024")]),
        creatable("bad/name", 1, &[]),
        creatable("none", 0, &[]),
    ];
    let response = wire.call(request.clone(), 7).await;
    let codes: Vec<i16> = response.topics.iter().map(|t| t.error_code).collect();
    assert_eq!(codes, vec![0, 40, 17, 37], "ok, INVALID_CONFIG, INVALID_TOPIC_EXCEPTION, INVALID_PARTITIONS");
    assert!(response.topics[1].error_message.as_deref().is_some_and(|m| m.contains("segment.bytes")));
    assert_eq!(response.topics[0].num_partitions, 3);
    let again = wire.call(request, 7).await;
    assert_eq!(again.topics[0].error_code, 36, "TOPIC_ALREADY_EXISTS");

    let topic = describe(&mut client, "orders").await;
    assert_eq!(topic.partition_count, 3);
    assert_eq!(topic.config.and_then(|c| c.retention_ms), Some(3_600_000), "the config reached the catalog");

    create_topic(&mut client, "from-grpc", 2).await;
    let mut metadata = MetadataRequest::default();
    let mut wanted = MetadataRequestTopic::default();
    wanted.name = Some(name("from-grpc"));
    let mut missing = MetadataRequestTopic::default();
    missing.name = Some(name("missing"));
    metadata.topics = Some(vec![wanted, missing]);
    let answer = wire.call(metadata, 12).await;
    assert_eq!(answer.brokers.len(), 1);
    assert_eq!(answer.brokers[0].port, i32::from(broker.kafka_addr.expect("kafka").port()));
    assert_eq!(answer.topics[0].partitions.len(), 2);
    assert_eq!(answer.topics[0].partitions[0].leader_id, answer.brokers[0].node_id);
    assert_eq!(answer.topics[1].error_code, 3, "not auto-created");
    let mut every = MetadataRequest::default();
    every.topics = None;
    let all = wire.call(every, 12).await;
    assert_eq!(all.topics.len(), 2, "null topics lists every topic");

    let mut delete = DeleteTopicsRequest::default();
    delete.topic_names = vec![name("orders"), name("missing")];
    let deleted = wire.call(delete, 5).await;
    let codes: Vec<i16> = deleted.responses.iter().map(|r| r.error_code).collect();
    assert_eq!(codes, vec![0, 3]);
    let listed = client.list_topics(proto::ListTopicsRequest {}).await.expect("list").into_inner();
    assert_eq!(listed.topics.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(), vec!["from-grpc"]);
}

#[tokio::test]
async fn an_idempotent_producer_gets_an_id_and_a_retry_is_stored_once() {
    let broker = TestBroker::start_with_kafka(|_| {}).await;
    create_topic(&mut broker.client().await, "k", 1).await;
    let mut wire = KafkaWire::connect(broker.kafka_addr.expect("kafka")).await;
    let mut init = InitProducerIdRequest::default();
    init.producer_id = ProducerId(-1);
    init.producer_epoch = -1;
    let identity = wire.call(init, 4).await;
    assert_eq!(identity.error_code, 0);
    assert!(identity.producer_id.0 >= 0);
    let sequenced = |sequence: i32| {
        let mut bytes = batch(&[("k", "v")]).to_vec();
        bytes[43..51].copy_from_slice(&identity.producer_id.0.to_be_bytes());
        bytes[51..53].copy_from_slice(&identity.producer_epoch.to_be_bytes());
        bytes[53..57].copy_from_slice(&sequence.to_be_bytes());
        let crc = crc32c::crc32c(&bytes[21..]);
        bytes[17..21].copy_from_slice(&crc.to_be_bytes());
        bytes::Bytes::from(bytes)
    };
    let first = produce_one(&mut wire, produce("k", 0, sequenced(0), -1)).await;
    let retry = produce_one(&mut wire, produce("k", 0, sequenced(0), -1)).await;
    assert_eq!((first.error_code, retry.error_code), (0, 0));
    assert_eq!(retry.base_offset, first.base_offset, "the retry is answered with the original's offset");
    let gap = produce_one(&mut wire, produce("k", 0, sequenced(5), -1)).await;
    assert_eq!(gap.error_code, 45, "OUT_OF_ORDER_SEQUENCE_NUMBER");
    let leader = produce_one(&mut wire, produce("k", 0, sequenced(1), 1)).await;
    assert_eq!(leader.error_code, 42, "an idempotent producer must use acks=all");

    let mut transactional = InitProducerIdRequest::default();
    transactional.transactional_id = Some(kafka_protocol::messages::TransactionalId(StrBytes::from_static_str("tx")));
    assert_eq!(wire.call(transactional, 4).await.error_code, 53, "transactions are not supported");
}

#[tokio::test]
async fn offsets_committed_over_kafka_are_the_groups_offsets_over_grpc() {
    let broker = TestBroker::start_with_kafka(|_| {}).await;
    let mut client = broker.client().await;
    create_topic(&mut client, "k", 2).await;
    let mut wire = KafkaWire::connect(broker.kafka_addr.expect("kafka")).await;
    for _ in 0..4 {
        produce_one(&mut wire, produce("k", 1, batch(&[("k", "v")]), -1)).await;
    }
    let mut find = FindCoordinatorRequest::default();
    find.key = StrBytes::from_static_str("g");
    let coordinator = wire.call(find, 3).await;
    assert_eq!((coordinator.error_code, coordinator.port), (0, i32::from(broker.kafka_addr.expect("kafka").port())));

    let mut partition = OffsetCommitRequestPartition::default();
    partition.partition_index = 1;
    partition.committed_offset = 3;
    partition.committed_metadata = Some(StrBytes::from_static_str("meta"));
    let mut topic = OffsetCommitRequestTopic::default();
    topic.name = name("k");
    topic.partitions = vec![partition];
    let mut commit = OffsetCommitRequest::default();
    commit.group_id = GroupId(StrBytes::from_static_str("g"));
    commit.generation_id_or_member_epoch = -1;
    commit.topics = vec![topic];
    let committed = wire.call(commit, 8).await;
    assert_eq!(committed.topics[0].partitions[0].error_code, 0);

    let mut wanted = OffsetFetchRequestTopic::default();
    wanted.name = name("k");
    wanted.partition_indexes = vec![0, 1];
    let mut fetch = OffsetFetchRequest::default();
    fetch.group_id = GroupId(StrBytes::from_static_str("g"));
    fetch.topics = Some(vec![wanted]);
    let offsets = wire.call(fetch, 7).await;
    let got: Vec<(i32, i64)> =
        offsets.topics[0].partitions.iter().map(|p| (p.partition_index, p.committed_offset)).collect();
    assert_eq!(got, vec![(0, -1), (1, 3)], "-1 where nothing is committed");

    let request = proto::FetchCommittedOffsetsRequest { group: "g".into(), topic: "k".into(), partitions: vec![1] };
    let grpc = client.fetch_committed_offsets(request).await.expect("committed over gRPC").into_inner();
    assert_eq!(grpc.offsets[0].offset, 3);
    assert_eq!(grpc.offsets[0].metadata, "meta");
}

#[tokio::test]
async fn auto_create_topics_creates_what_metadata_names_when_the_client_allows() {
    let broker = TestBroker::start_with_kafka(|config| {
        config.auto_create_topics = true;
        config.default_partitions = 3;
    })
    .await;
    let mut wire = KafkaWire::connect(broker.kafka_addr.expect("kafka")).await;
    let ask = |topic: &str, allow: bool| {
        let mut wanted = MetadataRequestTopic::default();
        wanted.name = Some(name(topic));
        let mut request = MetadataRequest::default();
        request.topics = Some(vec![wanted]);
        request.allow_auto_topic_creation = allow;
        request
    };
    let created = wire.call(ask("auto", true), 12).await;
    assert_eq!((created.topics[0].error_code, created.topics[0].partitions.len()), (0, 3));
    let not_allowed = wire.call(ask("manual", false), 12).await;
    assert_eq!(not_allowed.topics[0].error_code, 3, "the client did not allow it");
    let invalid = wire.call(ask("bad/name", true), 12).await;
    assert_eq!(invalid.topics[0].error_code, 17, "INVALID_TOPIC_EXCEPTION");
    let topic = describe(&mut broker.client().await, "auto").await;
    assert_eq!(topic.partition_count, 3);
}

#[tokio::test]
async fn offset_delete_removes_some_partitions_offsets_unless_the_group_reads_the_topic() {
    use kafka_protocol::messages::offset_delete_request::{
        OffsetDeleteRequest, OffsetDeleteRequestPartition, OffsetDeleteRequestTopic,
    };
    let broker = TestBroker::start_with_kafka(|_| {}).await;
    let mut client = broker.client().await;
    create_topic(&mut client, "k", 2).await;
    for p in 0..2 {
        crate::support::produce_to(&mut client, "k", p, vec![crate::support::record("v")]).await;
    }
    let commit = |group: &str| proto::CommitOffsetsRequest {
        group: group.into(),
        topic: "k".into(),
        offsets: (0..2).map(|partition| proto::OffsetCommit { partition, offset: 1, ..Default::default() }).collect(),
        ..Default::default()
    };
    client.commit_offsets(commit("idle")).await.expect("commit");
    let delete = |group: &'static str| {
        let mut partition = OffsetDeleteRequestPartition::default();
        partition.partition_index = 0;
        let mut topic = OffsetDeleteRequestTopic::default();
        topic.name = name("k");
        topic.partitions = vec![partition];
        let mut request = OffsetDeleteRequest::default();
        request.group_id = GroupId(StrBytes::from_static_str(group));
        request.topics = vec![topic];
        request
    };
    let mut wire = KafkaWire::connect(broker.kafka_addr.expect("kafka")).await;
    let deleted = wire.call(delete("idle"), 0).await;
    assert_eq!((deleted.error_code, deleted.topics[0].partitions[0].error_code), (0, 0));
    let request = proto::FetchCommittedOffsetsRequest { group: "idle".into(), topic: "k".into(), partitions: vec![] };
    let left = client.fetch_committed_offsets(request).await.expect("committed").into_inner();
    assert_eq!(left.offsets.iter().map(|o| o.offset).collect::<Vec<_>>(), vec![-1, 1], "only partition 0's went");

    let join = proto::JoinGroupRequest { group: "busy".into(), topics: vec!["k".into()], ..Default::default() };
    client.join_group(join).await.expect("a member reading k");
    let refused = wire.call(delete("busy"), 0).await;
    assert_eq!(refused.topics[0].partitions[0].error_code, 86, "GROUP_SUBSCRIBED_TO_TOPIC");
}

#[tokio::test]
async fn validate_only_answers_what_would_be_created_and_creates_nothing() {
    let broker = TestBroker::start_with_kafka(|config| config.default_partitions = 3).await;
    let mut wire = KafkaWire::connect(broker.kafka_addr.expect("kafka")).await;
    let mut request = CreateTopicsRequest::default();
    request.topics = vec![creatable("one", 1, &[]), creatable("default", -1, &[])];
    request.validate_only = true;
    let answer = wire.call(request, 7).await;
    let counts: Vec<(i16, i32)> = answer.topics.iter().map(|t| (t.error_code, t.num_partitions)).collect();
    assert_eq!(counts, vec![(0, 1), (0, 3)], "the count asked for, else the broker's default");
    let listed = broker.client().await.list_topics(proto::ListTopicsRequest {}).await.expect("list").into_inner();
    assert!(listed.topics.is_empty(), "validate_only created nothing");
}

/// A topic that exists is TOPIC_ALREADY_EXISTS (36), whatever else the request asks: here more
/// copies than the one broker, which alone would be INVALID_REPLICATION_FACTOR (38). Kafka's
/// controller judges existence first, with validate_only too.
#[tokio::test]
async fn an_existing_topic_is_told_before_its_replication_factor() {
    let broker = TestBroker::start_with_kafka(|_| {}).await;
    create_topic(&mut broker.client().await, "t", 1).await;
    let mut wire = KafkaWire::connect(broker.kafka_addr.expect("kafka")).await;
    for (validate_only, name) in [(true, "t"), (false, "t"), (true, "new")] {
        let mut topic = creatable(name, 1, &[]);
        topic.replication_factor = 2;
        let mut request = CreateTopicsRequest::default();
        request.topics = vec![topic];
        request.validate_only = validate_only;
        let answer = wire.call(request, 7).await;
        let expected = if name == "t" { 36 } else { 38 };
        assert_eq!(answer.topics[0].error_code, expected, "{name}, validate_only {validate_only}");
    }
}
