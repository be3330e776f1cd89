//! A cluster with more brokers than copies (`--default-replication-factor 3` on four brokers):
//! each data shard forms on three of them, so every broker stores and leads a share of the
//! partitions. A broker without a copy of a partition still answers for it: it names the
//! leader, and describes the partition as its leader does. A broker's death stops no shard,
//! and its removal takes it out of the shards that had it, each of which first gets its third
//! copy back on a broker left.
use std::collections::BTreeSet;
use std::time::Duration;

use strata::proto;
use tonic::Code;

use crate::cluster::{Cluster, dump, failover_producer, wait_caught_up};
use crate::cluster_load::{numbered, produce_through_a_death, stored_once};
use crate::kafka_clients::run;
use crate::offsets::commit;
use crate::support::*;

const BROKERS: usize = 4;
const PARTITIONS: u32 = 8;

/// The cluster as broker `i` reports it, once every data shard has a leader and three members
/// and every running broker leads one (bounded).
async fn settled(cluster: &Cluster, i: usize, running: &[usize]) -> proto::ClusterStatusResponse {
    let mut client = connect(cluster.addr(i)).await;
    for _ in 0..120 {
        if let Ok(view) = client.cluster_status(proto::ClusterStatusRequest {}).await {
            let view = view.into_inner();
            let data = || view.shards.iter().filter(|s| s.shard != 0);
            let leaders: BTreeSet<u64> = data().filter_map(|s| s.leader).collect();
            let formed = data().count() == BROKERS && data().all(|s| s.leader.is_some() && s.members.len() == 3);
            if formed && running.iter().all(|i| leaders.contains(&(*i as u64 + 1))) {
                return view;
            }
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    panic!("broker {i} never saw every data shard formed on three brokers and led by {running:?}");
}

/// Topic "t" as broker `i` describes it, once it reports the high watermarks `ends` (bounded:
/// a broker without a copy of a shard learns its new leader within a second or so).
async fn described_alike(cluster: &Cluster, i: usize, ends: &[i64]) -> proto::Topic {
    let mut client = connect(cluster.addr(i)).await;
    let mut seen = Vec::new();
    for _ in 0..80 {
        let topic = describe(&mut client, "t").await;
        seen = topic.partitions.iter().map(|p| (p.high_watermark, p.leader, p.replicas.clone())).collect();
        if seen.iter().map(|s| s.0).eq(ends.iter().copied()) {
            return topic;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    panic!("broker {} reports high watermarks {seen:?}, not the leaders' {ends:?}", i + 1);
}

/// A group call made (and made again, bounded) until the coordinator answers it.
async fn at_coordinator<T, F, Fut>(client: &mut strata::client::Connection, call: F) -> T
where
    F: Fn(strata::client::Connection) -> Fut,
    Fut: std::future::Future<Output = Result<tonic::Response<T>, tonic::Status>>,
{
    for _ in 0..100 {
        match call(client.clone()).await {
            Ok(answer) => return answer.into_inner(),
            Err(status) if status.code() == Code::Unavailable => tokio::time::sleep(Duration::from_millis(100)).await,
            Err(status) => panic!("the coordinator refused: {status}"),
        }
    }
    panic!("the coordinator never answered");
}

async fn view_of(client: &mut strata::client::Connection) -> proto::ClusterStatusResponse {
    client.cluster_status(proto::ClusterStatusRequest {}).await.expect("status").into_inner()
}

fn status_leader(view: &proto::ClusterStatusResponse, shard: u64) -> Option<u64> {
    view.shards.iter().find(|s| s.shard == shard).and_then(|s| s.leader)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partitions_are_spread_over_brokers_that_each_keep_a_share() {
    let mut cluster = Cluster::start_with(BROKERS, &["--default-replication-factor", "3"]);
    let view = settled(&cluster, 0, &[0, 1, 2, 3]).await;
    for broker in 1..=BROKERS as u64 {
        let carried = view.shards.iter().filter(|s| s.shard != 0 && s.members.contains(&broker)).count();
        assert_eq!(carried, 3, "broker {broker} carries three of the four data shards: {view:?}");
    }
    assert_eq!(view.shards[0].members.len(), BROKERS, "every broker applies the catalog");

    let mut admin = connect(cluster.addr(0)).await;
    let too_many = proto::CreateTopicRequest {
        name: "t4".into(),
        partitions: 1,
        replication_factor: Some(4),
        ..Default::default()
    };
    // Resent while the metadata shard moves to its preferred leader (UNAVAILABLE meanwhile).
    let refused = create_topic_as(&mut admin, too_many).await.expect_err("more copies than the cluster keeps");
    assert_eq!(refused.code(), Code::FailedPrecondition);
    assert!(refused.message().contains("pass 3 or leave it unset"), "says what to do: {}", refused.message());
    let created = create_topic(&mut admin, "t", PARTITIONS).await;
    assert_eq!(created.replication_factor, 3);

    // Records written through a bootstrap list reach each partition's leader. A broker dies
    // halfway: every shard it carried keeps two of its three copies, a majority.
    let acked = produce_through_a_death(&mut cluster, "t", PARTITIONS, 400, 3).await;

    // Every broker left describes every partition alike: three replicas, one leader, and the
    // leader's high watermark, whether it keeps a copy or not.
    settled(&cluster, 0, &[0, 1, 2]).await;
    let ends: Vec<i64> =
        (0..PARTITIONS).map(|p| acked.iter().filter(|(_, at)| at.partition == p).count() as i64).collect();
    let mut leaders = Vec::new();
    for i in 0..3 {
        let topic = described_alike(&cluster, i, &ends).await;
        assert!(topic.partitions.iter().all(|p| p.replicas.len() == 3), "three copies: {topic:?}");
        let named: Vec<Option<u64>> = topic.partitions.iter().map(|p| p.leader).collect();
        leaders.push((named, topic.partitions.iter().map(|p| p.replicas.clone()).collect::<Vec<_>>()));
    }
    assert!(leaders.windows(2).all(|w| w[0] == w[1]), "the brokers agree on leaders and replicas: {leaders:?}");
    let replicas = leaders[0].1.clone();

    // Kafka clients asking a broker without a copy of some partitions see the same leaders and
    // replicas, with in-sync replicas as the leaders report them.
    let outsider_kafka = (0..3).find(|&i| replicas.iter().any(|r| !r.contains(&(i as u64 + 1)))).expect("one");
    let listed =
        run("kcat", vec!["-b".into(), cluster.kafka[outsider_kafka].to_string(), "-L".into(), "-J".into()], None);
    let listed: serde_json::Value = serde_json::from_str(&listed.await).expect("kcat -L -J");
    let topic = listed["topics"].as_array().expect("topics").iter().find(|t| t["topic"] == "t").expect("t");
    for partition in topic["partitions"].as_array().expect("partitions") {
        let p = partition["partition"].as_u64().expect("partition") as usize;
        let ids = |key: &str| -> Vec<u64> {
            partition[key].as_array().expect(key).iter().filter_map(|r| r["id"].as_u64()).collect()
        };
        let (mut kafka_replicas, isrs) = (ids("replicas"), ids("isrs"));
        kafka_replicas.sort_unstable();
        let mut grpc_replicas = replicas[p].clone();
        grpc_replicas.sort_unstable();
        assert_eq!(kafka_replicas, grpc_replicas, "partition {p}: the same replicas over Kafka");
        assert_eq!(partition["leader"].as_u64(), leaders[0].0[p], "partition {p}: the same leader over Kafka");
        let leader = leaders[0].0[p].expect("a leader");
        assert!(isrs.contains(&leader) && isrs.iter().all(|r| kafka_replicas.contains(r)), "partition {p}: {isrs:?}");
    }

    // A broker without a copy of a partition names its leader.
    let (partition, outsider) = (0..PARTITIONS)
        .find_map(|p| (1..=3u64).find(|b| !replicas[p as usize].contains(b)).map(|b| (p, b)))
        .expect("a partition some live broker keeps no copy of");
    // Its hint comes from asking the others twice a second, so it may name the dead broker
    // for a moment after the election (bounded: 5 s).
    let mut at_outsider = connect(cluster.addr(outsider as usize - 1)).await;
    let expected = leaders[0].0[partition as usize].map(|l| l.to_string());
    let mut named = None;
    for _ in 0..50 {
        let refused = at_outsider.fetch(fetch_request("t", partition, 0)).await.expect_err("keeps no copy");
        assert_eq!(refused.code(), Code::Unavailable);
        named = refused.metadata().get("strata-leader-id").and_then(|v| v.to_str().ok()).map(str::to_string);
        if named == expected {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(named, expected, "names the leader");

    // Every acknowledged record is stored once, in order.
    let mut reader = strata::client::connect(&cluster.bootstrap()).await.expect("bootstrap");
    assert_eq!(stored_once(&mut reader, "t", PARTITIONS, &acked).await, ends);

    // The group coordinator (the metadata shard's leader) keeps no copy of some partitions: it
    // takes commits up to their ends all the same, and says it does not know their lag.
    let ends_committed: Vec<(u32, i64)> = (0..PARTITIONS).map(|p| (p, ends[p as usize])).collect();
    let request = commit("g", "t", &ends_committed);
    at_coordinator(&mut reader, |mut c| {
        let request = request.clone();
        async move { c.commit_offsets(request).await }
    })
    .await;
    let request = proto::FetchCommittedOffsetsRequest { group: "g".into(), topic: "t".into(), partitions: vec![] };
    let committed = at_coordinator(&mut reader, |mut c| {
        let request = request.clone();
        async move { c.fetch_committed_offsets(request).await }
    })
    .await;
    let offsets: Vec<i64> = committed.offsets.iter().map(|o| o.offset).collect();
    assert_eq!(offsets, ends, "every commit taken");
    let described = at_coordinator(&mut reader, |mut c| async move {
        c.describe_group(proto::DescribeGroupRequest { group: "g".into() }).await
    })
    .await;
    let coordinator = status_leader(&view_of(&mut reader).await, 0);
    for o in &described.offsets {
        let keeps = coordinator.is_some_and(|c| replicas[o.partition as usize].contains(&c));
        let expected = if keeps { 0 } else { -1 };
        assert_eq!(o.lag, expected, "partition {}: lag known where the coordinator keeps a copy", o.partition);
    }

    // The dead broker's removal, through whichever broker is asked (one is not a member of
    // every shard), gives each shard that had it a copy on the broker left without one, then
    // takes it out.
    admin.remove_broker(proto::RemoveBrokerRequest { node_id: 4 }).await.expect("broker 4 removed");
    let mut status = proto::ClusterStatusResponse::default();
    for _ in 0..40 {
        status = admin.cluster_status(proto::ClusterStatusRequest {}).await.expect("status").into_inner();
        let on_the_three_left =
            |s: &proto::ShardStatus| s.members.iter().copied().collect::<BTreeSet<u64>>() == [1, 2, 3].into();
        if status.shards.iter().filter(|s| s.shard != 0).all(on_the_three_left) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    for shard in status.shards.iter().filter(|s| s.shard != 0) {
        let members: BTreeSet<u64> = shard.members.iter().copied().collect();
        assert_eq!(members, [1, 2, 3].into(), "shard {} is on the three brokers left: {status:?}", shard.shard);
    }

    // Each broker left now keeps every partition, the same bytes as the others (once each
    // applied everything).
    for i in 0..3 {
        wait_caught_up(cluster.addr(i), "t", &ends).await;
    }
    for i in 0..BROKERS {
        cluster.kill_9(i);
    }
    let dumps: Vec<_> = (0..3).map(|i| dump(&cluster.dirs[i])).collect();
    for partition in 0..PARTITIONS as usize {
        let rows: Vec<_> = dumps.iter().map(|d| &d.partitions[partition].2).collect();
        assert!(!rows[0].is_empty(), "partition {partition} is kept");
        assert!(rows.windows(2).all(|w| w[0] == w[1]), "partition {partition}: the three hold the same");
    }

    // Restarted, the brokers find their shards' leaders again and take writes for every
    // partition.
    for i in 0..3 {
        cluster.restart(i);
    }
    let producer = failover_producer(&cluster.bootstrap(), "t").await;
    let mut deliveries = Vec::new();
    for partition in 0..PARTITIONS {
        let record = proto::Record { value: numbered(partition), ..Default::default() };
        deliveries.push(producer.send(record, Some(partition)).await.expect("queued"));
    }
    producer.flush().await;
    for (partition, delivered) in deliveries.into_iter().enumerate() {
        let at = delivered.await.expect("answered").expect("acknowledged after the restart");
        assert_eq!(at.offset, ends[partition], "partition {partition} goes on where it was");
    }
    producer.close().await;
}

/// A live broker that leads a data shard is removed through a broker that keeps no copy of
/// that shard: the call reaches the shard's leader through what the outsider learned of it,
/// the leader hands the shard over before leaving, and writes go on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_leader_is_removed_through_a_broker_without_a_copy_of_its_shard() {
    let cluster = Cluster::start_with(BROKERS, &["--default-replication-factor", "3"]);
    let view = settled(&cluster, 0, &[0, 1, 2, 3]).await;
    let (shard, leader, outsider) = view
        .shards
        .iter()
        .filter(|s| s.shard != 0)
        .find_map(|s| Some((s.shard, s.leader?, (1..=BROKERS as u64).find(|b| !s.members.contains(b))?)))
        .expect("a data shard, its leader, and a broker outside it");
    let mut admin = connect(cluster.addr(outsider as usize - 1)).await;
    create_topic(&mut admin, "t", PARTITIONS).await;

    admin.remove_broker(proto::RemoveBrokerRequest { node_id: leader }).await.expect("removed");
    let mut handed_over = false;
    for _ in 0..40 {
        let status = admin.cluster_status(proto::ClusterStatusRequest {}).await.expect("status").into_inner();
        let gone = status.shards.iter().all(|s| !s.members.contains(&leader));
        let led_again = status.shards.iter().any(|s| s.shard == shard && s.leader.is_some_and(|l| l != leader));
        if gone && led_again {
            handed_over = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(handed_over, "broker {leader} left every shard and shard {shard} is led by another");

    // The three left take writes for every partition.
    let others: Vec<String> =
        (0..BROKERS).filter(|i| *i as u64 + 1 != leader).map(|i| cluster.addr(i).to_string()).collect();
    let producer = failover_producer(&others.join(","), "t").await;
    let mut deliveries = Vec::new();
    for partition in 0..PARTITIONS {
        let record = proto::Record { value: numbered(partition), ..Default::default() };
        deliveries.push(producer.send(record, Some(partition)).await.expect("queued"));
    }
    producer.flush().await;
    for delivered in deliveries {
        delivered.await.expect("answered").expect("acknowledged without the removed broker");
    }
    producer.close().await;
}
