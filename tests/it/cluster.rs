//! Three real broker processes forming a cluster: replication, NOT_LEADER answers that name the
//! leader, failover after `kill -9` of the leader with nothing acknowledged lost, a restarted
//! broker catching up, and replicas holding the same bytes.
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use strata::broker::shards::Shards;
use strata::proto;
use strata::storage::batch;
use tonic::Code;

use crate::ports::fixed_ports;
use crate::process::ServerProcess;
use crate::support::*;

pub struct Cluster {
    pub dirs: Vec<PathBuf>,
    seeds: String,
    peers: Vec<String>,
    /// Client addresses, kept across restarts (the cluster hands them out as hints).
    listen: Vec<String>,
    /// Each broker's metrics listener.
    pub metrics: Vec<SocketAddr>,
    /// Each broker's Kafka listener.
    pub kafka: Vec<SocketAddr>,
    pub brokers: Vec<Option<ServerProcess>>,
    /// Brokers frozen with SIGSTOP.
    paused: Vec<bool>,
    /// Flags of one broker's next starts, beyond those every broker gets.
    pub extra_flags: Vec<Vec<String>>,
    /// For a broker added later: the peer address it joined through (`--join`).
    joined_via: Vec<Option<String>>,
    /// Brokers removed from the cluster for good (`replace`): never restarted or compared.
    retired: Vec<bool>,
    _root: tempfile::TempDir,
}

impl Cluster {
    pub fn start(size: usize) -> Self {
        Self::start_with(size, &[])
    }

    /// A cluster whose every broker also gets `flags`.
    pub fn start_with(size: usize, flags: &[&str]) -> Self {
        let root = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("dir");
        let ports = fixed_ports(4 * size);
        let addrs = |ports: &[u16]| -> Vec<String> { ports.iter().map(|p| format!("127.0.0.1:{p}")).collect() };
        let (peers, listen) = (addrs(&ports[..size]), addrs(&ports[size..2 * size]));
        let metrics = addrs(&ports[2 * size..3 * size]).iter().map(|a| a.parse().expect("addr")).collect();
        let kafka = addrs(&ports[3 * size..]).iter().map(|a| a.parse().expect("addr")).collect();
        let dirs: Vec<PathBuf> = (1..=size).map(|n| root.path().join(format!("broker{n}"))).collect();
        let paused = vec![false; size];
        let seeds = peers.join(",");
        // The disk-full tests' small filesystems hold 256 MiB.
        let mut common: Vec<String> = ["--min-free-disk", "64MiB"].map(String::from).to_vec();
        common.extend(flags.iter().map(|f| f.to_string()));
        let extra_flags = vec![common; size];
        let (brokers, joined_via, retired) = (Vec::new(), vec![None; size], vec![false; size]);
        let mut cluster = Cluster {
            dirs,
            seeds,
            peers,
            listen,
            metrics,
            kafka,
            brokers,
            paused,
            extra_flags,
            joined_via,
            retired,
            _root: root,
        };
        cluster.brokers = (0..size).map(|i| Some(cluster.spawn(i))).collect();
        cluster
    }

    /// Broker `i`'s flags (node id, peer address, seeds, ...), for a test that starts it itself.
    pub fn flags(&self, i: usize) -> Vec<String> {
        let (membership, peers) = match &self.joined_via[i] {
            Some(via) => ("--join", via.clone()),
            None => ("--seeds", self.seeds.clone()),
        };
        let args = [
            "--node-id".to_string(),
            (i + 1).to_string(),
            "--peer-listen".to_string(),
            self.peers[i].clone(),
            membership.to_string(),
            peers,
        ];
        args.to_vec()
    }

