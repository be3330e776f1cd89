//! What a cluster tells its clients and operators: Metadata and DescribeTopic name each
//! partition's leader, replicas, in-sync replicas and leader epoch from any broker; a broker
//! that stops answering leaves the in-sync replicas and comes back; replication factors the
//! cluster cannot give are refused; group calls at a follower are NOT_COORDINATOR; SIGTERM of
//! the leader hands leadership over; and `strata dev-cluster` starts and stops a cluster.
use std::net::SocketAddr;
use std::time::Duration;

use strata::proto;
use tonic::Code;

use crate::cluster::Cluster;
use crate::support::*;

fn reason(status: &tonic::Status) -> Option<String> {
    status.metadata().get("strata-reason").and_then(|v| v.to_str().ok()).map(str::to_string)
}

async fn metadata(addr: SocketAddr) -> proto::MetadataResponse {
    let mut client = connect(addr).await;
    client.metadata(proto::MetadataRequest { topics: vec![] }).await.expect("metadata").into_inner()
}

/// Polls `check` on broker `addr`'s Metadata until it holds (bounded: 30 s).
async fn wait_for_metadata(addr: SocketAddr, what: &str, check: impl Fn(&proto::MetadataResponse) -> bool) {
    for _ in 0..300 {
        if check(&metadata(addr).await) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("broker {addr} never reported {what}: {:?}", metadata(addr).await);
}

/// Each partition's in-sync replicas; none until the broker knows a topic.
fn in_sync(answer: &proto::MetadataResponse) -> Vec<Vec<u64>> {
    answer.topics.iter().flat_map(|t| t.partitions.iter().map(|p| p.in_sync_replicas.clone())).collect()
}

async fn create_with_rf(addr: SocketAddr, name: &str, rf: u32) -> Result<proto::Topic, tonic::Status> {
    let mut client = connect(addr).await;
    let request = proto::CreateTopicRequest {
        name: name.into(),
        partitions: 2,
        replication_factor: Some(rf),
        ..Default::default()
    };
    // Resent on UNAVAILABLE: a leader whose one live follower was slow to answer steps back
    // from serving for a moment (its read lease).
    create_topic_as(&mut client, request).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_broker_names_leaders_replicas_and_in_sync_replicas() {
    // One group carries every partition here; `cluster_shards` checks the same with data shards.
    let mut cluster = Cluster::start_with(3, &["--data-shards", "0"]);
    let leader = cluster.leader().await;
    let leader_id = leader as u64 + 1;
    let follower = (leader + 1) % 3;
    let created = create_with_rf(cluster.addr(follower), "t", 3).await.expect("RF 3 on three brokers");
    assert_eq!(created.replication_factor, 3);

    for i in 0..3 {
        let everyone_in_sync = |m: &proto::MetadataResponse| {
            let isr = in_sync(m);
            isr.len() == 2 && isr.iter().all(|isr| isr == &[1, 2, 3])
        };
        wait_for_metadata(cluster.addr(i), "every replica in sync", everyone_in_sync).await;
        let answer = metadata(cluster.addr(i)).await;
        let brokers: Vec<(u64, String)> = answer.brokers.iter().map(|b| (b.id, b.address.clone())).collect();
        let expected: Vec<(u64, String)> = (0..3).map(|j| (j as u64 + 1, cluster.addr(j).to_string())).collect();
        assert_eq!(brokers, expected, "broker {i} lists every broker at its client address");
        let topic = &answer.topics[0];
        assert_eq!((topic.name.as_str(), topic.partitions.len(), topic.replication_factor), ("t", 2, 3));
        for p in &topic.partitions {
            assert_eq!(p.leader, Some(leader_id), "broker {i}, partition {}", p.partition);
            assert_eq!(p.replicas, vec![1, 2, 3]);
            assert!(p.leader_epoch >= 1, "the leader's term");
        }
    }
    let mut at_follower = connect(cluster.addr(follower)).await;
    let described = describe(&mut at_follower, "t").await;
    assert_eq!(described.partitions[0].in_sync_replicas, vec![1, 2, 3], "a follower asks the leader");

    for (rf, code) in [(2, Code::FailedPrecondition), (4, Code::FailedPrecondition), (0, Code::InvalidArgument)] {
        let refused = create_with_rf(cluster.addr(follower), "refused", rf).await.expect_err("refused");
        assert_eq!(refused.code(), code, "RF {rf}: {}", refused.message());
    }
    let too_many = create_with_rf(cluster.addr(leader), "refused", 4).await.expect_err("refused");
    assert_eq!(reason(&too_many).as_deref(), Some("INVALID_REPLICATION_FACTOR"));
    assert!(too_many.message().contains("3 of the cluster's 3 are alive"), "{}", too_many.message());

    // A follower dies: it leaves the in-sync replicas, counts as not alive, the leader reports
    // its partitions under-replicated, and a topic needing three live brokers is refused.
    let (dead, dead_id) = ((leader + 2) % 3, ((leader + 2) % 3) as u64 + 1);
    cluster.kill_9(dead);
    let survivors: Vec<u64> = (1..=3).filter(|id| *id != dead_id).collect();
    wait_for_metadata(cluster.addr(leader), "the dead follower out of sync", |m| {
        in_sync(m).len() == 2 && in_sync(m).iter().all(|isr| isr == &survivors)
    })
    .await;
    let mut client = connect(cluster.addr(leader)).await;
    let status = client.cluster_status(proto::ClusterStatusRequest {}).await.expect("status").into_inner();
    let alive: Vec<(u64, bool)> = status.brokers.iter().map(|b| (b.id, b.alive)).collect();
    assert_eq!(alive, (1..=3).map(|id| (id, id != dead_id)).collect::<Vec<_>>());
    let shard = &status.shards[0];
    assert_eq!((shard.leader, shard.partitions, shard.members.clone()), (Some(leader_id), 2, vec![1, 2, 3]));
    let gone = shard.followers.iter().find(|f| f.id == dead_id).expect("the dead follower is listed");
    assert!(!gone.in_sync);
    let refused = create_with_rf(cluster.addr(leader), "refused", 3).await.expect_err("two live brokers");
    assert!(refused.message().contains("2 of the cluster's 3 are alive"), "{}", refused.message());
    let metrics = wait_for_metric(cluster.metrics[leader], "strata_under_replicated_partitions 2").await;
    assert!(metrics.contains("strata_raft_follower_lag_entries"), "lag per follower is exported");

    // It comes back and catches up: in sync again.
    cluster.restart(dead);
    wait_for_metadata(cluster.addr(leader), "every replica back in sync", |m| {
        in_sync(m).iter().all(|isr| isr == &[1, 2, 3])
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_calls_at_a_follower_name_the_coordinator() {
    // One group: the coordinator stays where it was found.
    let cluster = Cluster::start_with(3, &["--data-shards", "0"]);
    let leader = cluster.leader().await;
    let mut client = connect(cluster.addr(leader)).await;
    create_topic(&mut client, "t", 1).await;
    let follower = cluster.addr((leader + 1) % 3);
    let join = proto::JoinGroupRequest { group: "g".into(), topics: vec!["t".into()], ..Default::default() };
    let commit = super::offsets::commit("g", "t", &[(0, 0)]);
    // A connection each: a refusal sends the connection's later calls to the coordinator.
    let refusals = [
        connect(follower).await.join_group(join.clone()).await.map(|_| ()).expect_err("not the coordinator"),
        connect(follower).await.commit_offsets(commit.clone()).await.map(|_| ()).expect_err("not the coordinator"),
    ];
    for status in refusals {
        assert_eq!(status.code(), Code::Unavailable);
        assert_eq!(reason(&status).as_deref(), Some("NOT_COORDINATOR"), "{}", status.message());
        let addr = status.metadata().get("strata-leader-addr").and_then(|v| v.to_str().ok()).map(str::to_string);
        assert_eq!(addr, Some(cluster.addr(leader).to_string()));
    }
    client.join_group(join).await.expect("the coordinator takes the join");
    client.commit_offsets(commit).await.expect("and the commit");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_of_the_leader_hands_leadership_to_a_follower() {
    // One group: no preferred leader moves leadership, so a transfer counted is the SIGTERM's.
    let mut cluster = Cluster::start_with(3, &["--data-shards", "0"]);
    let leader = cluster.leader().await;
    let mut client = connect(cluster.addr(leader)).await;
    create_topic(&mut client, "t", 1).await;
    produce_to(&mut client, "t", 0, (0..10).map(|i| record(format!("r{i}"))).collect()).await;
    assert!(cluster.terminate(leader), "the leader exits cleanly on SIGTERM");
    let next = cluster.leader().await;
    // The follower took over because it was asked to, not because an election timed out.
    wait_for_metric(cluster.metrics[next], "strata_raft_leadership_transfers_received_total{shard=\"0\"} 1").await;
    let mut client = connect(cluster.addr(next)).await;
    assert_eq!(fetch_all(&mut client, "t", 0, 0).await.len(), 10, "nothing acknowledged is lost");
}

/// A child process stopped with SIGTERM when dropped, also when a test fails, so it stops the
/// brokers it started.
struct Terminated(std::process::Child);

impl Drop for Terminated {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = std::process::Command::new("kill").args(["-TERM", &self.0.id().to_string()]).status();
            let _ = self.0.wait();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dev_cluster_starts_three_brokers_and_stops_them_on_sigterm() {
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().expect("dir");
    let base = crate::ports::port_block(30);
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_strata"))
        .args(["dev-cluster", "--brokers", "3", "--base-port", &base.to_string(), "--data-dir"])
        .arg(dir.path())
        .args(["--", "--raft-election-timeout", "500ms..1s"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("strata dev-cluster");
    let mut child = Terminated(child);
    let stdout = BufReader::new(child.0.stdout.take().expect("stdout"));
    let (lines_tx, lines) = std::sync::mpsc::channel();
    std::thread::spawn(move || stdout.lines().map_while(Result::ok).for_each(|l| drop(lines_tx.send(l))));
    let mut said = Vec::new();
    while !said.last().is_some_and(|l: &String| l.starts_with("cluster ready")) {
        match lines.recv_timeout(Duration::from_secs(60)) {
            Ok(line) => said.push(line),
            Err(e) => panic!("dev-cluster never became ready ({e}); it said:\n{}", said.join("\n")),
        }
    }
    let bootstrap = format!("127.0.0.1:{base},127.0.0.1:{},127.0.0.1:{}", base + 10, base + 20);
    assert!(said.iter().any(|l| l.contains(&bootstrap)), "prints the bootstrap list: {said:?}");

    let mut client = strata::client::connect(&bootstrap).await.expect("bootstrap");
    // "cluster ready" comes once the metadata shard has a leader; the others' heartbeats, and
    // its hand-over to its preferred leader, may still be under way: bounded, 30 s.
    let mut status = proto::ClusterStatusResponse::default();
    for _ in 0..150 {
        status = client.cluster_status(proto::ClusterStatusRequest {}).await.expect("status").into_inner();
        if status.brokers.iter().filter(|b| b.alive).count() == 3 && status.shards[0].leader.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(status.brokers.iter().filter(|b| b.alive).count(), 3, "{status:?}");
    let metrics_addr: SocketAddr = format!("127.0.0.1:{}", base + 2).parse().expect("addr");
    assert!(http_get(metrics_addr, "/metrics").is_some_and(|m| m.contains("strata_raft_term")));
    create_topic(&mut client, "t", 1).await;
    // Produce goes to the leader the status named.
    let leader = status.shards[0].leader.expect("a leader");
    let leader_addr = status.brokers.iter().find(|b| b.id == leader).expect("listed").address.clone();
    let mut at_leader = strata::client::connect(&leader_addr).await.expect("leader");
    assert_eq!(produce_to(&mut at_leader, "t", 0, vec![record("hello")]).await, 0);

    let pid = child.0.id().to_string();
    assert!(std::process::Command::new("kill").args(["-TERM", &pid]).status().is_ok_and(|s| s.success()));
    let mut exited = None;
    for _ in 0..1200 {
        exited = child.0.try_wait().expect("wait");
        if exited.is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(exited.is_some_and(|s| s.success()), "dev-cluster stops cleanly: {exited:?}");
    for offset in [0, 10, 20] {
        let port = base + offset;
        assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err(), "broker on {port} stopped too");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broker_restarted_at_a_new_address_is_handed_out_there() {
    let mut cluster = Cluster::start(3);
    let leader = cluster.leader().await;
    let moved = (leader + 1) % 3;
    let old = cluster.addr(moved).to_string();
    cluster.kill_9(moved);
    cluster.move_client_port(moved);
    cluster.restart(moved);
    let new = cluster.addr(moved).to_string();
    assert_ne!(old, new);
    let id = moved as u64 + 1;
    let at_new = |m: &proto::MetadataResponse| m.brokers.iter().any(|b| b.id == id && b.address == new);
    for i in 0..3 {
        wait_for_metadata(cluster.addr(i), "the moved broker at its new address", at_new).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broker_stops_on_sigterm_though_a_peer_is_frozen() {
    let mut cluster = Cluster::start(3);
    let leader = cluster.leader().await;
    create_topic(&mut connect(cluster.addr(leader)).await, "t", 3).await;
    // Every broker leads a shard and replicates to the others, so each holds connections to
    // every peer listener. A frozen peer never closes its own: the graceful stop must not
    // wait for it.
    for shard in 0..4 {
        cluster.shard_leader(shard).await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let frozen = (leader + 1) % 3;
    cluster.pause(frozen);
    assert!(cluster.terminate(leader), "the leader stops, and cleanly, while a peer is frozen");
    cluster.resume(frozen);
}
