//! AlterTopicConfig and AddPartitions, and the effective configuration DescribeTopic reports.
use strata::proto::{self, ConfigSource};
use tonic::Code;

use crate::support::*;

fn effective(topic: &proto::Topic) -> ((i64, i32), (i64, i32)) {
    let e = topic.effective_config.expect("effective config");
    let (ms, bytes) = (e.retention_ms.expect("ms"), e.retention_bytes.expect("bytes"));
    ((ms.value, ms.source), (bytes.value, bytes.source))
}

#[tokio::test]
async fn describe_shows_effective_retention_and_its_source() {
    let broker = TestBroker::start_with(|c| c.retention.bytes = 1 << 30).await;
    let mut client = broker.client().await;
    let topic = create_topic(&mut client, "t", 1).await;
    let default = ConfigSource::BrokerDefault as i32;
    assert_eq!(effective(&topic), ((7 * 86_400_000, default), (1 << 30, default)));

    let alter = |config: proto::TopicConfig, reset: Vec<String>| proto::AlterTopicConfigRequest {
        name: "t".into(),
        config: Some(config),
        reset,
    };
    let config = proto::TopicConfig { retention_ms: Some(60_000), retention_bytes: None };
    let altered = client.alter_topic_config(alter(config, vec![])).await.expect("alter").into_inner();
    let topic_source = ConfigSource::Topic as i32;
    assert_eq!(effective(&altered.topic.expect("topic")), ((60_000, topic_source), (1 << 30, default)));

    let broker = broker.restart().await;
    let mut client = broker.client().await;
    let described = describe(&mut client, "t").await;
    assert_eq!(described.config.expect("config").retention_ms, Some(60_000), "overrides survive a restart");

    let reset = client.alter_topic_config(alter(proto::TopicConfig::default(), vec!["retention_ms".into()])).await;
    assert_eq!(effective(&reset.expect("reset").into_inner().topic.expect("topic")).0, (7 * 86_400_000, default));

    let bad = proto::TopicConfig { retention_ms: Some(0), retention_bytes: None };
    let status = client.alter_topic_config(alter(bad, vec![])).await.expect_err("zero retention");
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(status.message().contains("retention_ms"), "{}", status.message());
    let status = client.alter_topic_config(alter(proto::TopicConfig::default(), vec!["colour".into()])).await;
    assert_eq!(status.expect_err("unknown reset").code(), Code::InvalidArgument);
}

#[tokio::test]
async fn add_partitions_grows_a_topic_and_never_shrinks_it() {
    let broker = TestBroker::start().await;
    let mut client = broker.client().await;
    create_topic(&mut client, "t", 2).await;
    produce_to(&mut client, "t", 1, vec![record("kept")]).await;
    let add = |count| proto::AddPartitionsRequest { name: "t".into(), count };

    let grown = client.add_partitions(add(5)).await.expect("add").into_inner().topic.expect("topic");
    assert_eq!(grown.partition_count, 5);
    assert_eq!(grown.partitions[1].high_watermark, 1, "existing partitions keep their data");
    assert_eq!(produce_to(&mut client, "t", 4, vec![record("new")]).await, 0);

    for count in [5, 3, 10_001] {
        let status = client.add_partitions(add(count)).await.expect_err("not a growth");
        assert_eq!(status.code(), Code::InvalidArgument, "count {count}");
        assert!(status.message().contains("has 5 partitions"), "{}", status.message());
    }
    let missing = proto::AddPartitionsRequest { name: "missing".into(), count: 3 };
    assert_eq!(client.add_partitions(missing).await.expect_err("unknown").code(), Code::NotFound);

    let broker = broker.restart().await;
    let mut client = broker.client().await;
    assert_eq!(describe(&mut client, "t").await.partition_count, 5);
    assert_eq!(fetch_all(&mut client, "t", 4, 0).await.len(), 1);
}
