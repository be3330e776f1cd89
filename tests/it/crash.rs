//! A Jepsen-style crash checker: real broker processes are `kill -9`ed at arbitrary moments
//! while idempotent producers (acks ALL) and a group consumer run, then restarted on the same
//! data dir. A producer's batch left unanswered by a kill is sent again, with the same
//! sequence, to the restarted broker. At the end the history is checked: every acknowledged
//! record is present at the offset it was acknowledged with, no value is stored twice, offsets
//! are dense, each consumer session's polls are contiguous and increasing, committed offsets
//! never go backwards, and the broker never refused a producer's sequence.
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
/// How long a cycle waits for its acknowledgements before it kills anyway (a healthy cycle
/// takes well under a second).
const STALLED: std::time::Duration = std::time::Duration::from_secs(20);

/// Everything clients were told, across all cycles.
#[derive(Debug, Default)]
struct History {
    /// (partition, offset) → value, for every acknowledged record.
    acked: BTreeMap<(u32, i64), Bytes>,
    /// Per partition, the last acknowledged commit of the checker group.
    committed: BTreeMap<u32, i64>,
    /// Idempotent batches the broker refused (it must know every producer's sequences).
    sequence_refusals: usize,
    /// Batches a kill left unanswered, sent again: found already stored (answered from the
    /// producer's window with the original offsets), or stored now.
    resent_found_stored: usize,
    resent_stored_now: usize,
}

#[derive(Debug, Default, PartialEq, Eq)]
struct Anomalies {
    lost: usize,
    wrong_value: usize,
    /// Values stored more than once (every value sent is unique; retries resend the same).
    duplicated: usize,
    sequence_refusals: usize,
    offset_gaps: usize,
    non_monotonic_polls: usize,
    commit_regressions: usize,
}

type Shared = Arc<Mutex<History>>;

/// An idempotent producer that outlives broker processes: the batch a kill left unanswered is
/// sent again, with the same sequence, to the restarted broker, which must not store it twice.
#[derive(Debug)]
struct CrashProducer {
    id: u32,
    identity: Option<proto::InitProducerIdResponse>,
    next_sequence: i32,
    unanswered: Option<Vec<Bytes>>,
    requests: usize,
}

impl CrashProducer {
    fn new(id: u32) -> Self {
        CrashProducer { id, identity: None, next_sequence: 0, unanswered: None, requests: 0 }
    }

    /// The values of the next request: the unanswered one again, or new unique ones.
    fn next_values(&mut self, cycle: usize) -> Vec<Bytes> {
        self.unanswered.take().unwrap_or_else(|| {
            self.requests += 1;
            (0..10).map(|i| Bytes::from(format!("c{cycle}/p{}/r{}/{i}", self.id, self.requests))).collect()
        })
    }
}

async fn producer(
    mut client: Client,
    mut state: CrashProducer,
    cycle: usize,
    shared: Shared,
    acks: Arc<watch::Sender<usize>>,
) -> CrashProducer {
    if state.identity.is_none() {
        match client.init_producer_id(proto::InitProducerIdRequest::default()).await {
            Ok(identity) => state.identity = Some(identity.into_inner()),
            Err(_) => return state,
        }
    }
    while send_next(&mut client, &mut state, cycle, &shared).await {
        acks.send_modify(|n| *n += 1);
    }
    state
}

