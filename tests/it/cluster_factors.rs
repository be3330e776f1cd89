//! Topics of several replication factors in one cluster (`--topic-replication-factors`): each
//! topic's partitions keep the copies it asked for, on that many brokers; a factor the cluster
//! did not form with is refused, naming those it did; a broker's death stops only the
//! partitions of factor 1 it kept, which come back with it, while the others carry on.
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use strata::broker::shards::Shards;
use strata::proto;
use tonic::Code;

use kafka_protocol::messages::create_topics_request::CreateTopicsRequest;
use kafka_protocol::messages::create_topics_response::CreatableTopicResult;

use crate::cluster::{Cluster, wait_caught_up};
use crate::kafka_admin::creatable;
use crate::kafka_wire::KafkaWire;
use crate::support::*;

const PARTITIONS: u32 = 3;
/// Records written to each partition before and after the broker's death.
const EACH: usize = 20;

/// Creates topic `name`, sent on to the metadata shard's leader by any broker.
async fn create(client: &mut Client, name: &str, replication_factor: Option<u32>) -> Result<(), tonic::Status> {
    let request = proto::CreateTopicRequest {
        name: name.into(),
        partitions: PARTITIONS,
        replication_factor,
        ..Default::default()
    };
    create_topic_as(client, request).await.map(|_| ())
}

/// Every acknowledged record of `topic`'s partitions, once and in order (`rounds` of writes).
async fn check_stored(client: &mut Client, topic: &str, rounds: usize) {
    for partition in 0..PARTITIONS {
        let values: Vec<String> = fetch_all(client, topic, partition, 0)
            .await
            .iter()
            .map(|r| String::from_utf8_lossy(&r.value).to_string())
            .collect();
        let expected: Vec<String> =
            (0..rounds).flat_map(|round| (0..EACH).map(move |i| format!("{topic}-{partition}-{round}-{i}"))).collect();
        assert_eq!(values, expected, "{topic}/{partition} holds every acknowledged record once, in order");
    }
}

/// Removes broker `id`, retried while the metadata shard elects a leader (UNAVAILABLE).
async fn remove(client: &mut Client, id: u64) -> Result<(), tonic::Status> {
    for _ in 0..50 {
        match client.remove_broker(proto::RemoveBrokerRequest { node_id: id }).await {
            Err(status) if status.code() == Code::Unavailable => tokio::time::sleep(Duration::from_millis(200)).await,
            answered => return answered.map(|_| ()),
        }
    }
    panic!("broker {id}'s removal was never answered");
}

