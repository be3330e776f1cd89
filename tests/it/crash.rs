//! A Jepsen-style crash checker: real broker processes are `kill -9`ed at arbitrary moments
//! while producers (acks ALL) and a group consumer run, then restarted on the same data dir.
//! After every cycle the history is checked: every acknowledged record is present exactly once
//! at the offset it was acknowledged with, offsets are dense, each consumer session's polls are
//! contiguous and increasing, and committed offsets never go backwards.
//!
//! `make test` runs 10 cycles per fsync mode; `make crash-test` runs 100
//! (`STRATA_CRASH_CYCLES`) and prints the anomaly counts.
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use strata::proto;
use tokio::sync::watch;

use super::offsets::commit;
use crate::process::ServerProcess;
use crate::support::*;

const PARTITIONS: u32 = 4;
const PRODUCERS: u32 = 6;

/// Everything clients were told, across all cycles.
#[derive(Debug, Default)]
struct History {
    /// (partition, offset) → value, for every acknowledged record.
    acked: BTreeMap<(u32, i64), Bytes>,
    /// Per partition, the last acknowledged commit of the checker group.
    committed: BTreeMap<u32, i64>,
}

#[derive(Debug, Default, PartialEq, Eq)]
struct Anomalies {
    lost: usize,
    wrong_value: usize,
    duplicated: usize,
    offset_gaps: usize,
    non_monotonic_polls: usize,
    commit_regressions: usize,
}

type Shared = Arc<Mutex<History>>;

async fn producer(mut client: Client, id: u32, cycle: usize, history: Shared, acks: Arc<watch::Sender<usize>>) {
    let partition = id % PARTITIONS;
    for request in 0.. {
        let values: Vec<Bytes> = (0..10).map(|i| Bytes::from(format!("c{cycle}/p{id}/r{request}/{i}"))).collect();
        let records = values.iter().map(|v| proto::Record { value: v.clone(), ..Default::default() }).collect();
        let req = proto::ProduceRequest { topic: "t".into(), partition: Some(partition), records, acks: 0 };
        let Ok(response) = client.produce(req).await else { return };
        let Some(base) = response.into_inner().results.first().map(|r| r.base_offset) else { return };
        let mut h = history.lock().expect("history");
        for (i, v) in values.into_iter().enumerate() {
            h.acked.insert((partition, base + i as i64), v);
        }
        drop(h);
        acks.send_modify(|n| *n += 1);
    }
}

/// Reads every partition from the group's committed offset; each poll must continue exactly
/// where the previous one ended. Commits its position as it goes.
async fn consumer(mut client: Client, history: Shared, anomalies: Arc<Mutex<Anomalies>>) {
    let request =
        proto::FetchCommittedOffsetsRequest { group: "checker".into(), topic: "t".into(), partitions: vec![] };
    let Ok(committed) = client.fetch_committed_offsets(request).await else { return };
    let mut next: BTreeMap<u32, i64> =
        committed.into_inner().offsets.iter().map(|o| (o.partition, o.offset.max(0))).collect();
    loop {
        for partition in 0..PARTITIONS {
            let offset = next[&partition];
            let fetch = proto::FetchRequest { max_wait_ms: 5, ..fetch_request("t", partition, offset) };
            let Ok(response) = client.fetch(fetch).await else { return };
            let records = response.into_inner().records;
            for (i, r) in records.iter().enumerate() {
                if r.offset != offset + i as i64 {
                    anomalies.lock().expect("anomalies").non_monotonic_polls += 1;
                }
            }
            if let Some(last) = records.last() {
                next.insert(partition, last.offset + 1);
            }
            let position = next[&partition];
            if client.commit_offsets(commit("checker", "t", &[(partition, position)])).await.is_err() {
                return;
            }
            history.lock().expect("history").committed.insert(partition, position);
        }
    }
}

async fn one_cycle(
    dir: &std::path::Path,
    args: &[&str],
    cycle: usize,
    history: &Shared,
    anomalies: &Arc<Mutex<Anomalies>>,
) {
    let server = ServerProcess::spawn(dir, args);
    let mut client = connect(server.addr).await;
    if cycle == 0 {
        create_topic(&mut client, "t", PARTITIONS).await;
    }
    check_commits_never_regress(&mut client, history, anomalies).await;
    let (acks, mut acked) = watch::channel(0usize);
    let acks = Arc::new(acks);
    let mut tasks = Vec::new();
    for id in 0..PRODUCERS {
        tasks.push(tokio::spawn(producer(connect(server.addr).await, id, cycle, history.clone(), acks.clone())));
    }
    tasks.push(tokio::spawn(consumer(connect(server.addr).await, history.clone(), anomalies.clone())));
    // Kill after a pseudo-random number of acknowledged requests (20..120): a different moment
    // in the group-commit cycle every time.
    let kill_after = 20 + (cycle * 7_919 + 13) % 100;
    let _ = acked.wait_for(|n| *n >= kill_after).await;
    server.kill_9();
    for task in tasks {
        task.await.expect("client task");
    }
}

