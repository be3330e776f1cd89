//! Consumer groups over gRPC: cooperative rebalances, liveness, fencing, lag, and the Rust
//! group consumer's delivery guarantees.
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use strata::client::{GroupConsumer, GroupConsumerConfig};
use strata::proto::{self, GroupState};
use tonic::Code;

use crate::support::*;

type Owned = BTreeSet<(String, u32)>;

async fn group_broker() -> TestBroker {
    TestBroker::start_with(|c| c.groups.min_session_timeout = Duration::from_millis(100)).await
}

fn parts(assignment: &[proto::TopicPartitions]) -> Owned {
    assignment.iter().flat_map(|a| a.partitions.iter().map(|p| (a.topic.clone(), *p))).collect()
}

fn owned_msg(owned: &Owned) -> Vec<proto::TopicPartitions> {
    let mut by_topic: BTreeMap<String, Vec<u32>> = BTreeMap::new();
    for (t, p) in owned {
        by_topic.entry(t.clone()).or_default().push(*p);
    }
    by_topic.into_iter().map(|(topic, partitions)| proto::TopicPartitions { topic, partitions }).collect()
}

/// A raw member driven step by step.
struct RawMember {
    id: String,
    epoch: i32,
    owned: Owned,
}

async fn join(client: &mut Client, group: &str, session_ms: u32) -> RawMember {
    let request = proto::JoinGroupRequest {
        group: group.into(),
        topics: vec!["t".into()],
        session_timeout_ms: session_ms,
        client_id: "test".into(),
    };
    let r = client.join_group(request).await.expect("join").into_inner();
    RawMember { id: r.member_id, epoch: r.member_epoch, owned: parts(&r.assignment) }
}

/// Heartbeats reporting what the member holds; adopts the answer (keeping only what it is told).
async fn beat(client: &mut Client, group: &str, m: &mut RawMember) -> Owned {
    let request = proto::HeartbeatRequest {
        group: group.into(),
        member_id: m.id.clone(),
        member_epoch: m.epoch,
        owned: owned_msg(&m.owned),
    };
    let r = client.heartbeat(request).await.expect("heartbeat").into_inner();
    m.epoch = r.member_epoch;
    m.owned = parts(&r.assignment);
    m.owned.clone()
}

/// Every member's holdings per DescribeGroup; fails if any partition is held twice.
async fn holdings(client: &mut Client, group: &str) -> BTreeMap<String, Owned> {
    let d = client.describe_group(proto::DescribeGroupRequest { group: group.into() }).await.expect("describe");
    let mut seen = Owned::new();
    let mut out = BTreeMap::new();
    for m in d.into_inner().members {
        let owned = parts(&m.assignment);
        for tp in &owned {
            assert!(seen.insert(tp.clone()), "{tp:?} owned by two members at once");
        }
        out.insert(m.member_id, owned);
    }
    out
}

#[tokio::test]
async fn a_third_member_joins_cooperatively_from_3_3_to_2_2_2() {
    let broker = group_broker().await;
    let mut client = broker.client().await;
    create_topic(&mut client, "t", 6).await;
    let mut a = join(&mut client, "g", 10_000).await;
    let mut b = join(&mut client, "g", 10_000).await;
    for _ in 0..4 {
        beat(&mut client, "g", &mut a).await;
        beat(&mut client, "g", &mut b).await;
        holdings(&mut client, "g").await;
    }
    assert_eq!((a.owned.len(), b.owned.len()), (3, 3));
    let (a_before, b_before) = (a.owned.clone(), b.owned.clone());

    let mut c = join(&mut client, "g", 10_000).await;
    for _ in 0..4 {
        for m in [&mut a, &mut b, &mut c] {
            beat(&mut client, "g", m).await;
            holdings(&mut client, "g").await; // asserts no partition is owned twice
        }
        assert!(a.owned.is_subset(&a_before) && b.owned.is_subset(&b_before), "a and b only give partitions up");
    }
    assert_eq!((a.owned.len(), b.owned.len(), c.owned.len()), (2, 2, 2));
    let d = client.describe_group(proto::DescribeGroupRequest { group: "g".into() }).await.expect("describe");
    assert_eq!(d.into_inner().state, GroupState::Stable as i32);
}