/// The shards' voters, once broker `gone` is a member of none (bounded).
async fn voters_without(client: &mut Client, gone: u64) -> BTreeMap<u64, Vec<u64>> {
    for _ in 0..300 {
        let status = client.cluster_status(proto::ClusterStatusRequest {}).await.expect("status").into_inner();
        let voters: BTreeMap<u64, Vec<u64>> = status.shards.iter().map(|s| (s.shard, s.members.clone())).collect();
        if voters.values().all(|members| !members.is_empty() && !members.contains(&gone)) {
            return voters;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("broker {gone} never left every shard");
}

/// Topic `name` as `client`'s broker describes it, once every partition has a leader (bounded).
async fn placed(client: &mut Client, name: &str) -> proto::Topic {
    for _ in 0..100 {
        let request = proto::DescribeTopicRequest { name: name.into() };
        // Not found until this broker applied the creation.
        let topic = client.describe_topic(request).await.ok().and_then(|r| r.into_inner().topic);
        if let Some(topic) = topic.filter(|t| t.partitions.iter().all(|p| p.leader.is_some() && !p.replicas.is_empty()))
        {
            return topic;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("topic {name}'s partitions never all had a leader");
}

/// CreateTopics, sent to the controller (the metadata shard's leader) as Kafka clients do:
/// "kafka-one" at factor 1 is created; factor 2 is INVALID_REPLICATION_FACTOR, saying why,
/// unless the topic exists: TOPIC_ALREADY_EXISTS comes first, as Kafka's controller answers.
async fn kafka_clients_ask_for_a_factor_too(cluster: &Cluster) {
    let one = kafka_create(cluster, "kafka-one", 1).await;
    assert_eq!((one.error_code, one.replication_factor), (0, 1), "{one:?}");
    let again = kafka_create(cluster, "kafka-one", 2).await;
    assert_eq!(again.error_code, 36, "TOPIC_ALREADY_EXISTS: {again:?}");
    let again = kafka_create(cluster, "kafka-one", 0).await;
    assert_eq!(again.error_code, 36, "TOPIC_ALREADY_EXISTS before a factor of 0 is judged: {again:?}");
    let two = kafka_create(cluster, "kafka-two", 2).await;
    assert_eq!(two.error_code, 38, "INVALID_REPLICATION_FACTOR");
    let message = two.error_message.as_ref().map(|m| m.to_string()).unwrap_or_default();
    assert!(message.contains("pass 3 or 1"), "names the factors: {message}");
}

/// One topic's CreateTopics result at the controller, sent again while the controller moves
/// (NOT_LEADER_OR_FOLLOWER; bounded). Sent again after a move, a topic created by the first
/// send answers as created.
async fn kafka_create(cluster: &Cluster, topic: &str, replication_factor: i16) -> CreatableTopicResult {
    let mut sent_before = false;
    for _ in 0..50 {
        let controller = cluster.shard_leader(0).await;
        let mut wire = KafkaWire::connect(cluster.kafka[controller]).await;
        let mut creatable = creatable(topic, 3, &[]);
        creatable.replication_factor = replication_factor;
        let mut request = CreateTopicsRequest::default();
        request.topics = vec![creatable];
        let mut result = wire.call(request, 7).await.topics.pop().expect("a result");
        match result.error_code {
            6 => tokio::time::sleep(Duration::from_millis(100)).await,
            36 if sent_before => {
                (result.error_code, result.replication_factor) = (0, replication_factor);
                return result;
            }
            _ => return result,
        }
        sent_before = true;
    }
    panic!("the controller never took the CreateTopics of {topic}");
}

async fn write(client: &mut Client, topic: &str, partition: u32, round: usize) {
    let records = (0..EACH).map(|i| record(format!("{topic}-{partition}-{round}-{i}"))).collect();
    produce_to(client, topic, partition, records).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_topic_keeps_the_copies_it_asks_for() {
    let mut cluster = Cluster::start_with(3, &["--topic-replication-factors", "1"]);
    cluster.leader().await;
    let mut admin = connect(cluster.addr(0)).await;

    let refused = create(&mut admin, "two", Some(2)).await.expect_err("no shards keep two copies");
    assert_eq!(refused.code(), Code::FailedPrecondition, "{refused:?}");
    assert!(refused.message().contains("pass 3 or 1 or leave it unset"), "names the factors: {}", refused.message());
    create(&mut admin, "one", Some(1)).await.expect("factor 1");
    let again = create(&mut admin, "one", Some(2)).await.expect_err("exists");
    assert_eq!(again.code(), Code::AlreadyExists, "an existing topic is told so first: {again:?}");
    create(&mut admin, "three", None).await.expect("the default factor");

    kafka_clients_ask_for_a_factor_too(&cluster).await;
    let kafka_one = placed(&mut admin, "kafka-one").await;
    assert!(kafka_one.partitions.iter().all(|p| p.replicas.len() == 1), "{kafka_one:?}");

    let one = placed(&mut admin, "one").await;
    assert_eq!(one.replication_factor, 1);
    assert!(one.partitions.iter().all(|p| p.replicas.len() == 1 && p.leader == Some(p.replicas[0])));
    let keepers: BTreeSet<u64> = one.partitions.iter().map(|p| p.replicas[0]).collect();
    assert_eq!(keepers.len(), 3, "a copy of each factor-1 partition on its own broker: {one:?}");
    let three = placed(&mut admin, "three").await;
    assert_eq!(three.replication_factor, 3);
    assert!(three.partitions.iter().all(|p| p.replicas.len() == 3));

    for topic in ["one", "three"] {
        for partition in 0..PARTITIONS {
            write(&mut admin, topic, partition, 0).await;
        }
    }

    // The broker keeping "one"/0 dies: that partition stops; every other goes on.
    let keeper = one.partitions[0].replicas[0];
    let dead = keeper as usize - 1;
    cluster.kill_9(dead);
    let survivor = (dead + 1) % 3;
    let mut client = connect(cluster.addr(survivor)).await;
    for partition in 0..PARTITIONS {
        write(&mut client, "three", partition, 1).await;
    }
    for partition in 1..PARTITIONS {
        write(&mut client, "one", partition, 1).await;
    }
    let request = proto::ProduceRequest {
        topic: "one".into(),
        partition: Some(0),
        records: vec![record("lost")],
        ..Default::default()
    };
    let stopped = client.produce(request).await.expect_err("its only copy is down");
    assert_eq!(stopped.code(), Code::Unavailable, "{stopped:?}");
    let hint = |key: &str| stopped.metadata().get(key).and_then(|v| v.to_str().ok()).map(str::to_string);
    assert_eq!(hint("strata-reason").as_deref(), Some("NOT_LEADER"));
    assert!(hint("strata-leader-id").is_none_or(|id| id == keeper.to_string()), "{stopped:?}");
    let refused = remove(&mut client, keeper).await.expect_err("the only copy of a shard is down");
    assert_eq!(refused.code(), Code::FailedPrecondition, "{refused:?}");
    assert!(refused.message().contains("start it again"), "says what to do: {}", refused.message());
    let status = client.cluster_status(proto::ClusterStatusRequest {}).await.expect("status").into_inner();
    let meta = status.shards.iter().find(|s| s.shard == 0).expect("the metadata shard");
    assert!(meta.members.contains(&keeper) && meta.learners.is_empty(), "the refusal changed nothing: {meta:?}");

    // Back with its copy: nothing acknowledged is missing, and it takes writes again.
    cluster.restart(dead);
    write(&mut client, "one", 0, 1).await;
    check_stored(&mut client, "one", 2).await;
    check_stored(&mut client, "three", 2).await;

    // The restarted broker catches up on what it missed of "three".
    let ends = vec![2 * EACH as i64; PARTITIONS as usize];
    for i in 0..3 {
        wait_caught_up(cluster.addr(i), "three", &ends).await;
    }
    // Removed while running, it first hands its factor-1 copy to another broker.
    remove(&mut client, keeper).await.expect("removed while running");
    let voters = voters_without(&mut client, keeper).await;
    assert_eq!(voters.len(), 7, "the metadata shard, three shards of 3 copies and three of 1");
    let one_copy = voters.values().filter(|members| members.len() == 1).count();
    assert_eq!(one_copy, 3, "every factor-1 shard keeps its copy: {voters:?}");
    check_stored(&mut client, "one", 2).await;
    cluster.stop_and_compare_copies(&voters, Shards::new(3).with_other_factors(1 << 1));
}