    /// Starts a new broker (with an empty data dir) that joins the cluster through broker
    /// `via`; returns its index (its node id is one more).
    pub fn join_new(&mut self, via: usize) -> usize {
        let i = self.brokers.len();
        let addr = |port: u16| format!("127.0.0.1:{port}");
        let ports = fixed_ports(4);
        self.dirs.push(self._root.path().join(format!("broker{}", i + 1)));
        self.peers.push(addr(ports[0]));
        self.listen.push(addr(ports[1]));
        self.metrics.push(addr(ports[2]).parse().expect("addr"));
        self.kafka.push(addr(ports[3]).parse().expect("addr"));
        self.paused.push(false);
        // The data shard count and replication factor are the cluster's: a joining broker is
        // refused its own.
        let mut flags = self.extra_flags[0].clone();
        for fixed in ["--data-shards", "--default-replication-factor"] {
            if let Some(at) = flags.iter().position(|f| f == fixed) {
                flags.drain(at..at + 2);
            }
        }
        self.extra_flags.push(flags);
        self.joined_via.push(Some(self.peers[via].clone()));
        self.retired.push(false);
        let joined = self.spawn(i);
        self.brokers.push(Some(joined));
        i
    }

    /// The brokers that are members (not retired), running or not.
    pub fn members(&self) -> Vec<usize> {
        (0..self.brokers.len()).filter(|i| !self.retired[*i]).collect()
    }

