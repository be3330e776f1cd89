//! A broker whose copy of a shard stops on its own (here: an entry its state machine cannot
//! decode, sent by a forged leader of a later term) says so, and goes on serving its other
//! shards: an entry every copy fails to apply must not take every broker down.
use std::net::SocketAddr;

use strata::proto;
use strata::proto::peer::{self as pb, peer_client::PeerClient};

use crate::cluster::status_once;
use crate::ports::fixed_ports;
use crate::process::ServerProcess;
use crate::support::wait_for_metric;

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
    let shard = status.shards.iter().find(|s| s.shard == 1).expect("shard 1");
    let (term, last) = (shard.term, shard.last_log_index);
    let forged_id = pb::LogId { term: term + 1, leader_node: 2, index: last + 1 };
    let forged = pb::AppendEntriesRequest {
        group: 1,
        vote: Some(pb::Vote { term: term + 1, node_id: 2, committed: true }),
        prev_log_id: Some(pb::LogId { term, leader_node: 1, index: last }),
        entries: vec![pb::Entry {
            log_id: Some(forged_id),
            payload: Some(pb::entry::Payload::Command(vec![0xff; 8].into())),
        }],
        leader_commit: Some(forged_id),
    };
    let mut to_peer = PeerClient::connect(format!("http://{peer}")).await.expect("peer listener");
    // Taken, or answered by the node stopping as it applies the entry.
    if let Err(status) = to_peer.append_entries(forged).await {
        assert!(status.message().contains("failed to decode"), "stopped on the forged entry: {status}");
    }

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
