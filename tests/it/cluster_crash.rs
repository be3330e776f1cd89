//! The Jepsen-style checker on a three-broker cluster (and on four brokers keeping three copies
//! of each partition, where a replaced broker's shards are copied to the others and then spread
//! to the new one): idempotent producers (acks ALL), a reader
//! and a committer run while a nemesis kills a shard's leader with -9, kills all three at once,
//! freezes a leader with SIGSTOP (a zombie) and kills a follower, every other time replacing it
//! for good (removed, and a new broker joins with an empty data dir), cycle after cycle, the
//! metadata shard's leader and each data shard's in turn. Clients follow each partition's
//! leader through a bootstrap list and retry what failed.
//!
//! Checked at the end, after healing: every acknowledged record is stored at the offset it was
//! acknowledged with; no value is stored twice; offsets are dense; every stored record was
//! acknowledged (batches left unanswered are sent again first); no reader ever saw two values at
//! one offset or a high watermark go back, and its polls continued where the last ended; the
//! broker never refused a producer's sequence; committed offsets never went back; and the three
//! members' data dirs dump byte-identical (a broker that joined included).
//!
//! `make test` runs 4 cycles (one of each fault); `make cluster-crash-test` runs 50
//! (`STRATA_CLUSTER_CRASH_CYCLES`) and prints the anomaly counts.
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use strata::broker::shards::Shards;
use strata::proto;

use super::cluster::{Cluster, high_watermarks, wait_caught_up};
use super::offsets::commit;
use crate::support::*;

const PARTITIONS: u32 = 4;
const PRODUCERS: u32 = 4;

/// The cluster a run starts, and what its nemesis may do to it.
struct Setup {
    brokers: usize,
    flags: &'static [&'static str],
    /// Copies of each partition.
    copies: usize,
    /// Replacing a follower for good (removed, then a broker joins).
    replace_followers: bool,
}

impl Setup {
    /// The metadata shard and one data shard per broker (the default).
    fn shards(&self) -> u64 {
        self.brokers as u64 + 1
    }
}

const THREE_BROKERS: Setup = Setup { brokers: 3, flags: &[], copies: 3, replace_followers: true };
const FOUR_BROKERS_THREE_COPIES: Setup =
    Setup { brokers: 4, flags: &["--default-replication-factor", "3"], copies: 3, replace_followers: true };

#[derive(Debug, Default, PartialEq, Eq)]
struct Anomalies {
    lost: usize,
    wrong_value: usize,
    duplicated: usize,
    offset_gaps: usize,
    stored_not_acknowledged: usize,
    two_values_at_one_offset: usize,
    high_watermark_regressions: usize,
    non_monotonic_polls: usize,
    sequence_refusals: usize,
    commit_regressions: usize,
}

/// Everything clients were told or saw.
#[derive(Default)]
struct History {
    acked: BTreeMap<(u32, i64), Bytes>,
    /// Every (partition, offset) → value any read returned.
    observed: BTreeMap<(u32, i64), Bytes>,
    /// The last acknowledged commit per partition.
    committed: BTreeMap<u32, i64>,
    anomalies: Anomalies,
    resent_found_stored: usize,
}

type Shared = Arc<Mutex<History>>;

/// An idempotent producer that outlives cycles; its unanswered batch is sent again, with the
/// same sequence, until answered.
struct Producer {
    id: u32,
    identity: Option<proto::InitProducerIdResponse>,
    next_sequence: i32,
    unanswered: Option<Vec<Bytes>>,
    requests: usize,
}