async fn check_commits_never_regress(client: &mut Client, history: &Shared, anomalies: &Arc<Mutex<Anomalies>>) {
    let request =
        proto::FetchCommittedOffsetsRequest { group: "checker".into(), topic: "t".into(), partitions: vec![] };
    let Ok(now) = client.fetch_committed_offsets(request).await else { return };
    let h = history.lock().expect("history");
    for o in now.into_inner().offsets {
        if h.committed.get(&o.partition).is_some_and(|acked| o.offset < *acked) {
            anomalies.lock().expect("anomalies").commit_regressions += 1;
        }
    }
}

/// Reads back every partition and compares it with what was acknowledged.
async fn check_log(client: &mut Client, history: &Shared, anomalies: &mut Anomalies) -> usize {
    let acked = history.lock().expect("history").acked.clone();
    let mut seen: BTreeMap<Bytes, usize> = BTreeMap::new();
    let mut stored = 0;
    for partition in 0..PARTITIONS {
        let log = fetch_all(client, "t", partition, 0).await;
        stored += log.len();
        for (i, r) in log.iter().enumerate() {
            anomalies.offset_gaps += usize::from(r.offset != i as i64);
            *seen.entry(r.value.clone()).or_default() += 1;
        }
        for ((p, offset), value) in acked.range((partition, 0)..(partition + 1, 0)) {
            debug_assert_eq!(*p, partition);
            match log.get(*offset as usize) {
                None => anomalies.lost += 1,
                Some(r) if r.value != *value => anomalies.wrong_value += 1,
                Some(_) => {}
            }
        }
    }
    anomalies.duplicated += acked.values().filter(|v| seen.get(*v).copied().unwrap_or(0) > 1).count();
    stored
}

/// What a checker run found, and how many SST files its data dir held at the end.
struct Checked {
    anomalies: Anomalies,
    sst_files: usize,
}

/// Runs `cycles` kill -9 cycles of `strata serve <args>`, then checks what was stored.
async fn run_checker(args: &[&str], cycles: usize) -> Checked {
    // The target dir, not /tmp: a tmpfs /tmp may not take O_DIRECT (`--direct-io`).
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("dir");
    let data = dir.path().join("data");
    let history: Shared = Arc::default();
    let anomalies = Arc::new(Mutex::new(Anomalies::default()));
    for cycle in 0..cycles {
        one_cycle(&data, args, cycle, &history, &anomalies).await;
    }
    let server = ServerProcess::spawn(&data, args);
    let mut client = connect(server.addr).await;
    check_commits_never_regress(&mut client, &history, &anomalies).await;
    let mut found = std::mem::take(&mut *anomalies.lock().expect("anomalies"));
    let stored = check_log(&mut client, &history, &mut found).await;
    let acked = history.lock().expect("history").acked.len();
    println!(
        "crash checker, {}: {cycles} kill -9 cycles, {acked} records acknowledged, {stored} stored; anomalies: {found:?}",
        args.join(" ")
    );
    assert!(acked > 0 && stored >= acked);
    Checked { anomalies: found, sst_files: sst_file_sizes(&data).len() }
}

fn cycles() -> usize {
    std::env::var("STRATA_CRASH_CYCLES").ok().and_then(|s| s.parse().ok()).unwrap_or(10)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_cycles_lose_nothing_acknowledged_with_fsync_always() {
    assert_eq!(run_checker(&["--fsync", "always"], cycles()).await.anomalies, Anomalies::default());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_cycles_lose_nothing_acknowledged_with_fsync_interval() {
    // A process crash (not a power loss) loses nothing in this mode either.
    assert_eq!(run_checker(&["--fsync", "interval=200ms"], cycles()).await.anomalies, Anomalies::default());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_cycles_lose_nothing_acknowledged_with_direct_io() {
    // A 1 MiB memtable budget flushes every few requests, so SST files written with O_DIRECT
    // are being created when the broker is killed.
    let args = ["--fsync", "always", "--direct-io", "--write-buffer-total", "1MiB"];
    let checked = run_checker(&args, cycles()).await;
    assert_eq!(checked.anomalies, Anomalies::default());
    // Creating the topic flushes the metadata families (a file or two); dozens of files mean
    // partition memtables were flushed throughout the run (88 in one run here).
    assert!(checked.sst_files >= 10, "only {} SST files: the budget did not force flushes", checked.sst_files);
}
