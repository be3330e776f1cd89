//! Replacing a broker lost for good in a cluster whose data shards are each on three of four
//! brokers: a new broker joins (a member of the metadata shard only), the dead one is removed,
//! and each data shard it carried gets its third copy back on the new broker: the shard's rows,
//! sent by its leader, where its log was trimmed; else the log, replayed.
use std::collections::BTreeSet;
use std::time::Duration;

use strata::client::RecordOffset;
use strata::proto;

use crate::cluster::{Cluster, dump, failover_producer, wait_caught_up};
use crate::cluster_load::{numbered, stored_once};
use crate::support::*;

const PARTITIONS: u32 = 8;

/// The data shards (id, members) as broker `i` reports them, once the metadata shard has a
/// leader and `ready` holds (bounded: 120 s, for copies the balancer moves one at a time).
async fn data_shards_when(
    cluster: &Cluster,
    i: usize,
    ready: impl Fn(&[(u64, BTreeSet<u64>)]) -> bool,
) -> Vec<(u64, BTreeSet<u64>)> {
    let mut client = connect(cluster.addr(i)).await;
    let mut shards = Vec::new();
    for _ in 0..480 {
        if let Ok(status) = client.cluster_status(proto::ClusterStatusRequest {}).await {
            let status = status.into_inner();
            let meta_led = status.shards.iter().any(|s| s.shard == 0 && s.leader.is_some());
            let data = status.shards.into_iter().filter(|s| s.shard != 0 && s.leader.is_some());
            shards = data.map(|s| (s.shard, s.members.into_iter().collect())).collect();
            if meta_led && ready(&shards) {
                return shards;
            }
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    panic!("broker {} never saw the data shards as expected; last: {shards:?}", i + 1);
}

/// Sends `rounds` rounds of one record per partition, each round its own requests; returns
/// where each was acknowledged, numbered from `first`.
async fn produce_rounds(bootstrap: &str, first: u32, rounds: u32) -> Vec<(u32, RecordOffset)> {
    let producer = failover_producer(bootstrap, "t").await;
    let mut acked = Vec::new();
    for round in 0..rounds {
        let mut deliveries = Vec::new();
        for partition in 0..PARTITIONS {
            let i = first + round * PARTITIONS + partition;
            let record = proto::Record { value: numbered(i), ..Default::default() };
            deliveries.push((i, producer.send(record, Some(partition)).await.expect("queued")));
        }
        producer.flush().await;
        for (i, delivered) in deliveries {
            acked.push((i, delivered.await.expect("answered").expect("acknowledged")));
        }
    }
    producer.close().await;
    acked
}

/// Waits (bounded) until broker `i` trimmed the Raft log of every data shard it keeps.
async fn trimmed_everywhere(cluster: &Cluster, i: usize, shards: &[(u64, BTreeSet<u64>)]) {
    let kept: Vec<u64> = shards.iter().filter(|(_, m)| m.contains(&(i as u64 + 1))).map(|(s, _)| *s).collect();
    let series: Vec<String> = kept.iter().map(|s| format!("strata_raft_purged_index{{shard=\"{s}\"}}")).collect();
    let series: Vec<&str> = series.iter().map(String::as_str).collect();
    for _ in 0..300 {
        // An index 0 trim point shows as 0 too: only a trim past the first entries counts.
        if scrape(cluster.metrics[i], &series).await.iter().all(|purged| *purged > 0.0) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("broker {} never trimmed the logs of shards {kept:?}", i + 1);
}

/// Copies of a shard broker `i` received, by its metrics.
fn copies_received(cluster: &Cluster, i: usize) -> f64 {
    let text = http_get(cluster.metrics[i], "/metrics").expect("metrics");
    let received = text.lines().filter(|l| l.starts_with("strata_raft_snapshots_total{") && l.contains("\"received\""));
    received.filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok()).sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_brokers_shards_are_copied_to_the_broker_that_replaces_it() {
    replace_the_fourth_broker(Trimmed::Yes).await;
}

/// The shards' logs were not trimmed: the new broker replays them from the start, over the
/// state of the member's data dir it joined with, forgotten when it opened.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_brokers_shards_are_replayed_on_the_broker_that_replaces_it() {
    replace_the_fourth_broker(Trimmed::No).await;
}

#[derive(PartialEq)]
enum Trimmed {
    Yes,
    No,
}

/// Four brokers at R = 3 with a topic written in enough rounds that, with `trimmed`, every
/// shard's log is trimmed (a broker added to a shard then cannot catch up from the log).
/// Returns the cluster, its data shards' members and what was acknowledged.
async fn four_brokers_written(trimmed: &Trimmed) -> (Cluster, Vec<(u64, BTreeSet<u64>)>, Vec<(u32, RecordOffset)>) {
    let keep = if *trimmed == Trimmed::Yes { "2" } else { "1000" };
    let flags = ["--default-replication-factor", "3", "--raft-log-keep-entries", keep];
    let cluster = Cluster::start_with(4, &flags);
    let formed = |shards: &[(u64, BTreeSet<u64>)]| shards.len() == 4 && shards.iter().all(|(_, m)| m.len() == 3);
    let shards = data_shards_when(&cluster, 0, formed).await;
    let mut admin = connect(cluster.addr(0)).await;
    create_topic(&mut admin, "t", PARTITIONS).await;
    // Every broker applied the topic before producers ask any of them for it.
    for i in 0..4 {
        let mut client = connect(cluster.addr(i)).await;
        for attempt in 0.. {
            let request = proto::DescribeTopicRequest { name: "t".into() };
            if client.describe_topic(request).await.is_ok() {
                break;
            }
            assert!(attempt < 80, "broker {} never learned of topic t", i + 1);
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }
    let acked = produce_rounds(&cluster.bootstrap(), 0, 8).await;
    for i in (0..4).filter(|_| *trimmed == Trimmed::Yes) {
        trimmed_everywhere(&cluster, i, &shards).await;
    }
    (cluster, shards, acked)
}

/// The data shards `id` is a voter of.
fn carried_by(shards: &[(u64, BTreeSet<u64>)], id: u64) -> BTreeSet<u64> {
    shards.iter().filter(|(_, m)| m.contains(&id)).map(|(s, _)| *s).collect()
}

async fn replace_the_fourth_broker(trimmed: Trimmed) {
    let (mut cluster, shards, acked) = four_brokers_written(&trimmed).await;
    let mut admin = connect(cluster.addr(0)).await;
    let carried_by_4 = carried_by(&shards, 4);

    // Broker 4 dies for good. A new broker joins: it carries no data shard yet.
    cluster.kill_9(3);
    let new = cluster.join_new(0);
    let new_id = new as u64 + 1;
    let mut client = connect(cluster.addr(0)).await;
    let mut joined = false;
    for _ in 0..240 {
        let status = client.cluster_status(proto::ClusterStatusRequest {}).await.expect("status").into_inner();
        if status.shards.iter().any(|s| s.shard == 0 && s.members.contains(&new_id)) {
            assert!(status.shards.iter().all(|s| s.shard == 0 || !s.members.contains(&new_id)), "{status:?}");
            joined = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(joined, "the new broker became a voter of the metadata shard within 60 s");

    // Removing broker 4 gives each shard it carried a copy on the live broker that carries the
    // fewest before taking 4 out: the new one, unless it did not answer in time (a loaded
    // machine), when another gets the copy and the balancer then moves copies to the new one.
    admin.remove_broker(proto::RemoveBrokerRequest { node_id: 4 }).await.expect("broker 4 removed");
    let restored = |shards: &[(u64, BTreeSet<u64>)]| {
        shards.len() == 4
            && shards.iter().all(|(_, m)| m.len() == 3 && !m.contains(&4))
            && carried_by(shards, new_id).len() == carried_by_4.len()
    };
    let shards = data_shards_when(&cluster, 0, restored).await;
    let copies = if trimmed == Trimmed::Yes { carried_by_4.len() as f64 } else { 0.0 };
    assert_eq!(copies_received(&cluster, new), copies, "a copy of the shard where its log was trimmed");
    writes_go_on_and_copies_match(&mut cluster, &[0, 1, 2, new], &shards, acked).await;
}

/// A broker that joins takes its share of the copies: they move to it, one at a time, until
/// no two brokers carry two shards apart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broker_that_joins_takes_its_share_of_the_copies() {
    let (mut cluster, before, acked) = four_brokers_written(&Trimmed::Yes).await;
    let new = cluster.join_new(0);
    let even = |shards: &[(u64, BTreeSet<u64>)]| {
        let counts: Vec<usize> = (1..=5).map(|id| carried_by(shards, id).len()).collect();
        shards.len() == 4 && shards.iter().all(|(_, m)| m.len() == 3) && counts.iter().all(|c| (2..=3).contains(c))
    };
    let shards = data_shards_when(&cluster, 0, even).await;
    assert_eq!(carried_by(&shards, new as u64 + 1).len(), 2, "the new broker carries two shards: {shards:?}");
    assert_eq!(copies_received(&cluster, new), 2.0, "each came as a copy of the shard");
    let moved_off: BTreeSet<(u64, u64)> = before
        .iter()
        .flat_map(|(shard, members)| members.iter().map(move |id| (*shard, *id)))
        .filter(|(shard, id)| !carried_by(&shards, *id).contains(shard))
        .collect();
    assert_eq!(moved_off.len(), 2, "two copies moved: {moved_off:?}");
    // A broker a copy moved off notes it (from the shard's leader) and drops the shard's rows
    // when it next starts (checked below: a broker not among a shard's members holds none of
    // its partitions' rows).
    for id in moved_off.iter().map(|(_, id)| *id).collect::<BTreeSet<u64>>() {
        let i = id as usize - 1;
        let left = moved_off.iter().filter(|(_, from)| *from == id).count();
        wait_for_metric(cluster.metrics[i], &format!("strata_raft_left_shards {left}")).await;
        assert!(cluster.terminate(i), "broker {id} stops cleanly");
        cluster.restart(i);
        // Back and serving before the next one stops: the two may share a shard.
        data_shards_when(&cluster, i, |seen| seen == shards.as_slice()).await;
    }
    writes_go_on_and_copies_match(&mut cluster, &[0, 1, 2, 3, new], &shards, acked).await;
}

/// Writes go on through the `live` brokers; every acknowledged record is stored once, in
/// order, and each partition's copies hold the same bytes (its producers' windows included) on
/// exactly the members of its shard in `shards`, as every live broker reports them; no other
/// broker holds rows of it.
async fn writes_go_on_and_copies_match(
    cluster: &mut Cluster,
    live: &[usize],
    shards: &[(u64, BTreeSet<u64>)],
    mut acked: Vec<(u32, RecordOffset)>,
) {
    let addrs: Vec<String> = live.iter().map(|&i| cluster.addr(i).to_string()).collect();
    acked.extend(produce_rounds(&addrs.join(","), 8 * PARTITIONS, 2).await);
    let mut reader = strata::client::connect(&addrs.join(",")).await.expect("bootstrap");
    let ends = stored_once(&mut reader, "t", PARTITIONS, &acked).await;
    for &i in live {
        wait_caught_up(cluster.addr(i), "t", &ends).await;
        let as_reported = data_shards_when(cluster, i, |seen| seen == shards).await;
        assert_eq!(as_reported, shards, "broker {} reports the shards' members as they are", i + 1);
    }
    for &i in live {
        cluster.kill_9(i);
    }
    let dumps: Vec<_> = live.iter().map(|&i| (i as u64 + 1, dump(&cluster.dirs[i]))).collect();
    let placement = strata::broker::shards::Shards::new(shards.len() as u64);
    for partition in 0..PARTITIONS as usize {
        let (topic_id, _) = dumps[0].1.partitions[partition].0;
        let shard = placement.of_partition(topic_id, partition as u32);
        let members = &shards.iter().find(|(s, _)| *s == shard).expect("its shard").1;
        let copies: Vec<_> =
            dumps.iter().filter(|(id, _)| members.contains(id)).map(|(_, d)| &d.partitions[partition]).collect();
        assert_eq!(copies.len(), members.len(), "partition {partition}: every member's copy is here");
        assert!(!copies[0].2.is_empty(), "partition {partition} is kept");
        assert!(copies.windows(2).all(|w| w[0] == w[1]), "partition {partition}: the copies hold the same bytes");
        for (id, d) in dumps.iter().filter(|(id, _)| !members.contains(id)) {
            assert!(d.partitions[partition].2.is_empty(), "broker {id} keeps no copy of partition {partition}");
        }
        let windows = |d: &strata::storage::StoreDump| {
            let states = d.producers.states.iter().filter(|((_, p, _), _)| *p as usize == partition);
            states.map(|(at, m)| (*at, m.clone())).collect::<Vec<_>>()
        };
        let kept: Vec<_> = dumps.iter().filter(|(id, _)| members.contains(id)).map(|(_, d)| windows(d)).collect();
        assert!(!kept[0].is_empty(), "partition {partition} has its producer's window");
        assert!(kept.windows(2).all(|w| w[0] == w[1]), "partition {partition}: the same producer windows");
    }
}