#[tokio::test]
async fn a_silent_member_loses_its_partitions_after_its_session() {
    let broker = group_broker().await;
    let mut client = broker.client().await;
    create_topic(&mut client, "t", 6).await;
    let mut a = join(&mut client, "g", 10_000).await;
    // Long enough that a stalled test runtime does not expire b before its first heartbeats.
    let mut b = join(&mut client, "g", 2_000).await;
    for _ in 0..3 {
        beat(&mut client, "g", &mut a).await;
        beat(&mut client, "g", &mut b).await;
    }
    assert_eq!((a.owned.len(), b.owned.len()), (3, 3));
    // b stops heartbeating; a keeps going until it holds everything (bounded: 10 s).
    for _ in 0..400 {
        if beat(&mut client, "g", &mut a).await.len() == 6 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(a.owned.len(), 6, "b's partitions moved to a");
    let members = holdings(&mut client, "g").await;
    assert_eq!(members.keys().collect::<Vec<_>>(), vec![&a.id]);

    // The zombie's commit is rejected; so are stale epochs and partitions not owned.
    let commit = |member: &RawMember, epoch: i32, partition: u32| proto::CommitOffsetsRequest {
        group: "g".into(),
        topic: "t".into(),
        offsets: vec![proto::OffsetCommit { partition, offset: 0, metadata: String::new() }],
        member_id: Some(member.id.clone()),
        member_epoch: Some(epoch),
    };
    let zombie = client.commit_offsets(commit(&b, b.epoch, *b_first(&b))).await.expect_err("zombie");
    assert_eq!(zombie.code(), Code::FailedPrecondition);
    assert!(zombie.message().contains("UNKNOWN_MEMBER_ID"), "{}", zombie.message());
    let stale = client.commit_offsets(commit(&a, a.epoch - 1, 0)).await.expect_err("stale epoch");
    assert_eq!(stale.code(), Code::FailedPrecondition);
    assert!(stale.message().contains("FENCED_MEMBER_EPOCH"), "{}", stale.message());
    client.commit_offsets(commit(&a, a.epoch, 0)).await.expect("the owner commits");
}

fn b_first(b: &RawMember) -> &u32 {
    &b.owned.iter().next().expect("b owned something").1
}

#[tokio::test]
async fn commits_for_partitions_not_owned_are_rejected_and_plain_commits_allowed() {
    let broker = group_broker().await;
    let mut client = broker.client().await;
    create_topic(&mut client, "t", 2).await;
    let mut a = join(&mut client, "g", 10_000).await;
    let mut b = join(&mut client, "g", 10_000).await;
    for _ in 0..3 {
        beat(&mut client, "g", &mut a).await;
        beat(&mut client, "g", &mut b).await;
    }
    let not_mine = b.owned.iter().next().expect("b owns one").1;
    let request = proto::CommitOffsetsRequest {
        group: "g".into(),
        topic: "t".into(),
        offsets: vec![proto::OffsetCommit { partition: not_mine, offset: 0, metadata: String::new() }],
        member_id: Some(a.id.clone()),
        member_epoch: Some(a.epoch),
    };
    let status = client.commit_offsets(request.clone()).await.expect_err("not assigned");
    assert_eq!(status.code(), Code::FailedPrecondition);
    assert!(status.message().contains("NOT_ASSIGNED"), "{}", status.message());
    let manual = proto::CommitOffsetsRequest { member_id: None, member_epoch: None, ..request };
    client.commit_offsets(manual).await.expect("commits without a member id are manual-assignment commits");
}

#[tokio::test]
async fn describe_reports_lag_as_high_watermark_minus_committed() {
    let broker = group_broker().await;
    let mut client = broker.client().await;
    create_topic(&mut client, "t", 2).await;
    produce_to(&mut client, "t", 0, (0..10).map(|i| record(format!("{i}"))).collect()).await;
    produce_to(&mut client, "t", 1, (0..4).map(|i| record(format!("{i}"))).collect()).await;
    client.commit_offsets(super::offsets::commit("g", "t", &[(0, 3), (1, 4)])).await.expect("commit");
    let d =
        client.describe_group(proto::DescribeGroupRequest { group: "g".into() }).await.expect("describe").into_inner();
    let lags: Vec<(u32, i64, i64, i64)> =
        d.offsets.iter().map(|o| (o.partition, o.committed_offset, o.high_watermark, o.lag)).collect();
    assert_eq!(lags, vec![(0, 3, 10, 7), (1, 4, 4, 0)]);
    assert_eq!(d.state, GroupState::Empty as i32);
}

#[tokio::test]
async fn groups_are_listed_and_only_empty_ones_deleted() {
    let broker = group_broker().await;
    let mut client = broker.client().await;
    create_topic(&mut client, "t", 1).await;
    let a = join(&mut client, "live", 10_000).await;
    client.commit_offsets(super::offsets::commit("offsets-only", "t", &[(0, 0)])).await.expect("commit");
    let listed = client.list_groups(proto::ListGroupsRequest {}).await.expect("list").into_inner().groups;
    let names: Vec<(&str, u32)> = listed.iter().map(|g| (g.group.as_str(), g.members)).collect();
    assert_eq!(names, vec![("live", 1), ("offsets-only", 0)]);

    let status = client.delete_group(proto::DeleteGroupRequest { group: "live".into() }).await.expect_err("not empty");
    assert_eq!(status.code(), Code::FailedPrecondition);
    client.leave_group(proto::LeaveGroupRequest { group: "live".into(), member_id: a.id }).await.expect("leave");
    client.delete_group(proto::DeleteGroupRequest { group: "live".into() }).await.expect("delete empty group");
    client.delete_group(proto::DeleteGroupRequest { group: "offsets-only".into() }).await.expect("delete offsets");
    assert_eq!(super::offsets::committed(&mut client, "offsets-only", "t").await[0].1, -1);
    let status = client.delete_group(proto::DeleteGroupRequest { group: "nope".into() }).await.expect_err("unknown");
    assert_eq!(status.code(), Code::NotFound);
}

#[tokio::test]
async fn session_timeouts_outside_the_bounds_are_invalid() {
    let broker = group_broker().await;
    let mut client = broker.client().await;
    create_topic(&mut client, "t", 1).await;
    let request = proto::JoinGroupRequest {
        group: "g".into(),
        topics: vec!["t".into()],
        session_timeout_ms: 1,
        client_id: String::new(),
    };
    let status = client.join_group(request).await.expect_err("too short");
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(status.message().contains("--group-min-session-timeout"), "{}", status.message());
    let request = proto::JoinGroupRequest { group: "g".into(), topics: vec!["nope".into()], ..Default::default() };
    assert_eq!(client.join_group(request).await.expect_err("unknown topic").code(), Code::NotFound);
}

#[tokio::test]
async fn assignment_follows_new_partitions_and_topic_deletion() {
    let broker = group_broker().await;
    let mut client = broker.client().await;
    create_topic(&mut client, "t", 2).await;
    let mut a = join(&mut client, "g", 10_000).await;
    client.add_partitions(proto::AddPartitionsRequest { name: "t".into(), count: 4 }).await.expect("add");
    assert_eq!(beat(&mut client, "g", &mut a).await.len(), 4);
    client.delete_topic(proto::DeleteTopicRequest { name: "t".into() }).await.expect("delete");
    assert!(beat(&mut client, "g", &mut a).await.is_empty());
}

fn consumer_config(session: Duration) -> GroupConsumerConfig {
    GroupConsumerConfig {
        session_timeout: session,
        auto_commit_interval: Some(Duration::from_millis(50)),
        max_wait: Duration::from_millis(50),
        ..GroupConsumerConfig::new("readers", &["t"])
    }
}

/// Polls until `seen` holds `total` distinct offsets across partitions.
async fn consume_until(consumers: &mut [GroupConsumer], total: usize, seen: &mut Vec<(u32, i64)>) {
    for _ in 0..2_000 {
        if seen.iter().collect::<BTreeSet<_>>().len() >= total {
            return;
        }
        for c in consumers.iter_mut() {
            seen.extend(c.poll().await.expect("poll").into_iter().map(|r| (r.partition, r.offset)));
        }
    }
    panic!("only {} of {total} records consumed", seen.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_consumers_see_every_record_exactly_once_when_nobody_fails() {
    let broker = group_broker().await;
    let mut client = broker.client().await;
    create_topic(&mut client, "t", 6).await;
    for p in 0..6 {
        produce_to(&mut client, "t", p, (0..50).map(|i| record(format!("{p}-{i}"))).collect()).await;
    }
    let mut consumers = Vec::new();
    for _ in 0..3 {
        consumers.push(
            GroupConsumer::join(broker.client().await, consumer_config(Duration::from_secs(10))).await.expect("join"),
        );
    }
    let mut seen = Vec::new();
    consume_until(&mut consumers, 300, &mut seen).await;
    let distinct: BTreeSet<(u32, i64)> = seen.iter().copied().collect();
    assert_eq!(distinct.len(), 300);
    assert_eq!(seen.len(), 300, "no record delivered twice");
    for c in consumers {
        c.close().await.expect("close");
    }
    let d = client.describe_group(proto::DescribeGroupRequest { group: "readers".into() }).await.expect("describe");
    assert!(d.into_inner().offsets.iter().all(|o| o.lag == 0), "everything was committed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_members_partitions_resume_from_the_committed_offsets() {
    let broker = group_broker().await;
    let mut client = broker.client().await;
    create_topic(&mut client, "t", 4).await;
    for p in 0..4 {
        produce_to(&mut client, "t", p, (0..30).map(|i| record(format!("{i}"))).collect()).await;
    }
    let mut first = vec![
        GroupConsumer::join(broker.client().await, consumer_config(Duration::from_millis(300))).await.expect("join"),
    ];
    let mut seen = Vec::new();
    consume_until(&mut first, 60, &mut seen).await;
    first[0].commit().await.expect("commit");
    first.pop().expect("consumer").abandon(); // dies without leaving

    let mut second =
        vec![GroupConsumer::join(broker.client().await, consumer_config(Duration::from_secs(10))).await.expect("join")];
    produce_to(&mut client, "t", 0, vec![record("late")]).await;
    consume_until(&mut second, 121, &mut seen).await;
    let distinct: BTreeSet<(u32, i64)> = seen.iter().copied().collect();
    assert_eq!(distinct.len(), 121, "every record was seen at least once");
    for c in second {
        c.close().await.expect("close");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_consumer_keeps_its_other_topics_when_one_is_deleted() {
    let broker = group_broker().await;
    let mut client = broker.client().await;
    create_topic(&mut client, "t", 2).await;
    create_topic(&mut client, "u", 1).await;
    produce_to(&mut client, "t", 0, vec![record("t0")]).await;
    let config = GroupConsumerConfig {
        auto_commit_interval: Some(Duration::from_millis(50)),
        max_wait: Duration::from_millis(50),
        ..GroupConsumerConfig::new("readers", &["t", "u"])
    };
    let mut consumer = GroupConsumer::join(broker.client().await, config).await.expect("join");
    let mut seen = Vec::new();
    consume_until(std::slice::from_mut(&mut consumer), 1, &mut seen).await;
    client.delete_topic(proto::DeleteTopicRequest { name: "t".into() }).await.expect("delete");
    produce_to(&mut client, "u", 0, vec![record("u0"), record("u1")]).await;
    let mut values = Vec::new();
    for _ in 0..400 {
        let records = consumer.poll().await.expect("poll goes on while the deleted topic is handed back");
        values.extend(records.into_iter().filter(|r| r.topic == "u").map(|r| r.value));
        if values.len() >= 2 {
            break;
        }
    }
    assert_eq!(values, vec![bytes::Bytes::from("u0"), bytes::Bytes::from("u1")], "u is still consumed");
    consumer.close().await.expect("close");
}
