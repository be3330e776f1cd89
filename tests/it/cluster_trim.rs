//! The Raft log is trimmed on every member below what all members hold: it stops growing with
//! the data, a member that is down holds the trim back (so it catches up from the log when it
//! returns), and brokers restart from a trimmed log with nothing lost and replicas identical.
use std::net::SocketAddr;
use std::time::Duration;

use crate::cluster::{Cluster, high_watermarks, wait_caught_up};
use crate::support::*;

/// The one data shard, which carries the partitions; its preferred leader is node 2.
const SHARD: u64 = 1;

/// A gauge of the data shard from broker `metrics`' exposition, if exported.
pub fn gauge(metrics: SocketAddr, name: &str) -> Option<f64> {
    let text = http_get(metrics, "/metrics")?;
    let prefix = format!("{name}{{shard=\"{SHARD}\"}} ");
    text.lines().find_map(|l| l.strip_prefix(&prefix)).and_then(|v| v.trim().parse().ok())
}

/// Waits (bounded: 60 s) until broker `metrics` trimmed its log past `index`.
pub async fn wait_trimmed_past(metrics: SocketAddr, index: f64) -> f64 {
    for _ in 0..600 {
        let purged = gauge(metrics, "strata_raft_purged_index").unwrap_or(-1.0);
        if purged > index {
            return purged;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("broker {metrics} never trimmed its Raft log past {index}");
}

/// The data shard's trim point on the leader at `metrics`, and what it last saw `follower`
/// hold (its last index less the follower's lag), from one scrape.
fn purged_and_matched(metrics: SocketAddr, follower: u64) -> (f64, f64) {
    let text = http_get(metrics, "/metrics").expect("metrics");
    let (shard, follower) = (format!("shard=\"{SHARD}\""), format!("follower=\"{follower}\""));
    let value = |name: &str, labels: &[&str]| -> f64 {
        let line = text.lines().find(|l| l.starts_with(&format!("{name}{{")) && labels.iter().all(|x| l.contains(x)));
        line.and_then(|l| l.rsplit(' ').next()).and_then(|v| v.trim().parse().ok()).unwrap_or_else(|| panic!("{name}"))
    };
    let last = value("strata_raft_last_log_index", &[&shard]);
    let lag = value("strata_raft_follower_lag_entries", &[&shard, &follower]);
    (value("strata_raft_purged_index", &[&shard]), last - lag)
}

/// Waits (bounded) until node 2 leads the data shard (where leadership settles), and returns
/// its index.
pub async fn data_shard_led_by_its_preferred_leader(cluster: &Cluster) -> usize {
    let mut client = connect(cluster.addr(0)).await;
    for _ in 0..300 {
        let status = client.cluster_status(strata::proto::ClusterStatusRequest {}).await.expect("status").into_inner();
        if status.shards.iter().any(|s| s.shard == SHARD && s.leader == Some(2)) {
            return 1;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the data shard never settled with its preferred leader");
}

/// Three brokers with one data shard, once its preferred leader leads it; returns the
/// cluster, the leader's index and a client of it, with topic "t" (two partitions) created.
pub async fn one_data_shard_with_a_topic() -> (Cluster, usize, Client) {
    let cluster = Cluster::start_with(3, &["--data-shards", "1"]);
    let leader = data_shard_led_by_its_preferred_leader(&cluster).await;
    let mut client = connect(cluster.addr(leader)).await;
    create_topic(&mut client, "t", 2).await;
    (cluster, leader, client)
}

/// `count` produce requests of one record each, one at a time: `count` Raft entries.
pub async fn produce_one_by_one(client: &mut Client, from: usize, count: usize) {
    for i in from..from + count {
        produce_to(client, "t", (i % 2) as u32, vec![record(format!("r{i}"))]).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_raft_log_is_trimmed_where_every_member_holds_it() {
    let (mut cluster, leader, mut client) = one_data_shard_with_a_topic().await;
    produce_one_by_one(&mut client, 0, 2_500).await;
    for i in 0..3 {
        wait_trimmed_past(cluster.metrics[i], 500.0).await;
    }

    // A follower goes down: the others keep its entries for it, and it catches up from the log.
    let down = (leader + 1) % 3;
    let held = gauge(cluster.metrics[down], "strata_raft_applied_index").expect("applied index");
    cluster.kill_9(down);
    produce_one_by_one(&mut client, 2_500, 2_500).await;
    let last = gauge(cluster.metrics[leader], "strata_raft_last_log_index").expect("last index");
    assert!(last > held + 2_000.0, "the leader's log grew: {last} after {held}");
    // Long enough for many trim rounds, which must leave what the dead follower lacks alone.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let (purged, matched) = purged_and_matched(cluster.metrics[leader], down as u64 + 1);
    assert!(purged < matched, "the leader trimmed past what the dead follower holds: {purged} >= {matched}");
    cluster.restart(down);
    let expected = high_watermarks(cluster.addr(leader), "t").await;
    assert_eq!(expected, vec![2_500, 2_500]);
    wait_caught_up(cluster.addr(down), "t", &expected).await;
    wait_trimmed_past(cluster.metrics[leader], held).await;

    // Everyone restarts from a trimmed log: nothing lost, replicas identical.
    for i in 0..3 {
        cluster.kill_9(i);
    }
    for i in 0..3 {
        cluster.restart(i);
    }
    let leader = cluster.leader().await;
    let mut client = connect(cluster.addr(leader)).await;
    for partition in 0..2 {
        assert_eq!(fetch_all(&mut client, "t", partition, 0).await.len(), 2_500, "partition {partition}");
    }
    for i in 0..3 {
        wait_caught_up(cluster.addr(i), "t", &expected).await;
    }
    cluster.stop_and_compare_replicas();
}
