//! A broker whose copy of a shard stops on its own (here: an entry its state machine cannot
//! decode or apply, sent by a forged leader of a later term) says so, and goes on serving its other
//! shards: an entry every copy fails to apply must not take every broker down, not even when
//! it restarts.
use std::net::SocketAddr;

use prost::Message;
use strata::proto::peer::{self as pb, peer_client::PeerClient};
use strata::proto::{self, broker_client::BrokerClient};

use crate::cluster::{Cluster, status_once};
use crate::ports::fixed_ports;
use crate::process::ServerProcess;
use crate::support::{connect, create_topic, fetch_request, record, scrape, wait_for_metric};

/// More partitions than data shards, so that every shard has some.
const PARTITIONS: u32 = 12;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_copy_that_cannot_apply_an_entry_stops_alone_even_after_a_restart() {
    stops_alone_even_after_a_restart(Forged::Unappliable).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_copy_that_cannot_decode_an_entry_stops_alone_even_after_a_restart() {
    stops_alone_even_after_a_restart(Forged::Undecodable).await;
}

/// A one-broker cluster whose copy of data shard 1 is sent `forged`: that copy stops, reported,
/// and the rest serves, before and after a restart.
async fn stops_alone_even_after_a_restart(forged: Forged) {
    let root = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("dir");
    let ports = fixed_ports(2);
    let (peer, metrics) = (format!("127.0.0.1:{}", ports[0]), format!("127.0.0.1:{}", ports[1]));
    // Series idle this long are dropped: the gauge must be kept fresh to stay visible.
    let idle = ["--metrics-idle-timeout", "3s"];
    // Two data shards: one stops, the other must go on taking writes.
    let cluster = ["--node-id", "1", "--data-shards", "2", "--peer-listen", &peer, "--seeds", &peer];
    let args = [&cluster[..], &["--metrics-listen", &metrics, idle[0], idle[1]]].concat();
    let broker = ServerProcess::spawn(&root.path().join("node1"), &args);
    let client = broker.addr.to_string();
    let metrics: SocketAddr = metrics.parse().expect("metrics address");

    // The one-broker cluster leads its data shard 1; nothing writes to it meanwhile.
    let leads = |s: &proto::ClusterStatusResponse| s.shards.iter().any(|sh| sh.shard == 1 && sh.leader == Some(1));
    let status = status_once(&client, "leading shard 1", leads).await;
    send_forged_entry(&peer, &status, 2, forged).await;

    // Reported: the gauge, for the shard that stopped only, and still after several idle
    // timeouts.
    wait_for_metric(metrics, "strata_raft_shard_stopped{shard=\"1\"} 1").await;
    tokio::time::sleep(std::time::Duration::from_secs(4)).await;
    wait_for_metric(metrics, "strata_raft_shard_stopped{shard=\"1\"} 1").await;
    wait_for_metric(metrics, "strata_raft_shard_stopped{shard=\"0\"} 0").await;
    // The broker still serves: its metadata shard leads, and answers.
    status_once(&client, "leading shard 0", meta_led).await;
    assert!(broker.terminate(), "the broker stops cleanly when asked");

    // Restarted, its Raft nodes apply their committed entries before they start, and shard 1's
    // last one cannot be applied: the broker starts all the same, its copy of shard 1 stops
    // again, and its other data shards take writes.
    let broker = ServerProcess::spawn(&root.path().join("node1"), &args);
    wait_for_metric(metrics, "strata_raft_shard_stopped{shard=\"1\"} 1").await;
    wait_for_metric(metrics, "strata_raft_shard_stopped{shard=\"2\"} 0").await;
    all_but_shard_1_take_writes(broker.addr).await;
    assert!(broker.terminate(), "the restarted broker stops cleanly");
}

fn meta_led(status: &proto::ClusterStatusResponse) -> bool {
    status.shards.iter().any(|sh| sh.shard == 0 && sh.leader == Some(1))
}

/// A new topic at the one-broker cluster at `addr` takes writes on every partition but shard
/// 1's (bounded: asked again while a shard's new leader has not applied an entry of its term).
async fn all_but_shard_1_take_writes(addr: SocketAddr) {
    create_topic(&mut connect(addr).await, "t", PARTITIONS).await;
    let status = status_once(&addr.to_string(), "leading shard 0", meta_led).await;
    // The shards it still carries, with their partitions (the stopped copy's is not listed).
    let serving: u32 = status.shards.iter().filter(|s| s.shard != 1).map(|s| s.partitions).sum();
    let on_shard_1 = PARTITIONS - serving;
    assert!(on_shard_1 > 0 && on_shard_1 < PARTITIONS, "shard 1 carries some of the partitions: {on_shard_1}");
    let mut at_broker = BrokerClient::connect(format!("http://{addr}")).await.expect("connect");
    let mut taken = std::collections::BTreeSet::new();
    for attempt in 0.. {
        let pending: Vec<u32> = (0..PARTITIONS).filter(|p| !taken.contains(p)).collect();
        for partition in pending {
            match at_broker.produce(produce_request("t", partition)).await {
                Ok(_) => {
                    taken.insert(partition);
                }
                Err(refused) => {
                    assert_eq!(refused.code(), tonic::Code::Unavailable, "partition {partition}: {refused}")
                }
            }
        }
        if taken.len() as u32 == serving {
            break;
        }
        assert!(attempt < 20, "only partitions {taken:?} take writes; shard 1 carries {on_shard_1}");
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
}

/// One record for `partition` of `topic`, acknowledged once written.
fn produce_request(topic: &str, partition: u32) -> proto::ProduceRequest {
    let records = vec![record("after the restart")];
    proto::ProduceRequest { topic: topic.into(), partition: Some(partition), records, ..Default::default() }
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
        send_forged_entry(cluster.peer(stopping), &status, 99, Forged::Undecodable).await;
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

/// What a forged entry holds that a state machine cannot apply.
enum Forged {
    /// Bytes that are no command.
    Undecodable,
    /// A command with an op of no known kind.
    Unappliable,
}

/// Sends the node of shard 1 at `peer` an entry its state machine cannot apply, from a forged
/// leader `forger` of the next term, following the last entry `status` (the node's own view)
/// names. Taken, or answered by the node stopping as it applies it.
async fn send_forged_entry(peer: &str, status: &proto::ClusterStatusResponse, forger: u64, forged: Forged) {
    let shard = status.shards.iter().find(|s| s.shard == 1).expect("shard 1");
    let (term, last, leader) = (shard.term, shard.last_log_index, shard.leader.expect("a leader"));
    let command = match forged {
        Forged::Undecodable => vec![0xff; 8],
        Forged::Unappliable => {
            let ops = vec![strata::proto::log::Op::default()];
            strata::proto::log::Command { ops, ..Default::default() }.encode_to_vec()
        }
    };
    let forged_id = pb::LogId { term: term + 1, leader_node: forger, index: last + 1 };
    let forged = pb::AppendEntriesRequest {
        group: 1,
        vote: Some(pb::Vote { term: term + 1, node_id: forger, committed: true }),
        prev_log_id: Some(pb::LogId { term, leader_node: leader, index: last }),
        entries: vec![pb::Entry {
            log_id: Some(forged_id),
            payload: Some(pb::entry::Payload::Command(command.into())),
        }],
        leader_commit: Some(forged_id),
    };
    let mut to_peer = PeerClient::connect(format!("http://{peer}")).await.expect("peer listener");
    if let Err(status) = to_peer.append_entries(forged).await {
        let why = ["failed to decode", "no op this build knows"];
        assert!(why.iter().any(|w| status.message().contains(w)), "stopped on the forged entry: {status}");
    }
}