/// Sends the producer's next request (the unanswered one first); true once it is acknowledged
/// and recorded in the history.
async fn send_next(client: &mut Client, state: &mut CrashProducer, cycle: usize, shared: &Shared) -> bool {
    let Some(identity) = state.identity else { return false };
    let partition = state.id % PARTITIONS;
    let resend = state.unanswered.is_some();
    let values = state.next_values(cycle);
    let records = values.iter().map(|v| proto::Record { value: v.clone(), ..Default::default() }).collect();
    let req = proto::ProduceRequest {
        topic: "t".into(),
        partition: Some(partition),
        records,
        producer_id: Some(identity.producer_id),
        producer_epoch: identity.producer_epoch,
        base_sequence: state.next_sequence,
        ..Default::default()
    };
    let base = match client.produce(req).await {
        Ok(response) => response.into_inner().results.first().map(|r| {
            let mut h = shared.lock().expect("history");
            match (resend, r.duplicate) {
                (true, true) => h.resent_found_stored += 1,
                (true, false) => h.resent_stored_now += 1,
                (false, _) => {}
            }
            r.base_offset
        }),
        Err(status) if status.code() == tonic::Code::FailedPrecondition => {
            // The broker lost (or never had) this producer's sequences.
            shared.lock().expect("history").sequence_refusals += 1;
            None
        }
        Err(_) => None,
    };
    let Some(base) = base else {
        state.unanswered = Some(values);
        return false;
    };
    state.next_sequence += values.len() as i32;
    let mut h = shared.lock().expect("history");
    for (i, v) in values.into_iter().enumerate() {
        h.acked.insert((partition, base + i as i64), v);
    }
    true
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
    producers: Vec<CrashProducer>,
    history: &Shared,
    anomalies: &Arc<Mutex<Anomalies>>,
) -> Vec<CrashProducer> {
    let server = ServerProcess::spawn(dir, args);
    let mut client = connect(server.addr).await;
    if cycle == 0 {
        create_topic(&mut client, "t", PARTITIONS).await;
    }
    check_commits_never_regress(&mut client, history, anomalies).await;
    let (acks, mut acked) = watch::channel(0usize);
    let acks = Arc::new(acks);
    let mut tasks = Vec::new();
    for state in producers {
        tasks.push(tokio::spawn(producer(connect(server.addr).await, state, cycle, history.clone(), acks.clone())));
    }
    let consumer = tokio::spawn(consumer(connect(server.addr).await, history.clone(), anomalies.clone()));
    // Kill after a pseudo-random number of acknowledged requests (20..120): a different moment
    // in the group-commit cycle every time.
    let kill_after = 20 + (cycle * 7_919 + 13) % 100;
    // Bounded: producers whose sequences were refused stop, and then the count never comes.
    let _ = tokio::time::timeout(STALLED, acked.wait_for(|n| *n >= kill_after)).await;
    server.kill_9();
    consumer.await.expect("consumer task");
    let mut producers = Vec::new();
    for task in tasks {
        producers.push(task.await.expect("producer task"));
    }
    producers
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
    anomalies.duplicated += seen.values().filter(|&&copies| copies > 1).count();
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
    let mut producers: Vec<CrashProducer> = (0..PRODUCERS).map(CrashProducer::new).collect();
    for cycle in 0..cycles {
        producers = one_cycle(&data, args, cycle, producers, &history, &anomalies).await;
    }
    let server = ServerProcess::spawn(&data, args);
    let mut client = connect(server.addr).await;
    // What the last kill left unanswered is answered now (from the producers' windows if it
    // was stored), so every stored record is an acknowledged one.
    for mut state in producers {
        if state.unanswered.is_some() {
            assert!(send_next(&mut client, &mut state, cycles, &history).await, "the retry is answered");
        }
    }
    check_commits_never_regress(&mut client, &history, &anomalies).await;
    let mut found = std::mem::take(&mut *anomalies.lock().expect("anomalies"));
    found.sequence_refusals = history.lock().expect("history").sequence_refusals;
    let stored = check_log(&mut client, &history, &mut found).await;
    let h = history.lock().expect("history");
    let acked = h.acked.len();
    println!(
        "crash checker, {}: {cycles} kill -9 cycles, {acked} records acknowledged, {stored} stored; \
         unanswered batches sent again: {} found stored, {} stored then; anomalies: {found:?}",
        args.join(" "),
        h.resent_found_stored,
        h.resent_stored_now,
    );
    // A hundred kills always caught some appends before their answers (55-191 of 600 here).
    assert!(cycles < 50 || h.resent_found_stored > 0, "no kill landed between an append and its answer");
    drop(h);
    assert!(acked > 0 && stored == acked, "every stored record was acknowledged once");
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
