//! A cluster's identity: its seeds agree on one cluster id; seeds configured with different
//! `--seeds` are refused at start, and so is a broker restarted with another cluster's data dir.
use std::time::Duration;

use strata::proto;

use crate::cluster::Cluster;
use crate::ports::fixed_ports;
use crate::process::ServerProcess;
use crate::support::*;

/// Broker `i`'s own view of the cluster (a forwarded call is answered locally).
async fn own_status(cluster: &Cluster, i: usize) -> proto::ClusterStatusResponse {
    let mut client = connect(cluster.addr(i)).await;
    let mut request = tonic::Request::new(proto::ClusterStatusRequest {});
    request.metadata_mut().insert("strata-forwarded", tonic::metadata::MetadataValue::from_static("1"));
    client.cluster_status(request).await.expect("status").into_inner()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_seeds_agree_on_one_cluster_id_and_refuse_another_clusters_data_dir() {
    let mut cluster = Cluster::start(3);
    cluster.leader().await;
    // A seed may still be finishing its part of the formation when the others elect a leader.
    let mut ids = Vec::new();
    for _ in 0..300 {
        ids.clear();
        for i in 0..3 {
            let status = own_status(&cluster, i).await;
            assert_eq!(status.answered_by, i as u64 + 1, "broker {i}'s own view");
            ids.push(status.cluster_id);
        }
        if ids.iter().all(|id| id == &ids[0]) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(ids.iter().all(|id| id == &ids[0] && id.len() == 32), "one cluster id: {ids:?}");

    // Node 3 forms a cluster of its own elsewhere, then is started with that data dir among
    // the first cluster's seeds: refused, with a message saying why.
    let other = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("dir");
    let other_dir = other.path().join("node3");
    let lone_peer = format!("127.0.0.1:{}", fixed_ports(1)[0]);
    let lone =
        ServerProcess::spawn(&other_dir, &["--node-id", "3", "--peer-listen", &lone_peer, "--seeds", &lone_peer]);
    let mut client = connect(lone.addr).await;
    // A cluster of one elects itself a moment after it forms.
    let create = proto::CreateTopicRequest { name: "elsewhere".into(), partitions: 1, ..Default::default() };
    for attempt in 0.. {
        match client.create_topic(create.clone()).await {
            Ok(_) => break,
            Err(status) if status.code() == tonic::Code::Unavailable && attempt < 200 => {
                tokio::time::sleep(Duration::from_millis(50)).await
            }
            Err(status) => panic!("create topic: {status}"),
        }
    }
    drop(client);
    lone.kill_9();
    cluster.kill_9(2);
    let flags = cluster.flags(2);
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    let (ok, log) = ServerProcess::run_until_exit(&other_dir, &flags);
    assert!(!ok, "refused");
    assert!(log.contains("this data dir belongs to cluster"), "says why: {log}");
    assert!(log.contains(&ids[0]), "names the cluster it met: {log}");

    // Its own data dir is welcome back.
    cluster.restart(2);
    for _ in 0..100 {
        if own_status(&cluster, 2).await.shards[0].leader.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(own_status(&cluster, 2).await.cluster_id, ids[0]);
}

#[test]
fn a_seed_with_a_different_seed_list_is_refused() {
    let root = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("dir");
    let addrs: Vec<String> = fixed_ports(3).iter().map(|p| format!("127.0.0.1:{p}")).collect();
    let (a, b, c) = (addrs[0].clone(), addrs[1].clone(), addrs[2].clone());
    // a serves first, waiting for b; b lists a third seed that a does not, so a refuses b's
    // hello. (Had b answered a first, a would be the one refused: which one asks first is a
    // race, so a is started before b.)
    let a_seeds = format!("{a},{b}");
    let b_seeds = format!("{a},{b},{c}");
    let a_args = ["--node-id", "1", "--peer-listen", &a, "--seeds", &a_seeds];
    let b_args = ["--node-id", "2", "--peer-listen", &b, "--seeds", &b_seeds];
    let waiting = ServerProcess::spawn(&root.path().join("a"), &a_args);
    let (b_ok, b_log) = ServerProcess::run_until_exit(&root.path().join("b"), &b_args);
    assert!(!b_ok, "refused");
    assert!(b_log.contains("give every seed the same --seeds"), "says what to fix: {b_log}");
    let sorted = |seeds: &str| {
        let mut seeds: Vec<&str> = seeds.split(',').collect();
        seeds.sort();
        seeds.join(",")
    };
    assert!(b_log.contains(&sorted(&a_seeds)) && b_log.contains(&sorted(&b_seeds)), "names both lists: {b_log}");
    drop(waiting);
}

#[test]
fn seeds_with_different_data_shard_counts_are_refused() {
    seeds_differing_in_are_refused("--data-shards", ("2", "5"), "--data-shards 2, this broker with 5");
}

#[test]
fn seeds_with_different_replication_factors_are_refused() {
    // Two copies on two seeds are every broker's (brokers that join get one too).
    let named = "--default-replication-factor 1, this broker with every broker";
    seeds_differing_in_are_refused("--default-replication-factor", ("1", "2"), named);
}

/// Two seeds given different values of `flag`: the second refuses to form, naming both.
fn seeds_differing_in_are_refused(flag: &str, (a, b): (&str, &str), named: &str) {
    let root = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("dir");
    let addrs: Vec<String> = fixed_ports(2).iter().map(|p| format!("127.0.0.1:{p}")).collect();
    let seeds = addrs.join(",");
    // Both answer each other's Hello; each refuses to form with the other's value.
    let a_args = ["--node-id", "1", "--peer-listen", &addrs[0], "--seeds", &seeds, flag, a];
    let b_args = ["--node-id", "2", "--peer-listen", &addrs[1], "--seeds", &seeds, flag, b];
    let waiting = ServerProcess::spawn(&root.path().join("a"), &a_args);
    let (b_ok, b_log) = ServerProcess::run_until_exit(&root.path().join("b"), &b_args);
    assert!(!b_ok, "refused");
    assert!(b_log.contains(&format!("give every seed the same {flag}")), "says what to fix: {b_log}");
    assert!(b_log.contains(named), "names both: {b_log}");
    drop(waiting);
}

#[test]
fn more_copies_than_seeds_are_refused_at_start() {
    let root = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("dir");
    let addrs: Vec<String> = fixed_ports(2).iter().map(|p| format!("127.0.0.1:{p}")).collect();
    let seeds = addrs.join(",");
    let args = ["--node-id", "1", "--peer-listen", &addrs[0], "--seeds", &seeds, "--default-replication-factor", "3"];
    let (ok, log) = ServerProcess::run_until_exit(&root.path().join("a"), &args);
    assert!(!ok, "refused");
    assert!(log.contains("needs at least 3 seeds; --seeds lists 2"), "says what to fix: {log}");
}
