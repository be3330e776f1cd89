//! A broker whose Raft node of a shard stops on its own stops as a whole, naming the shard: its
//! copy would otherwise be dead while the broker looked alive. The fault here is an entry the
//! state machine cannot decode, sent by a forged leader of a later term.
use strata::proto;
use strata::proto::peer::{self as pb, peer_client::PeerClient};

use crate::cluster::status_once;
use crate::ports::fixed_ports;
use crate::process::ServerProcess;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shard_that_stops_on_its_own_stops_the_broker() {
    let root = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("dir");
    let dir = root.path().join("node1");
    let ports = fixed_ports(2);
    let (peer, client) = (format!("127.0.0.1:{}", ports[0]), format!("127.0.0.1:{}", ports[1]));
    let args = ["--node-id", "1", "--peer-listen", &peer, "--seeds", &peer, "--listen", &client].map(String::from);
    let running = std::thread::spawn(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        ServerProcess::run_until_exit(&dir, &args)
    });

    // The one-broker cluster leads its data shard; nothing writes to it meanwhile.
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

    let (ok, log) = tokio::task::spawn_blocking(move || running.join().expect("ran")).await.expect("joined");
    assert!(!ok, "the broker exits with an error");
    assert!(log.contains("the Raft node of shard 1 stopped"), "names the shard: {log}");
}
