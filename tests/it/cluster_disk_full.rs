//! A broker whose disk fills stops acknowledging and applying, cleanly: the others keep taking
//! writes (a full leader's clients go on to the leader elected in its place, and a leader below
//! --min-free-disk hands leadership over), and once space returns it catches up and holds the
//! same bytes. Its data dir is on a small tmpfs; skipped, with the reason printed, where
//! mounting one is not allowed.
use std::time::Duration;

use crate::cluster::{Cluster, failover_producer, high_watermarks, wait_caught_up};
use crate::disk_full::{SmallFs, fill_disk};
use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_follower_with_a_full_disk_waits_and_catches_up_when_space_returns() {
    // A follower's data dir moves to the small filesystem, which then fills up.
    let Some((fs, mut cluster, leader, follower)) = one_broker_on_a_small_fs().await else { return };
    let mut client = connect(cluster.addr(leader)).await;
    let ballast = fs.mount.join("ballast");
    fill_disk(&ballast, 1 << 20);

    // The other two keep acknowledging; the full one falls behind without failing.
    let value = vec![b'x'; 1024];
    for round in 0..400 {
        let records = (0..64).map(|_| record(value.clone())).collect();
        assert_eq!(produce_to(&mut client, "t", 0, records).await, 1 + 64 * round);
    }
    let expected = high_watermarks(cluster.addr(leader), "t").await;
    assert_eq!(expected, vec![1 + 64 * 400]);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let behind = high_watermarks(cluster.addr(follower), "t").await;
    assert!(behind[0] < expected[0], "the full follower could not keep up: {behind:?} of {expected:?}");

    // Space returns: it catches up, and the replicas hold the same bytes.
    std::fs::remove_file(&ballast).expect("free the space");
    wait_caught_up(cluster.addr(follower), "t", &expected).await;
    for i in 0..3 {
        wait_caught_up(cluster.addr(i), "t", &expected).await;
    }
    cluster.stop_and_compare_replicas();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leader_with_a_full_disk_hands_leadership_over_and_catches_up() {
    // Broker `full` gets its data dir on the small filesystem, then leads.
    let Some((fs, mut cluster, _, full)) = one_broker_on_a_small_fs().await else { return };
    let mut produced = 1;
    while cluster.leader().await != full {
        assert!(produced < 6, "broker {full} did not become leader in 5 attempts");
        hand_leadership_to(&mut cluster, full).await;
        produced += 1;
    }

    // 25 MiB of records: more than the full broker has left.
    const RECORDS: usize = 25_600;
    // Its disk fills to below --min-free-disk (64 MiB here): it hands leadership over, and a
    // client of the cluster keeps getting acknowledgements from the new leader while the full
    // broker, a follower now, falls behind once its last 32 MiB are gone too.
    fill_disk(&fs.mount.join("ballast"), 32 << 20);
    let producer = failover_producer(&cluster.bootstrap(), "t").await;
    let value = bytes::Bytes::from(vec![b'x'; 1024]);
    let produce = async {
        let mut deliveries = Vec::new();
        for _ in 0..RECORDS {
            let record = strata::proto::Record { value: value.clone(), ..Default::default() };
            deliveries.push(producer.send(record, Some(0)).await.expect("queued"));
        }
        producer.flush().await;
        let mut offsets = Vec::new();
        for delivered in deliveries {
            offsets.push(delivered.await.expect("answered").expect("acknowledged by the cluster").offset);
        }
        offsets
    };
    let offsets = tokio::time::timeout(Duration::from_secs(120), produce).await;
    let offsets = offsets.expect("writes were not held by the broker low on space");
    let first = produced as i64;
    assert_eq!(offsets, (first..first + RECORDS as i64).collect::<Vec<_>>(), "each record once, in order");
    producer.close().await;
    let now = cluster.leader().await;
    assert_ne!(now, full, "a broker low on space does not lead");
    assert_eq!(scrape(cluster.metrics[full], &["strata_disk_low"]).await, [1.0]);

    // Space returns: it catches up, and the replicas hold the same bytes.
    std::fs::remove_file(fs.mount.join("ballast")).expect("free the space");
    let expected = high_watermarks(cluster.addr(now), "t").await;
    assert_eq!(expected, vec![first + RECORDS as i64]);
    for i in 0..3 {
        wait_caught_up(cluster.addr(i), "t", &expected).await;
    }
    cluster.stop_and_compare_replicas();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leader_below_min_free_disk_hands_leadership_over() {
    let (mut cluster, first) = cluster_with_one_record().await;

    // Broker `low` restarts asking for more free space than any disk has, then is made leader.
    let low = (first + 1) % 3;
    cluster.kill_9(low);
    cluster.extra_flags[low] = ["--min-free-disk", "1000TiB"].map(String::from).to_vec();
    cluster.restart(low);
    wait_caught_up(cluster.addr(low), "t", &[1]).await;
    // Each attempt hands it leadership (unless the third broker wins the election that
    // follows), and it hands leadership on within a few hand-over waits.
    let handed_over = "strata_raft_leadership_handed_over_total{shard=\"0\",reason=\"disk_low\"}";
    let mut attempts = 0;
    while scrape(cluster.metrics[low], &[handed_over]).await[0] == 0.0 {
        assert!(attempts < 5, "broker {low} below --min-free-disk never handed leadership over");
        hand_leadership_to(&mut cluster, low).await;
        for _ in 0..20 {
            if scrape(cluster.metrics[low], &[handed_over]).await[0] > 0.0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        attempts += 1;
    }
    assert_eq!(scrape(cluster.metrics[low], &["strata_disk_low"]).await, [1.0]);

    // The cluster takes writes from the new leader.
    let leader = cluster.leader().await;
    assert_ne!(leader, low);
    let mut client = connect(cluster.addr(leader)).await;
    let end = high_watermarks(cluster.addr(leader), "t").await[0];
    assert_eq!(produce_to(&mut client, "t", 0, vec![record("after")]).await, end);
}

/// Three brokers with topic `t` holding one record; returns the leader.
async fn cluster_with_one_record() -> (Cluster, usize) {
    // One group: the leader found leads the partition too, and only the tests move leadership.
    let cluster = Cluster::start_with(3, &["--data-shards", "0"]);
    let leader = cluster.leader().await;
    let mut client = connect(cluster.addr(leader)).await;
    create_topic(&mut client, "t", 1).await;
    produce_to(&mut client, "t", 0, vec![record("first")]).await;
    (cluster, leader)
}

/// `cluster_with_one_record`, with the follower after the leader moved onto a small filesystem
/// (256 MiB) and caught up: the filesystem, the cluster, the leader and the moved broker.
/// `None`, with the reason printed, where a tmpfs cannot be mounted.
async fn one_broker_on_a_small_fs() -> Option<(SmallFs, Cluster, usize, usize)> {
    let fs = SmallFs::mount(256).map_err(|reason| eprintln!("SKIPPED cluster disk-full test: {reason}")).ok()?;
    let (mut cluster, leader) = cluster_with_one_record().await;
    let moved = (leader + 1) % 3;
    cluster.kill_9(moved);
    let dir = fs.mount.join("moved");
    let copied = std::process::Command::new("cp").arg("-a").arg(&cluster.dirs[moved]).arg(&dir).status();
    assert!(copied.is_ok_and(|s| s.success()), "copy the data dir");
    cluster.dirs[moved] = dir;
    cluster.restart(moved);
    wait_caught_up(cluster.addr(moved), "t", &[1]).await;
    Some((fs, cluster, leader, moved))
}

/// One attempt to make broker `target` the leader, producing one record to `t`: it is
/// produced while the third broker is frozen, so a SIGTERM of the leader hands leadership to
/// `target`, the most caught-up follower. The third may still win an election afterwards.
async fn hand_leadership_to(cluster: &mut Cluster, target: usize) {
    let leader = cluster.leader().await;
    let mut client = connect(cluster.addr(leader)).await;
    if leader == target {
        produce_to(&mut client, "t", 0, vec![record("hand-over")]).await;
        return;
    }
    let third = 3 - leader - target;
    cluster.pause(third);
    produce_to(&mut client, "t", 0, vec![record("hand-over")]).await;
    assert!(cluster.terminate(leader), "the leader stops cleanly");
    cluster.restart(leader);
    cluster.resume(third);
}
