//! A cluster whose partitions are carried by several Raft groups (`--data-shards`): leadership
//! spreads over the brokers, each partition is served by its own shard's leader, a client with
//! a bootstrap list finds every partition's leader, killing one broker interrupts only the
//! shards it led, and the replicas hold the same bytes.
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use strata::proto;
use tonic::Code;

use crate::cluster::{Cluster, wait_caught_up};
use crate::cluster_load::{produce_through_a_death, stored_once};
use crate::support::*;

const DATA_SHARDS: &str = "3";
const PARTITIONS: u32 = 6;

/// The cluster as broker `i` reports it (each shard as its leader sees it).
async fn status(cluster: &Cluster, i: usize) -> proto::ClusterStatusResponse {
    let mut client = connect(cluster.addr(i)).await;
    client.cluster_status(proto::ClusterStatusRequest {}).await.expect("status").into_inner()
}

/// Waits (bounded) until every shard has a leader and every running broker leads one.
async fn wait_spread(cluster: &Cluster, running: &[usize]) -> proto::ClusterStatusResponse {
    for _ in 0..120 {
        let view = status(cluster, running[0]).await;
        let leaders: BTreeSet<u64> = view.shards.iter().filter_map(|s| s.leader).collect();
        let every_shard_led = view.shards.iter().all(|s| s.leader.is_some());
        if every_shard_led && running.iter().all(|i| leaders.contains(&(*i as u64 + 1))) {
            return view;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    panic!("leadership never spread over brokers {running:?}");
}

/// Waits (bounded) until every shard is led by its preferred leader, where leadership settles
/// a few seconds after the cluster forms (`balance::preferred_leader`: with three brokers that
/// all carry every shard, shard `s` on broker `s % 3 + 1`).
pub async fn leadership_settled(cluster: &Cluster) {
    let mut client = connect(cluster.addr(0)).await;
    for _ in 0..300 {
        let status = client.cluster_status(proto::ClusterStatusRequest {}).await.expect("status").into_inner();
        if status.shards.len() == 4 && status.shards.iter().all(|s| s.leader == Some(s.shard % 3 + 1)) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the shards' leadership never settled on their preferred leaders");
}

/// Each partition's leader as broker `i` reports it, once it knows the topic and a leader of
/// every partition (bounded).
async fn partition_leaders(cluster: &Cluster, i: usize) -> BTreeMap<u32, u64> {
    let mut client = connect(cluster.addr(i)).await;
    for _ in 0..100 {
        let request = proto::MetadataRequest { topics: vec!["t".into()] };
        if let Ok(answer) = client.metadata(request).await {
            let topic = answer.into_inner().topics.pop().expect("the topic asked for");
            let leaders: BTreeMap<u32, u64> =
                topic.partitions.iter().filter_map(|p| Some((p.partition, p.leader?))).collect();
            if leaders.len() == PARTITIONS as usize {
                return leaders;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("broker {i} never named every partition's leader");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_shards_spread_leadership_and_lose_nothing_when_a_broker_dies() {
    let mut cluster = Cluster::start_with(3, &["--data-shards", DATA_SHARDS]);
    leadership_settled(&cluster).await;
    let view = wait_spread(&cluster, &[0, 1, 2]).await;
    assert_eq!(view.shards.len(), 4, "the metadata shard and three data shards");

    // A topic created right away: replicas apply its partitions' entries only after its
    // creation, whichever shard they see first.
    let mut admin = connect(cluster.addr(0)).await;
    create_topic(&mut admin, "t", PARTITIONS).await;
    let leaders = partition_leaders(&cluster, 1).await;
    let distinct: BTreeSet<u64> = leaders.values().copied().collect();
    assert_eq!(distinct.len(), 3, "the partitions' leadership is spread over every broker: {leaders:?}");

    // A broker that does not lead a partition names its leader.
    let (&partition, &leader) = leaders.iter().next().expect("a partition");
    let other = (0..3).find(|i| *i as u64 + 1 != leader).expect("a follower");
    let mut at_follower = connect(cluster.addr(other)).await;
    let refused = at_follower.fetch(fetch_request("t", partition, 0)).await.expect_err("not its leader");
    assert_eq!(refused.code(), Code::Unavailable);
    let named = refused.metadata().get("strata-leader-id").and_then(|v| v.to_str().ok()).map(str::to_string);
    assert_eq!(named, Some(leader.to_string()), "the refusal names the partition's leader");

    // Keyed records without a partition, whose partitions have different leaders: no one broker
    // takes them, and the answer says to name the partition.
    let keyed_records: Vec<_> = (0..20).map(|i| keyed(&format!("key-{i}"), "v")).collect();
    let request = proto::ProduceRequest { topic: "t".into(), records: keyed_records, ..Default::default() };
    let refused = at_follower.produce(request).await.expect_err("spans leaders");
    assert_eq!(refused.code(), Code::InvalidArgument, "{}", refused.message());
    assert!(refused.message().contains("led by different brokers"), "says why: {}", refused.message());

    // An idempotent producer with a bootstrap list writes every partition at its own leader; a
    // broker dies under load: the shards it led elect new leaders, the others carry on.
    let acked = produce_through_a_death(&mut cluster, "t", PARTITIONS, 600, 2).await;

    // Every acknowledged record is stored once, where it was acknowledged, in send order.
    wait_spread(&cluster, &[0, 1]).await;
    let mut reader = strata::client::connect(&format!("{},{}", cluster.addr(0), cluster.addr(1))).await.expect("c");
    let expected_ends = stored_once(&mut reader, "t", PARTITIONS, &acked).await;

    // The dead broker comes back, catches up in every shard, and holds the same bytes.
    cluster.restart(2);
    wait_caught_up(cluster.addr(2), "t", &expected_ends).await;
    wait_spread(&cluster, &[0, 1, 2]).await;
    cluster.stop_and_compare_replicas();
}
