//! Kafka consumer groups with real clients: two confluent-kafka members of one group split a
//! topic's partitions (the classic protocol with eager and cooperative assignors, and KIP-848's
//! consumer protocol, where the broker assigns), commit, and kafka-python then resumes the
//! group where they stopped; the group is visible to strata's own group commands.
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use strata::proto;

use crate::kafka_clients::python;
use crate::support::{Client, TestBroker, create_topic, produce_to, record};

/// A running group member and the channel its one JSON line arrives on.
struct Member {
    child: Child,
    result: mpsc::Receiver<String>,
}

fn spawn_member(addr: SocketAddr, topic: &str, group: &str, assignor: &str) -> Member {
    let script = format!("{}/tests/clients/group_member.py", env!("CARGO_MANIFEST_DIR"));
    let mut child = Command::new("python3")
        .args([script.as_str(), &addr.to_string(), topic, group, assignor])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("python3 (`make deps` installs the Kafka clients)");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, result) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    Member { child, result }
}

impl Member {
    fn report(&self) -> serde_json::Value {
        let line = self.result.recv_timeout(Duration::from_secs(90)).expect("the member reports within 90 s");
        serde_json::from_str(&line).expect("JSON")
    }

    /// Closes stdin: the member leaves the group and exits.
    fn finish(mut self) {
        drop(self.child.stdin.take());
        for _ in 0..300 {
            if self.child.try_wait().expect("wait").is_some() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        panic!("a group member did not exit within 30 s of being told to");
    }
}

async fn fill(client: &mut Client, topic: &str, partitions: u32, per_partition: u32, tag: &str) {
    for p in 0..partitions {
        let records = (0..per_partition).map(|i| record(format!("{tag}-{p}-{i}"))).collect();
        produce_to(client, topic, p, records).await;
    }
}

async fn two_members_split_and_a_third_resumes(assignor: &str) {
    let broker = TestBroker::start_with_kafka(|_| {}).await;
    let addr = broker.kafka_addr.expect("kafka");
    let mut client = broker.client().await;
    let (topic, group) = ("gt", "readers");
    create_topic(&mut client, topic, 4).await;
    fill(&mut client, topic, 4, 10, "a").await;

    let members = [spawn_member(addr, topic, group, assignor), spawn_member(addr, topic, group, assignor)];
    let reports: Vec<serde_json::Value> = tokio::task::spawn_blocking(move || {
        let reports = members.iter().map(Member::report).collect();
        members.into_iter().for_each(Member::finish);
        reports
    })
    .await
    .expect("members");
    let assignment = |r: &serde_json::Value| -> Vec<u64> {
        r["assignment"].as_array().expect("assignment").iter().filter_map(|p| p.as_u64()).collect()
    };
    let (first, second) = (assignment(&reports[0]), assignment(&reports[1]));
    assert!(!first.is_empty() && !second.is_empty(), "both members hold partitions: {first:?} {second:?}");
    let mut all: Vec<u64> = first.iter().chain(&second).copied().collect();
    all.sort();
    assert_eq!(all, vec![0, 1, 2, 3], "disjoint and complete: {first:?} {second:?}");
    let mut read: Vec<String> = reports
        .iter()
        .flat_map(|r| r["seen"].as_array().expect("seen").iter().map(|s| s[2].as_str().expect("v").to_string()))
        .collect();
    read.sort();
    read.dedup();
    assert_eq!(read.len(), 40, "every record read by some member");

    let described = client
        .describe_group(proto::DescribeGroupRequest { group: group.into() })
        .await
        .expect("strata group describe")
        .into_inner();
    let lags: Vec<i64> = described.offsets.iter().map(|o| o.lag).collect();
    assert_eq!(lags, vec![0; 4], "the group's commits, as strata sees them: {described:?}");

    fill(&mut client, topic, 4, 2, "b").await;
    let resumed = python("group_resume.py", addr, topic, group).await;
    let mut values: Vec<String> =
        resumed["seen"].as_array().expect("seen").iter().map(|s| s[2].as_str().expect("v").to_string()).collect();
    values.sort();
    let expected: Vec<String> = (0..4).flat_map(|p| (0..2).map(move |i| format!("b-{p}-{i}"))).collect();
    assert_eq!(values, expected, "resumed at the committed offsets: only the new records");

    // strata's own tool moves the Kafka group back; the next Kafka consumer replays it all.
    let reset = Command::new(env!("CARGO_BIN_EXE_strata"))
        .args([
            "--broker",
            &broker.addr.to_string(),
            "group",
            "reset-offsets",
            group,
            "--topic",
            topic,
            "--to-earliest",
        ])
        .output()
        .expect("strata group reset-offsets");
    assert!(reset.status.success(), "{}", String::from_utf8_lossy(&reset.stderr));
    let replayed = python("group_resume.py", addr, topic, group).await;
    assert_eq!(replayed["seen"].as_array().map(Vec::len), Some(48), "every record again after the reset");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_members_split_a_topic_with_the_range_assignor_and_a_later_consumer_resumes() {
    two_members_split_and_a_third_resumes("range").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cooperative_sticky_members_split_a_topic_with_incremental_rebalances() {
    two_members_split_and_a_third_resumes("cooperative-sticky").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kip_848_members_split_a_topic_assigned_by_the_broker() {
    two_members_split_and_a_third_resumes("consumer").await;
}

#[tokio::test]
async fn group_errors_have_kafkas_codes() {
    use kafka_protocol::messages::GroupId;
    use kafka_protocol::messages::heartbeat_request::HeartbeatRequest;
    use kafka_protocol::messages::join_group_request::{JoinGroupRequest, JoinGroupRequestProtocol};
    use kafka_protocol::messages::offset_commit_request::{
        OffsetCommitRequest, OffsetCommitRequestPartition, OffsetCommitRequestTopic,
    };
    use kafka_protocol::messages::sync_group_request::SyncGroupRequest;
    use kafka_protocol::protocol::StrBytes;

    let broker = TestBroker::start_with_kafka(|_| {}).await;
    create_topic(&mut broker.client().await, "k", 1).await;
    let mut wire = crate::kafka_wire::KafkaWire::connect(broker.kafka_addr.expect("kafka")).await;
    let group = GroupId(StrBytes::from_static_str("g"));
    let join = |protocol_type: &'static str| {
        let mut protocol = JoinGroupRequestProtocol::default();
        protocol.name = StrBytes::from_static_str("range");
        let mut request = JoinGroupRequest::default();
        request.group_id = group.clone();
        request.session_timeout_ms = 10_000;
        request.rebalance_timeout_ms = 10_000;
        request.protocol_type = StrBytes::from_static_str(protocol_type);
        request.protocols = vec![protocol];
        request
    };
    let joined = wire.call(join("consumer"), 7).await;
    assert_eq!((joined.error_code, joined.generation_id), (0, 1));
    assert_eq!(joined.leader, joined.member_id, "a lone member leads");
    let other_type = wire.call(join("connect"), 7).await;
    assert_eq!(other_type.error_code, 23, "INCONSISTENT_GROUP_PROTOCOL");

    let mut sync = SyncGroupRequest::default();
    sync.group_id = group.clone();
    sync.generation_id = 1;
    sync.member_id = joined.member_id.clone();
    assert_eq!(wire.call(sync, 5).await.error_code, 0);

    let heartbeat = |member: StrBytes, generation: i32| {
        let mut request = HeartbeatRequest::default();
        request.group_id = group.clone();
        request.member_id = member;
        request.generation_id = generation;
        request
    };
    assert_eq!(wire.call(heartbeat(joined.member_id.clone(), 1), 4).await.error_code, 0);
    assert_eq!(wire.call(heartbeat(joined.member_id.clone(), 7), 4).await.error_code, 22, "ILLEGAL_GENERATION");
    assert_eq!(wire.call(heartbeat(StrBytes::from_static_str("ghost"), 1), 4).await.error_code, 25);

    let mut partition = OffsetCommitRequestPartition::default();
    partition.committed_offset = 0;
    let mut topic = OffsetCommitRequestTopic::default();
    topic.name = crate::kafka_protocol::name("k");
    topic.partitions = vec![partition];
    let mut commit = OffsetCommitRequest::default();
    commit.group_id = group.clone();
    commit.generation_id_or_member_epoch = 0;
    commit.member_id = joined.member_id.clone();
    commit.topics = vec![topic];
    let stale = wire.call(commit.clone(), 8).await;
    assert_eq!(stale.topics[0].partitions[0].error_code, 22, "a commit from an old generation");
    commit.generation_id_or_member_epoch = 1;
    assert_eq!(wire.call(commit, 8).await.topics[0].partitions[0].error_code, 0);
}

#[tokio::test]
async fn consumer_group_heartbeats_join_fence_and_leave() {
    use kafka_protocol::messages::GroupId;
    use kafka_protocol::messages::consumer_group_heartbeat_request::ConsumerGroupHeartbeatRequest;
    use kafka_protocol::messages::metadata_request::{MetadataRequest, MetadataRequestTopic};
    use kafka_protocol::protocol::StrBytes;

    let broker = TestBroker::start_with_kafka(|_| {}).await;
    create_topic(&mut broker.client().await, "k", 2).await;
    let mut wire = crate::kafka_wire::KafkaWire::connect(broker.kafka_addr.expect("kafka")).await;
    let beat = |epoch: i32| {
        let mut request = ConsumerGroupHeartbeatRequest::default();
        request.group_id = GroupId(StrBytes::from_static_str("g848"));
        request.member_id = StrBytes::from_static_str("member-chosen-by-client");
        request.member_epoch = epoch;
        request.subscribed_topic_names = Some(vec![crate::kafka_protocol::name("k")]);
        request
    };
    let joined = wire.call(beat(0), 1).await;
    assert_eq!(joined.error_code, 0, "{:?}", joined.error_message);
    assert_eq!(joined.member_id.as_deref(), Some("member-chosen-by-client"), "v1: the client's id");
    assert!(joined.member_epoch > 0);
    let assigned = joined.assignment.expect("an assignment");
    assert_eq!(assigned.topic_partitions.len(), 1);
    let topic_id = assigned.topic_partitions[0].topic_id;
    assert_eq!(assigned.topic_partitions[0].partitions, vec![0, 1], "a lone member gets every partition");

    // The assignment names the topic by id; Metadata resolves that id (and names it back).
    let mut by_id = MetadataRequestTopic::default();
    by_id.topic_id = topic_id;
    by_id.name = None;
    let mut metadata = MetadataRequest::default();
    metadata.topics = Some(vec![by_id]);
    let resolved = wire.call(metadata, 12).await;
    assert_eq!(resolved.topics[0].name.as_ref().map(|n| n.0.as_str()), Some("k"));
    assert_eq!(resolved.topics[0].topic_id, topic_id, "one id per topic, whichever way it is asked");

    let fenced = wire.call(beat(joined.member_epoch + 5), 1).await;
    assert_eq!(fenced.error_code, 110, "FENCED_MEMBER_EPOCH");
    let left = wire.call(beat(-1), 1).await;
    assert_eq!((left.error_code, left.member_epoch), (0, -1));
    let gone = wire.call(beat(1), 1).await;
    assert_eq!(gone.error_code, 25, "UNKNOWN_MEMBER_ID after leaving");
}
