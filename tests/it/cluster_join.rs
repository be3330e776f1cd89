//! Growing and repairing a cluster: a dead broker is removed (`RemoveBroker`), which releases
//! the trims it held back, and a new one joins the running cluster (`serve --join`) from a copy
//! of a member's data dir, though the members trimmed their Raft logs long ago. It becomes an in-sync voter of every shard, the
//! cluster survives losing another broker with the newcomer in its majority, and its copy holds
//! the same bytes as the others.
use std::time::Duration;

use strata::proto;
use tonic::Code;

use crate::cluster::{Cluster, wait_caught_up};
use crate::cluster_trim::{
    data_shard_led_by_its_preferred_leader, gauge, one_data_shard_with_a_topic, produce_one_by_one, wait_trimmed_past,
};
use crate::ports::fixed_ports;
use crate::process::ServerProcess;
use crate::support::*;

/// Waits (bounded: 60 s) until every shard, as its leader sees it, has exactly `members`, all
/// in sync, and no broker still joining.
async fn wait_members(cluster: &Cluster, ask: usize, members: &[u64]) {
    let mut client = connect(cluster.addr(ask)).await;
    let mut last = None;
    for _ in 0..300 {
        if let Ok(status) = client.cluster_status(proto::ClusterStatusRequest {}).await {
            let status = status.into_inner();
            let settled = status.shards.iter().all(|s| {
                let mut in_sync = s.in_sync_replicas.clone();
                in_sync.sort();
                s.members == members && in_sync == members && s.learners.is_empty()
            });
            if settled {
                return;
            }
            last = Some(status.shards);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("the shards never settled with members {members:?}, all in sync: {last:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_broker_replaces_a_dead_one_though_the_logs_were_trimmed() {
    let (mut cluster, leader, mut client) = one_data_shard_with_a_topic().await;
    produce_one_by_one(&mut client, 0, 2_500).await;
    // The entries the first records were in are gone from every member's log: trims go up to
    // what every member holds less the 100 kept, in steps of at least 100 ("past 999").
    wait_trimmed_past(cluster.metrics[0], 999.0).await;

    // Broker 3 dies for good: it holds the trims back (the log grows past what it has) until
    // it is taken out of every shard, through any broker.
    let held = gauge(cluster.metrics[leader], "strata_raft_last_log_index").expect("last index");
    cluster.kill_9(2);
    produce_one_by_one(&mut client, 2_500, 1_500).await;
    let mut admin = connect(cluster.addr(0)).await;
    admin.remove_broker(proto::RemoveBrokerRequest { node_id: 3 }).await.expect("broker 3 removed");
    wait_members(&cluster, 0, &[1, 2]).await;
    wait_trimmed_past(cluster.metrics[leader], held).await;
    let again = admin.remove_broker(proto::RemoveBrokerRequest { node_id: 3 }).await.expect_err("not a member");
    assert_eq!(again.code(), Code::NotFound, "{}", again.message());
    assert!(again.message().contains("broker 3 is not a member"), "says what is wrong: {}", again.message());

    // Broker 4 joins with an empty data dir through broker 2, and is added to every shard.
    let joined = cluster.join_new(1);
    wait_members(&cluster, 0, &[1, 2, 4]).await;
    let metrics = http_get(cluster.metrics[joined], "/metrics").expect("the joiner's metrics");
    assert!(metrics.contains("strata_data_dir_copies_total{direction=\"received\"} 1"), "one copy received");

    // A broker with a member's node id is refused, saying what to do.
    let log = refused_join(cluster.peer(0), 2, &[]);
    assert!(log.contains("node 2 is a member of this cluster already"), "says why: {log}");

    // Writes go on; then the data shard's leader dies: brokers 1 and 4 are a majority.
    produce_one_by_one(&mut client, 4_000, 100).await;
    cluster.kill_9(leader);
    let next = cluster.shard_leader(1).await;
    let mut client = connect(cluster.addr(next)).await;
    produce_one_by_one(&mut client, 4_100, 100).await;
    for partition in 0..2 {
        let stored = fetch_all(&mut client, "t", partition, 0).await;
        let expected: Vec<String> = (partition as usize..4_200).step_by(2).map(|i| format!("r{i}")).collect();
        let values: Vec<String> = stored.iter().map(|r| String::from_utf8_lossy(&r.value).into_owned()).collect();
        assert_eq!(values, expected, "partition {partition}: every acknowledged record, once, in order");
    }

    // The old leader returns and catches up; the newcomer's copy holds the same bytes.
    cluster.restart(leader);
    for i in [0, 1, joined] {
        wait_caught_up(cluster.addr(i), "t", &[2_100, 2_100]).await;
    }
    for i in [0, 1, joined] {
        cluster.kill_9(i);
    }
    let dumps: Vec<_> = [0, 1, joined].iter().map(|&i| crate::cluster::dump(&cluster.dirs[i])).collect();
    assert_eq!(dumps[0], dumps[1], "brokers 1 and 2 hold the same bytes");
    assert_eq!(dumps[0], dumps[2], "brokers 1 and 4 (joined) hold the same bytes");
}

#[test]
fn a_joining_broker_is_refused_a_data_shard_count_of_its_own() {
    let log = refused_join("127.0.0.1:1", 4, &["--data-shards", "2"]);
    assert!(log.contains("takes the cluster's: leave it out"), "says what to do: {log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removing_a_live_leader_hands_its_shards_over_first() {
    let (mut cluster, leader, mut client) = one_data_shard_with_a_topic().await;
    produce_one_by_one(&mut client, 0, 10).await;

    // The data shard's leader, alive, is removed through another broker: by the time the call
    // returns, another member leads (it handed over before the change), and writes go on there.
    let other = (leader + 1) % 3;
    let mut admin = connect(cluster.addr(other)).await;
    let removed = leader as u64 + 1;
    admin.remove_broker(proto::RemoveBrokerRequest { node_id: removed }).await.expect("removed");
    let status = admin.cluster_status(proto::ClusterStatusRequest {}).await.expect("status").into_inner();
    for shard in &status.shards {
        assert!(!shard.members.contains(&removed), "shard {} still has broker {removed}", shard.shard);
    }
    // The shards handed over may then move on to their new preferred leaders (an election each):
    // read again (bounded, 10 s) until every shard names its leader.
    let mut status = status;
    for _ in 0..50 {
        if status.shards.iter().all(|s| s.leader.is_some()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        status = admin.cluster_status(proto::ClusterStatusRequest {}).await.expect("status").into_inner();
    }
    for shard in &status.shards {
        assert!(shard.leader.is_some_and(|l| l != removed), "shard {} is led by a member: {shard:?}", shard.shard);
    }
    cluster.kill_9(leader);
    let next = cluster.shard_leader(1).await;
    let mut client = connect(cluster.addr(next)).await;
    produce_one_by_one(&mut client, 10, 10).await;
    let stored = fetch_all(&mut client, "t", 0, 0).await;
    assert_eq!(stored.len(), 10, "every record of partition 0, before and after the removal");
}

/// Asks broker `i`'s peer listener for a copy for node 9 reached at `peer_addr` (bounded, as a
/// joiner does), and reads it whole (a joiner that then never starts).
async fn copy_for_node_9(cluster: &Cluster, i: usize, peer_addr: &str) {
    use strata::proto::peer;
    let mut member = peer::peer_client::PeerClient::connect(format!("http://{}", cluster.peer(i))).await.expect("peer");
    let node = peer::Node {
        peer_addr: peer_addr.into(),
        client_addr: format!("{peer_addr}-client"),
        kafka_addr: String::new(),
    };
    let request =
        peer::CheckpointRequest { node_id: 9, format_version: strata::storage::FORMAT_VERSION, node: Some(node) };
    // A leader being elected or handed a shard answers UNAVAILABLE, as to a real joiner: again.
    let mut chunks = None;
    for _ in 0..50 {
        match member.checkpoint(request.clone()).await {
            Ok(copy) => {
                chunks = Some(copy.into_inner());
                break;
            }
            Err(status) if status.code() == Code::Unavailable => {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(status) => panic!("no copy: {status}"),
        }
    }
    let mut chunks = chunks.expect("a copy within 10 s");
    let mut done = false;
    while let Some(chunk) = chunks.message().await.expect("chunk") {
        done |= chunk.done;
    }
    assert!(done, "the copy ends with its done marker");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_joiner_that_never_finishes_is_a_learner_until_removed() {
    let cluster = Cluster::start_with(3, &["--data-shards", "1"]);
    data_shard_led_by_its_preferred_leader(&cluster).await;
    let mut admin = connect(cluster.addr(0)).await;
    let learning = |status: &proto::ClusterStatusResponse| status.shards.iter().all(|s| s.learners == [9]);

    // Each copy makes node 9 a learner of every shard first; asked again from elsewhere, the
    // learner is reached at its new address.
    copy_for_node_9(&cluster, 0, "127.0.0.1:1").await;
    copy_for_node_9(&cluster, 1, "127.0.0.1:2").await;
    let status = admin.cluster_status(proto::ClusterStatusRequest {}).await.expect("status").into_inner();
    assert!(learning(&status), "node 9 is a learner of every shard: {:?}", status.shards);
    let nine = status.brokers.iter().find(|b| b.id == 9).expect("node 9 listed");
    assert_eq!(nine.peer_address, "127.0.0.1:2", "the learner's latest address");

    // It never comes: removing it ends the wait for it (trims, `cluster status`).
    admin.remove_broker(proto::RemoveBrokerRequest { node_id: 9 }).await.expect("learner removed");
    let status = admin.cluster_status(proto::ClusterStatusRequest {}).await.expect("status").into_inner();
    assert!(status.shards.iter().all(|s| s.learners.is_empty() && s.members == [1, 2, 3]), "{:?}", status.shards);
    assert!(status.brokers.iter().all(|b| b.id != 9), "node 9 is gone: {:?}", status.brokers);
}

/// A broker with node id `node_id`, `flags` and an empty data dir asking to join through `via`
/// (a peer address): it must be refused and stop; returns what it logged.
pub fn refused_join(via: &str, node_id: u64, flags: &[&str]) -> String {
    let root = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("dir");
    let peer = format!("127.0.0.1:{}", fixed_ports(1)[0]);
    let id = node_id.to_string();
    let mut args = vec!["--node-id", &id, "--peer-listen", &peer, "--join", via];
    args.extend(flags);
    let (ok, log) = ServerProcess::run_until_exit(&root.path().join("joiner"), &args);
    assert!(!ok, "node {node_id} is refused");
    log
}