/// Runs one producer until `stop` (with `once`, only until its unanswered batch is answered).
/// A producer whose sequence the broker refused stops (counted as an anomaly).
async fn produce(
    mut client: Client,
    state: Arc<Mutex<Producer>>,
    cycle: usize,
    shared: Shared,
    stop: Arc<AtomicBool>,
    once: bool,
) {
    while !stop.load(Ordering::SeqCst) {
        if once && state.lock().expect("producer").unanswered.is_none() {
            return;
        }
        if state.lock().expect("producer").identity.is_none() {
            match client.init_producer_id(deadline(proto::InitProducerIdRequest::default())).await {
                Ok(identity) => state.lock().expect("producer").identity = Some(identity.into_inner()),
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
            continue;
        }
        let (request, resend) = {
            let mut p = state.lock().expect("producer");
            let resend = p.unanswered.is_some();
            if !resend {
                p.requests += 1;
                let values = (0..10).map(|i| Bytes::from(format!("c{cycle}/p{}/r{}/{i}", p.id, p.requests))).collect();
                p.unanswered = Some(values);
            }
            let identity = p.identity.expect("identity");
            let values = p.unanswered.clone().expect("a batch to send");
            let request = proto::ProduceRequest {
                topic: "t".into(),
                partition: Some(p.id % PARTITIONS),
                records: values.iter().map(|v| proto::Record { value: v.clone(), ..Default::default() }).collect(),
                producer_id: Some(identity.producer_id),
                producer_epoch: identity.producer_epoch,
                base_sequence: p.next_sequence,
                ..Default::default()
            };
            (request, resend)
        };
        let partition = request.partition.unwrap_or(0);
        match client.produce(deadline(strata::client::for_partition(request.clone(), "t", partition))).await {
            Ok(response) => {
                let Some(&result) = response.into_inner().results.first() else {
                    panic!("a produce at acks ALL was answered without a result");
                };
                let mut p = state.lock().expect("producer");
                let values = p.unanswered.take().expect("the batch just answered");
                p.next_sequence += values.len() as i32;
                let mut h = shared.lock().expect("history");
                h.resent_found_stored += usize::from(resend && result.duplicate);
                for (i, v) in values.into_iter().enumerate() {
                    h.acked.insert((request.partition.unwrap_or(0), result.base_offset + i as i64), v);
                }
            }
            Err(status) if status.code() == tonic::Code::FailedPrecondition => {
                shared.lock().expect("history").anomalies.sequence_refusals += 1;
                return;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
}

/// `request` with a 2 s deadline: a frozen broker makes the client move on to another.
fn deadline<T>(request: impl tonic::IntoRequest<T>) -> tonic::Request<T> {
    let mut request = request.into_request();
    request.set_timeout(Duration::from_secs(2));
    request
}

/// Reads every partition from `positions` on, checking each answer against what was seen
/// before, and commits its position as group "checker".
async fn read(mut client: Client, positions: Arc<Mutex<BTreeMap<u32, i64>>>, shared: Shared, stop: Arc<AtomicBool>) {
    let mut high_watermarks: BTreeMap<u32, i64> = BTreeMap::new();
    while !stop.load(Ordering::SeqCst) {
        for partition in 0..PARTITIONS {
            let offset = positions.lock().expect("positions").get(&partition).copied().unwrap_or(0);
            let fetch = proto::FetchRequest { max_wait_ms: 5, ..fetch_request("t", partition, offset) };
            let Ok(response) = client.fetch(deadline(strata::client::for_partition(fetch, "t", partition))).await
            else {
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            };
            let response = response.into_inner();
            {
                let mut h = shared.lock().expect("history");
                let seen = high_watermarks.entry(partition).or_default();
                h.anomalies.high_watermark_regressions += usize::from(response.high_watermark < *seen);
                *seen = (*seen).max(response.high_watermark);
                for (i, r) in response.records.iter().enumerate() {
                    h.anomalies.non_monotonic_polls += usize::from(r.offset != offset + i as i64);
                    let earlier = h.observed.entry((partition, r.offset)).or_insert_with(|| r.value.clone());
                    let differs = *earlier != r.value;
                    h.anomalies.two_values_at_one_offset += usize::from(differs);
                }
            }
            let Some(last) = response.records.last() else { continue };
            positions.lock().expect("positions").insert(partition, last.offset + 1);
            if client.commit_offsets(deadline(commit("checker", "t", &[(partition, last.offset + 1)]))).await.is_ok() {
                shared.lock().expect("history").committed.insert(partition, last.offset + 1);
            }
        }
    }
}

/// Counts committed offsets below one already acknowledged.
async fn check_commits(client: &mut Client, shared: &Shared) {
    let request =
        proto::FetchCommittedOffsetsRequest { group: "checker".into(), topic: "t".into(), partitions: vec![] };
    let Ok(Ok(now)) = tokio::time::timeout(Duration::from_secs(5), client.fetch_committed_offsets(request)).await
    else {
        return;
    };
    let mut h = shared.lock().expect("history");
    for o in now.into_inner().offsets {
        let acked = h.committed.get(&o.partition).copied();
        let regressed = acked.is_some_and(|acked| o.offset < acked);
        if regressed {
            println!(
                "committed offset of partition {} read as {}, below {acked:?} acknowledged",
                o.partition, o.offset
            );
        }
        h.anomalies.commit_regressions += usize::from(regressed);
    }
}

/// The fault of cycle `cycle`, applied to a running cluster; returns what to undo afterwards.
async fn nemesis(cluster: &mut Cluster, cycle: usize, setup: &Setup) -> &'static str {
    // The leader of each shard in turn (the metadata shard's, then each data shard's).
    let leader = cluster.shard_leader((cycle / 4) as u64 % setup.shards()).await;
    match cycle % 4 {
        0 => {
            cluster.kill_9(leader);
            "kill -9 of the leader"
        }
        1 => {
            for i in cluster.members() {
                cluster.kill_9(i);
            }
            "kill -9 of all brokers"
        }
        2 => {
            cluster.pause(leader);
            tokio::time::sleep(Duration::from_secs(2)).await;
            cluster.resume(leader);
            "SIGSTOP of the leader for 2 s"
        }
        _ => {
            let follower = cluster.members().into_iter().find(|&i| i != leader).expect("a follower");
            if setup.replace_followers && (cycle / 4).is_multiple_of(2) {
                let joined = cluster.replace(follower).await;
                println!("cycle {cycle}: broker {} replaced by broker {}", follower + 1, joined + 1);
                "a follower replaced for good: killed, removed, a new broker joined"
            } else {
                cluster.kill_9(follower);
                "kill -9 of a follower"
            }
        }
    }
}

fn cycles() -> usize {
    std::env::var("STRATA_CLUSTER_CRASH_CYCLES").ok().and_then(|s| s.parse().ok()).unwrap_or(4)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cluster_under_kills_and_freezes_loses_and_duplicates_nothing() {
    run(THREE_BROKERS).await;
}

/// Each partition on three of the four brokers: clients also meet brokers without a copy.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn brokers_keeping_some_partitions_lose_and_duplicate_nothing_under_kills_and_freezes() {
    run(FOUR_BROKERS_THREE_COPIES).await;
}

async fn run(setup: Setup) {
    let mut cluster = Cluster::start_with(setup.brokers, setup.flags);
    let leader = cluster.leader().await;
    create_topic(&mut connect(cluster.addr(leader)).await, "t", PARTITIONS).await;
    let shared: Shared = Arc::default();
    let producers: Vec<Arc<Mutex<Producer>>> = (0..PRODUCERS)
        .map(|id| {
            let p = Producer { id, identity: None, next_sequence: 0, unanswered: None, requests: 0 };
            Arc::new(Mutex::new(p))
        })
        .collect();
    let positions: Arc<Mutex<BTreeMap<u32, i64>>> = Arc::default();
    for cycle in 0..cycles() {
        for i in cluster.members() {
            if !cluster.running(i) {
                cluster.restart(i);
            }
        }
        let bootstrap = cluster.bootstrap();
        println!("cycle {cycle}: committed offsets read through {bootstrap}");
        check_commits(&mut strata::client::connect(&bootstrap).await.expect("bootstrap"), &shared).await;
        let stop = Arc::new(AtomicBool::new(false));
        let mut tasks = Vec::new();
        for state in &producers {
            let client = strata::client::connect(&bootstrap).await.expect("bootstrap");
            tasks.push(tokio::spawn(produce(client, state.clone(), cycle, shared.clone(), stop.clone(), false)));
        }
        let client = strata::client::connect(&bootstrap).await.expect("bootstrap");
        tasks.push(tokio::spawn(read(client, positions.clone(), shared.clone(), stop.clone())));
        tokio::time::sleep(Duration::from_millis(1_500)).await;
        let fault = nemesis(&mut cluster, cycle, &setup).await;
        println!("cycle {cycle}: {fault}");
        tokio::time::sleep(Duration::from_millis(1_500)).await;
        stop.store(true, Ordering::SeqCst);
        join_client_tasks(tasks).await;
    }
    heal_and_check(cluster, &producers, &shared, &setup).await;
}

/// Waits for the cycle's clients; a client that panicked fails the test with its own message
/// (one line, so it is not lost among the other threads' output).
async fn join_client_tasks(tasks: Vec<tokio::task::JoinHandle<()>>) {
    let mut failures = Vec::new();
    for task in tasks {
        if let Err(e) = task.await {
            let message = match e.try_into_panic() {
                Ok(payload) => payload
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_else(|| "a panic without a message".into()),
                Err(e) => e.to_string(),
            };
            failures.push(message);
        }
    }
    assert!(failures.is_empty(), "client tasks failed: {failures:?}");
}

/// Each data shard's voters once every shard has `setup.copies` voters and no learner, and no
/// two brokers carry two shards apart (the copies of a replaced broker spread again; bounded).
async fn copies_settled(cluster: &Cluster, leader: usize, setup: &Setup) -> BTreeMap<u64, Vec<u64>> {
    let mut client = connect(cluster.addr(leader)).await;
    let mut last = None;
    for _ in 0..240 {
        if let Ok(status) = client.cluster_status(proto::ClusterStatusRequest {}).await {
            let status = status.into_inner();
            let data = status.shards.iter().filter(|s| s.shard != 0);
            let voters: BTreeMap<u64, Vec<u64>> = data.clone().map(|s| (s.shard, s.members.clone())).collect();
            let counts: Vec<usize> = cluster
                .members()
                .iter()
                .map(|&i| voters.values().filter(|v| v.contains(&(i as u64 + 1))).count())
                .collect();
            let even = counts.iter().max().zip(counts.iter().min()).is_some_and(|(max, min)| max - min <= 1);
            let settled = data.clone().all(|s| s.members.len() == setup.copies && s.learners.is_empty());
            // Every data shard listed: a broker outside some learns them from the others.
            let all_listed = voters.len() as u64 == setup.shards() - 1;
            if all_listed && settled && even && status.shards.iter().all(|s| s.learners.is_empty()) {
                return voters;
            }
            last = Some(status);
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    panic!("the shards' copies never settled evenly: {last:?}");
}

/// Waits (bounded: 60 s) until every member reports the same high watermarks of "t" (returned): each has
/// applied what its shards' leaders committed. (One broker's figures, read once, may trail a
/// leader by the entries it had not applied yet, and a wait for them would never end.)
async fn agreed_high_watermarks(cluster: &Cluster) -> Vec<i64> {
    let mut seen = Vec::new();
    for _ in 0..600 {
        seen.clear();
        for i in cluster.members() {
            seen.push(high_watermarks(cluster.addr(i), "t").await);
        }
        if seen.windows(2).all(|w| w[0] == w[1]) {
            return seen.swap_remove(0);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the members never agreed on the high watermarks: {seen:?}");
}

/// Restarts every broker, waits until all three applied the same, sends what is unanswered,
/// checks the log and the replicas.
async fn heal_and_check(mut cluster: Cluster, producers: &[Arc<Mutex<Producer>>], shared: &Shared, setup: &Setup) {
    for i in cluster.members() {
        if !cluster.running(i) {
            cluster.restart(i);
        }
    }
    let leader = cluster.leader().await;
    let mut client = connect(cluster.addr(leader)).await;
    check_commits(&mut client, shared).await;
    let never = Arc::new(AtomicBool::new(false));
    for state in producers {
        // The unanswered batch is sent until it is answered (from the window if it was stored).
        produce(client.clone(), state.clone(), usize::MAX, shared.clone(), never.clone(), true).await;
    }
    let ends = agreed_high_watermarks(&cluster).await;
    let acked = std::mem::take(&mut shared.lock().expect("history").acked);
    let mut seen: BTreeMap<Bytes, usize> = BTreeMap::new();
    let mut stored = 0;
    let mut found = Anomalies::default();
    for partition in 0..PARTITIONS {
        let log = fetch_all(&mut client, "t", partition, 0).await;
        stored += log.len();
        for (i, r) in log.iter().enumerate() {
            found.offset_gaps += usize::from(r.offset != i as i64);
            *seen.entry(r.value.clone()).or_default() += 1;
            let acknowledged = acked.get(&(partition, r.offset));
            found.stored_not_acknowledged += usize::from(acknowledged.is_none());
            found.wrong_value += usize::from(acknowledged.is_some_and(|v| *v != r.value));
        }
        for (&(_, offset), _) in acked.range((partition, 0)..(partition + 1, 0)) {
            found.lost += usize::from(offset as usize >= log.len());
        }
    }
    found.duplicated = seen.values().filter(|&&copies| copies > 1).count();
    {
        let h = shared.lock().expect("history");
        let a = &h.anomalies;
        found.two_values_at_one_offset = a.two_values_at_one_offset;
        found.high_watermark_regressions = a.high_watermark_regressions;
        found.non_monotonic_polls = a.non_monotonic_polls;
        found.sequence_refusals = a.sequence_refusals;
        found.commit_regressions = a.commit_regressions;
        println!(
            "cluster crash checker: {} cycles, {} records acknowledged, {stored} stored, {} unanswered batches \
             found already stored when sent again; anomalies: {found:?}",
            cycles(),
            acked.len(),
            h.resent_found_stored
        );
    }
    assert!(!acked.is_empty());
    if setup.copies == setup.brokers {
        cluster.stop_and_compare_replicas(); // every byte, producers' windows included
    } else {
        let voters = copies_settled(&cluster, leader, setup).await;
        for i in cluster.members() {
            wait_caught_up(cluster.addr(i), "t", &ends).await;
        }
        cluster.stop_and_compare_copies(&voters, Shards::new(setup.shards() - 1));
    }
    assert_eq!(found, Anomalies::default());
}