    /// Replaces broker `i` for good: kills it (-9), removes it from the cluster through another
    /// member, and starts a new broker (empty data dir) that joins; returns the new one's index.
    pub async fn replace(&mut self, i: usize) -> usize {
        self.kill_9(i);
        self.retired[i] = true;
        let via = self.members().into_iter().find(|m| self.running(*m)).expect("a running member");
        let mut admin = connect(self.addr(via)).await;
        let node_id = i as u64 + 1;
        for attempt in 0.. {
            match admin.remove_broker(proto::RemoveBrokerRequest { node_id }).await {
                Ok(_) => break,
                Err(status) if status.code() == Code::NotFound => break,
                Err(status) => {
                    assert!(attempt < 30, "broker {node_id} was never removed: {status}");
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
            }
        }
        self.join_new(via)
    }

    fn spawn(&self, i: usize) -> ServerProcess {
        let metrics = self.metrics[i].to_string();
        let mut args = self.flags(i);
        args.extend(
            ["--raft-election-timeout", "500ms..1s", "--metrics-listen", &metrics, "--replica-lag-time-max", "2s"]
                .map(String::from),
        );
        args.extend(["--kafka-listen".to_string(), self.kafka[i].to_string()]);
        args.extend(self.extra_flags[i].iter().cloned());
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        ServerProcess::spawn_at(&self.listen[i], &self.dirs[i], &args)
    }

    /// Stops every broker (kill -9) and returns each one's data dir dump, after checking that
    /// all replicas hold the same bytes.
    pub fn stop_and_compare_replicas(&mut self) -> Vec<strata::storage::StoreDump> {
        for i in 0..self.brokers.len() {
            self.kill_9(i);
        }
        let members = self.members();
        let dumps: Vec<_> = members.iter().map(|&i| dump(&self.dirs[i])).collect();
        for (n, other) in dumps.iter().enumerate().skip(1) {
            let (first, this) = (members[0] + 1, members[n] + 1);
            assert_eq!(&dumps[0], other, "replicas {first} and {this} hold the same bytes");
        }
        dumps
    }

    /// Stops every broker (kill -9) and checks, from each member's data dir dump, that every
    /// partition is kept, with the same bytes, by every voter of its shard (`voters`: shard to
    /// node ids; a partition's shard as `placement` places it),
    /// and that all hold the same committed offsets. A broker a copy moved off may keep old rows.
    pub fn stop_and_compare_copies(&mut self, voters: &BTreeMap<u64, Vec<u64>>, placement: Shards) {
        for i in 0..self.brokers.len() {
            self.kill_9(i);
        }
        let members = self.members();
        let dumps: BTreeMap<u64, _> = members.iter().map(|&i| (i as u64 + 1, dump(&self.dirs[i]))).collect();
        let first = dumps.values().next().expect("a member");
        for (id, other) in &dumps {
            assert_eq!(first.offsets, other.offsets, "broker {id} holds the same commits as the others");
        }
        for (p, ((topic_id, partition), ..)) in first.partitions.iter().enumerate() {
            let shard = placement.of_partition(*topic_id, *partition);
            let keepers = &voters[&shard];
            let copies: Vec<_> = keepers.iter().map(|id| &dumps[id].partitions[p]).collect();
            let same = copies.windows(2).all(|w| w[0] == w[1]);
            assert!(same, "the voters {keepers:?} of shard {shard} hold the same bytes of partition {partition}");
        }
    }

    /// Broker `i`'s peer address.
    pub fn peer(&self, i: usize) -> &str {
        &self.peers[i]
    }

    pub fn addr(&self, i: usize) -> SocketAddr {
        self.brokers[i].as_ref().expect("running").addr
    }

    pub fn kill_9(&mut self, i: usize) {
        if let Some(broker) = self.brokers[i].take() {
            broker.kill_9();
        }
        self.paused[i] = false;
    }

    /// SIGTERM, as an operator's stop; waits (bounded) for the exit and returns whether it was
    /// clean.
    pub fn terminate(&mut self, i: usize) -> bool {
        self.brokers[i].take().is_some_and(ServerProcess::terminate)
    }

    pub fn restart(&mut self, i: usize) {
        self.brokers[i] = Some(self.spawn(i));
    }

    /// Gives broker `i` a new client port for its next start (a broker moved to another host).
    pub fn move_client_port(&mut self, i: usize) {
        self.listen[i] = format!("127.0.0.1:{}", fixed_ports(1)[0]);
    }

    pub fn running(&self, i: usize) -> bool {
        self.brokers[i].is_some()
    }

    /// Freezes broker `i` (SIGSTOP) until `resume`.
    pub fn pause(&mut self, i: usize) {
        if let Some(broker) = &self.brokers[i] {
            broker.pause();
            self.paused[i] = true;
        }
    }

    pub fn resume(&mut self, i: usize) {
        if let Some(broker) = &self.brokers[i] {
            broker.resume();
            self.paused[i] = false;
        }
    }

    /// Every running broker's client address: a bootstrap list.
    pub fn bootstrap(&self) -> String {
        let addrs: Vec<String> = self.brokers.iter().flatten().map(|b| b.addr.to_string()).collect();
        addrs.join(",")
    }

    /// The running, unfrozen broker that leads, once one does (bounded).
    pub async fn leader(&self) -> usize {
        for _ in 0..400 {
            for (i, broker) in self.brokers.iter().enumerate() {
                let Some(broker) = broker.as_ref().filter(|_| !self.paused[i]) else { continue };
                // A follower answers NOT_LEADER before it looks the topic up.
                let probe = async {
                    let mut client = strata::client::connect(&broker.addr.to_string()).await.ok()?;
                    Some(client.fetch(fetch_request("no-such-topic", 0, 0)).await)
                };
                let answer = tokio::time::timeout(Duration::from_secs(1), probe).await.ok().flatten();
                if answer.is_some_and(|probe| probe.is_err_and(|s| s.code() == Code::NotFound)) {
                    return i;
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("no broker became leader");
    }
}

impl Cluster {
    /// The running, unfrozen broker that leads `shard`, once one does (bounded).
    pub async fn shard_leader(&self, shard: u64) -> usize {
        for _ in 0..400 {
            for (i, broker) in self.brokers.iter().enumerate() {
                let Some(broker) = broker.as_ref().filter(|_| !self.paused[i]) else { continue };
                let asked = async {
                    let mut client = strata::client::connect(&broker.addr.to_string()).await.ok()?;
                    client.cluster_status(proto::ClusterStatusRequest {}).await.ok()
                };
                let Ok(Some(status)) = tokio::time::timeout(Duration::from_secs(1), asked).await else { continue };
                let leader = status.into_inner().shards.iter().find(|s| s.shard == shard).and_then(|s| s.leader);
                let led = leader.and_then(|id| usize::try_from(id).ok()).map(|id| id - 1);
                if let Some(i) = led.filter(|i| self.brokers.get(*i).is_some_and(Option::is_some) && !self.paused[*i]) {
                    return i;
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("no broker became leader of shard {shard}");
    }
}

/// Broker `addr`'s cluster status once `done` holds, polled (bounded: 60 s). A broker not
/// answering yet, or for a moment, is asked again; panics naming `what`, with the last status.
pub async fn status_once(
    addr: &str,
    what: &str,
    done: impl Fn(&proto::ClusterStatusResponse) -> bool,
) -> proto::ClusterStatusResponse {
    let mut last = None;
    for _ in 0..300 {
        if let Ok(mut client) = strata::client::connect(addr).await
            && let Ok(status) = client.cluster_status(proto::ClusterStatusRequest {}).await
        {
            let status = status.into_inner();
            if done(&status) {
                return status;
            }
            last = Some(status);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("never {what} within 60 s: {last:?}");
}

/// An idempotent producer on `topic` through the bootstrap list `bootstrap`, with short
/// timeouts so a failover costs the tests little time.
pub async fn failover_producer(bootstrap: &str, topic: &str) -> strata::client::Producer {
    let client = strata::client::connect(bootstrap).await.expect("bootstrap");
    let config = strata::client::ProducerConfig {
        linger: Duration::from_millis(1),
        request_timeout: Duration::from_secs(2),
        retry_backoff: Duration::from_millis(50),
        ..Default::default()
    };
    strata::client::Producer::new(client, topic, config).await.expect("producer")
}

/// What each partition of `topic` holds according to broker `addr` (any broker answers).
pub async fn high_watermarks(addr: SocketAddr, topic: &str) -> Vec<i64> {
    let mut client = connect(addr).await;
    describe(&mut client, topic).await.partitions.iter().map(|p| p.high_watermark).collect()
}

/// Waits (bounded) until broker `addr` has applied `expected` in every partition of `topic`:
/// a follower applies what a majority committed a little after the leader.
pub async fn wait_caught_up(addr: SocketAddr, topic: &str, expected: &[i64]) {
    for round in 0.. {
        if high_watermarks(addr, topic).await == expected {
            return;
        }
        // Bounded generously: two cluster tests share two cores, and a restarted broker first
        // replays its log.
        assert!(round < 1_200, "broker {addr} never caught up to {expected:?} within 60 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn produce_rounds(client: &mut Client, from: usize, to: usize) {
    for round in from..to {
        for partition in 0..3 {
            let records = (0..10).map(|i| record(format!("r{round}-p{partition}-{i}"))).collect();
            produce_to(client, "t", partition, records).await;
        }
    }
}

/// Everything apply wrote in a stopped broker's data dir.
pub fn dump(dir: &Path) -> strata::storage::StoreDump {
    let store = strata::storage::Store::open(dir, &Default::default()).expect("open data dir");
    let mut topics = store.load_topics().expect("topics");
    topics.sort_by_key(|t| t.id);
    store.attach_topics(&topics);
    store.dump(&topics).expect("dump")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cluster_replicates_fails_over_and_keeps_replicas_identical() {
    // One group: the metadata shard's leader leads every partition, and leadership moves only
    // on a fault (no data shards, so no preferred leaders to hand them to).
    let mut cluster = Cluster::start_with(3, &["--data-shards", "0"]);
    let first = cluster.leader().await;
    let mut client = connect(cluster.addr(first)).await;
    create_topic(&mut client, "t", 3).await;
    produce_rounds(&mut client, 0, 10).await;

    // A follower refuses produce and fetch, naming the leader.
    let follower = (first + 1) % 3;
    let mut other = connect(cluster.addr(follower)).await;
    let request = proto::ProduceRequest {
        topic: "t".into(),
        partition: Some(0),
        records: vec![record("x")],
        ..Default::default()
    };
    let status = other.produce(request).await.expect_err("a follower does not take writes");
    assert_eq!(status.code(), Code::Unavailable);
    let hint = |key: &str| status.metadata().get(key).and_then(|v| v.to_str().ok()).map(str::to_string);
    assert_eq!(hint("strata-reason").as_deref(), Some("NOT_LEADER"));
    assert_eq!(hint("strata-leader-addr"), Some(cluster.addr(first).to_string()));
    wait_caught_up(cluster.addr(follower), "t", &[100, 100, 100]).await;

    // The leader dies: another takes over with everything acknowledged, and takes writes.
    cluster.kill_9(first);
    let second = cluster.leader().await;
    assert_ne!(second, first);
    let mut client = connect(cluster.addr(second)).await;
    for partition in 0..3 {
        let stored = fetch_all(&mut client, "t", partition, 0).await;
        assert_eq!(stored.len(), 100, "partition {partition} lost nothing acknowledged");
    }
    produce_rounds(&mut client, 10, 20).await;

    // The old leader comes back and catches up.
    cluster.restart(first);
    for i in 0..3 {
        wait_caught_up(cluster.addr(i), "t", &[200, 200, 200]).await;
    }
    let dumps = cluster.stop_and_compare_replicas();
    assert_eq!(dumps[0].partitions.len(), 3);
    // Each batch carries the term of the leader that appended it: rounds 0-9 under the first
    // leader, 10-19 under a later one.
    let epochs: Vec<i32> = dumps[0].partitions[0].2.iter().filter_map(|(_, v)| batch::leader_epoch(v)).collect();
    assert!(epochs.first().is_some_and(|&e| e >= 1), "{epochs:?}");
    assert!(epochs.last() > epochs.first(), "a later leader's term: {epochs:?}");
    assert!(epochs.windows(2).all(|w| w[0] <= w[1]), "epochs never go back: {epochs:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_ride_through_a_leader_kill_without_errors_or_duplicates() {
    // One group, so the broker killed leads every partition.
    let mut cluster = Cluster::start_with(3, &["--data-shards", "0"]);
    let first = cluster.leader().await;
    // Admin calls go through any broker: a follower sends them on to the leader.
    let follower = (first + 1) % 3;
    let mut admin = connect(cluster.addr(follower)).await;
    create_topic(&mut admin, "t", 2).await;
    // The follower answers for the topic once it applied its creation (bounded).
    for _ in 0..200 {
        let request = proto::DescribeTopicRequest { name: "t".into() };
        if admin.describe_topic(request).await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // The producer starts at a follower; its bootstrap list names every broker.
    let brokers: Vec<String> =
        [follower, first, (first + 2) % 3].iter().map(|&i| cluster.addr(i).to_string()).collect();
    let client = strata::client::connect(&brokers.join(",")).await.expect("bootstrap");
    let config = strata::client::ProducerConfig {
        linger: Duration::from_millis(1),
        batch_size: 2 << 10,
        request_timeout: Duration::from_secs(2),
        retry_backoff: Duration::from_millis(50),
        ..Default::default()
    };
    let producer = strata::client::Producer::new(client, "t", config).await.expect("producer");
    let value = |i: usize| bytes::Bytes::from(format!("{i:0>200}"));
    let (mut deliveries, mut acked) = (Vec::new(), Vec::new());
    for i in 0..600 {
        let record = proto::Record { value: value(i), ..Default::default() };
        deliveries.push((i, producer.send(record, Some((i % 2) as u32)).await.expect("queued")));
        if i == 200 {
            // Once the first records are in, the leader dies under load.
            let (first_record, delivered) = deliveries.remove(0);
            acked.push((first_record, delivered.await.expect("answered").expect("first record")));
            cluster.kill_9(first);
        }
    }
    producer.flush().await;
    for (i, delivered) in deliveries {
        acked.push((i, delivered.await.expect("answered").expect("acknowledged despite the failover")));
    }
    producer.close().await;
    let leader = cluster.leader().await;
    let mut client = connect(cluster.addr(leader)).await;
    for partition in 0..2 {
        let stored: Vec<_> =
            fetch_all(&mut client, "t", partition, 0).await.into_iter().map(|r| (r.offset, r.value)).collect();
        let mut expected: Vec<_> =
            acked.iter().filter(|(_, at)| at.partition == partition).map(|(i, at)| (at.offset, value(*i))).collect();
        expected.sort();
        assert_eq!(stored.len(), expected.len(), "partition {partition}: every record once");
        assert_eq!(stored, expected, "partition {partition}: where acknowledged, in send order");
    }
}
