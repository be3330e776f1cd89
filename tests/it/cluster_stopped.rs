//! A broker whose copy of a shard stops on its own (here: an entry its state machine cannot
//! decode, sent by a forged leader of a later term) says so, and goes on serving its other
//! shards: an entry every copy fails to apply must not take every broker down.
use std::net::SocketAddr;

use strata::proto::peer::{self as pb, peer_client::PeerClient};
use strata::proto::{self, broker_client::BrokerClient};

use crate::cluster::{Cluster, status_once};
use crate::ports::fixed_ports;
use crate::process::ServerProcess;
use crate::support::{connect, create_topic, fetch_request, scrape, wait_for_metric};

/// More partitions than data shards, so that every shard has some.
const PARTITIONS: u32 = 12;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shard_copy_that_stops_on_its_own_is_reported_and_the_rest_serves() {
    let root = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("dir");
    let ports = fixed_ports(2);
    let (peer, metrics) = (format!("127.0.0.1:{}", ports[0]), format!("127.0.0.1:{}", ports[1]));
    // Series idle this long are dropped: the gauge must be kept fresh to stay visible.
    let idle = ["--metrics-idle-timeout", "3s"];
    let args =
        ["--node-id", "1", "--peer-listen", &peer, "--seeds", &peer, "--metrics-listen", &metrics, idle[0], idle[1]];
    let broker = ServerProcess::spawn(&root.path().join("node1"), &args);
    let client = broker.addr.to_string();
    let metrics: SocketAddr = metrics.parse().expect("metrics address");

    // The one-broker cluster leads its data shard 1; nothing writes to it meanwhile.
    let leads = |s: &proto::ClusterStatusResponse| s.shards.iter().any(|sh| sh.shard == 1 && sh.leader == Some(1));
    let status = status_once(&client, "leading shard 1", leads).await;
    send_undecodable_entry(&peer, &status, 2).await;

    // Reported: the gauge, for the shard that stopped only, and still after several idle
    // timeouts.
    wait_for_metric(metrics, "strata_raft_shard_stopped{shard=\"1\"} 1").await;
    tokio::time::sleep(std::time::Duration::from_secs(4)).await;
    wait_for_metric(metrics, "strata_raft_shard_stopped{shard=\"1\"} 1").await;
    wait_for_metric(metrics, "strata_raft_shard_stopped{shard=\"0\"} 0").await;
    // The broker still serves: its metadata shard leads, and answers.
    let meta_led = |s: &proto::ClusterStatusResponse| s.shards.iter().any(|sh| sh.shard == 0 && sh.leader == Some(1));
    status_once(&client, "leading shard 0", meta_led).await;
    assert!(broker.terminate(), "the broker stops cleanly when asked");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broker_whose_copy_stopped_names_the_leader_the_others_follow() {
    let cluster = Cluster::start_with(3, &[]);
    let stopping = (cluster.shard_leader(1).await + 1) % 3;
    let addr = cluster.addr(stopping).to_string();
    // Partitions go round the data shards in turn: some are on shard 1.
    create_topic(&mut connect(cluster.addr(stopping)).await, "t", PARTITIONS).await;
    let stopped = "strata_raft_shard_stopped{shard=\"1\"}";
    // Its view of shard 1, once settled, names the last entry the forged one must follow. A
    // change landing in between (the shard handed to its preferred leader) makes the forged
    // entry miss, so it is sent again (bounded) once the shard has settled under a real leader.
    for attempt in 0.. {
        assert!(attempt < 10, "broker {} never took the forged entry", stopping + 1);
        let status = settled_view_of_shard_1(&addr).await;
        send_undecodable_entry(cluster.peer(stopping), &status, 99).await;
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        if scrape(cluster.metrics[stopping], &[stopped]).await == [1.0] {
            break;
        }
    }
    // Its own node last saw the forged leader (99): it names, for every partition it does not
    // lead, a leader the others follow (bounded: it asks them every few seconds).
    let others: Vec<String> = (1..=3).filter(|id| *id != stopping + 1).map(|id| id.to_string()).collect();
    // Not the routed client, which would follow the first answer to the leader.
    let mut at_stopped = BrokerClient::connect(format!("http://{addr}")).await.expect("connect");
    for attempt in 0.. {
        let mut misnamed = Vec::new();
        for partition in 0..PARTITIONS {
            if let Err(refused) = at_stopped.fetch(fetch_request("t", partition, 0)).await {
                let named = refused.metadata().get("strata-leader-id").and_then(|v| v.to_str().ok());
                if !named.is_some_and(|id| others.iter().any(|o| o == id)) {
                    misnamed.push((partition, refused.code(), named.map(str::to_string)));
                }
            }
        }
        if misnamed.is_empty() {
            break;
        }
        assert!(attempt < 60, "broker {} names no live leader for {misnamed:?}", stopping + 1);
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
}

/// Broker `addr`'s view of shard 1 once it has a real leader (1 to 3, not the forger) and has
/// stayed the same for a second (bounded).
async fn settled_view_of_shard_1(addr: &str) -> proto::ClusterStatusResponse {
    let view = |s: &proto::ClusterStatusResponse| {
        let shard = s.shards.iter().find(|sh| sh.shard == 1).expect("shard 1");
        (shard.term, shard.leader, shard.last_log_index)
    };
    let real_leader =
        |s: &proto::ClusterStatusResponse| s.shards.iter().any(|sh| sh.shard == 1 && sh.leader.is_some_and(|l| l <= 3));
    for _ in 0..60 {
        let before = status_once(addr, "a real leader of shard 1", real_leader).await;
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        let after = status_once(addr, "a real leader of shard 1", real_leader).await;
        if view(&before) == view(&after) {
            return after;
        }
    }
    panic!("shard 1 never settled at {addr}");
}

/// Sends the node of shard 1 at `peer` an entry its state machine cannot decode, from a forged
/// leader `forger` of the next term, following the last entry `status` (the node's own view)
/// names. Taken, or answered by the node stopping as it applies it.
async fn send_undecodable_entry(peer: &str, status: &proto::ClusterStatusResponse, forger: u64) {
    let shard = status.shards.iter().find(|s| s.shard == 1).expect("shard 1");
    let (term, last, leader) = (shard.term, shard.last_log_index, shard.leader.expect("a leader"));
    let forged_id = pb::LogId { term: term + 1, leader_node: forger, index: last + 1 };
    let forged = pb::AppendEntriesRequest {
        group: 1,
        vote: Some(pb::Vote { term: term + 1, node_id: forger, committed: true }),
        prev_log_id: Some(pb::LogId { term, leader_node: leader, index: last }),
        entries: vec![pb::Entry {
            log_id: Some(forged_id),
            payload: Some(pb::entry::Payload::Command(vec![0xff; 8].into())),
        }],
        leader_commit: Some(forged_id),
    };
    let mut to_peer = PeerClient::connect(format!("http://{peer}")).await.expect("peer listener");
    if let Err(status) = to_peer.append_entries(forged).await {
        assert!(status.message().contains("failed to decode"), "stopped on the forged entry: {status}");
    }
}
