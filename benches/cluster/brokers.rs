//! Broker processes for the cluster benchmark: one alone, or three forming a cluster, each on
//! ports chosen now, data in a temp dir, stopped (SIGKILL) when dropped.
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use strata::client::Connection;
use strata::proto::{ClusterStatusRequest, CreateTopicRequest};

/// Where `save_metrics` writes; unset, brokers serve no metrics.
const METRICS_DIR: &str = "STRATA_BENCH_METRICS_DIR";

pub struct Brokers {
    pub clients: Vec<String>,
    peers: Vec<String>,
    /// Each broker's metrics listener (served only with STRATA_BENCH_METRICS_DIR).
    metrics: Vec<String>,
    dirs: Vec<PathBuf>,
    children: Vec<Option<Child>>,
    _root: tempfile::TempDir,
}

fn free_ports(count: usize) -> Vec<u16> {
    let listeners: Vec<TcpListener> = (0..count).map(|_| TcpListener::bind("127.0.0.1:0").expect("port")).collect();
    listeners.iter().map(|l| l.local_addr().expect("addr").port()).collect()
}

impl Brokers {
    /// `count` brokers: 1 = a single broker (no cluster flags), more = a cluster of seeds.
    pub fn start(root: &Path, count: usize) -> anyhow::Result<Self> {
        let root = tempfile::tempdir_in(root)?;
        let ports = free_ports(3 * count);
        let addr = |p: &u16| format!("127.0.0.1:{p}");
        let clients = ports[..count].iter().map(addr).collect();
        let peers = ports[count..2 * count].iter().map(addr).collect();
        let metrics = ports[2 * count..].iter().map(addr).collect();
        let dirs = (1..=count).map(|n| root.path().join(format!("broker{n}"))).collect();
        let mut brokers = Brokers { clients, peers, metrics, dirs, children: Vec::new(), _root: root };
        for i in 0..count {
            let child = brokers.spawn(i)?;
            brokers.children.push(Some(child));
        }
        Ok(brokers)
    }

    fn spawn(&self, i: usize) -> anyhow::Result<Child> {
        let mut command = Command::new(env!("CARGO_BIN_EXE_strata"));
        let metrics = if std::env::var_os(METRICS_DIR).is_some() { self.metrics[i].as_str() } else { "off" };
        command
            .args(["serve", "--listen", &self.clients[i], "--metrics-listen", metrics, "--data-dir"])
            .arg(&self.dirs[i])
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        // Each broker's log to a file, for experiments.
        if let Some(dir) = std::env::var_os("STRATA_BENCH_LOG_DIR") {
            let path = Path::new(&dir).join(format!("broker{}-{}.log", i + 1, std::process::id()));
            command.stderr(std::fs::File::options().create(true).append(true).open(path)?);
        }
        // Extra `strata serve` flags for experiments (space-separated).
        if let Ok(flags) = std::env::var("STRATA_BENCH_SERVE_FLAGS") {
            command.args(flags.split_whitespace());
        }
        if self.clients.len() > 1 {
            command.args(["--node-id", &(i + 1).to_string(), "--peer-listen", &self.peers[i]]);
            command.args(["--seeds", &self.peers.join(","), "--raft-election-timeout", "1s..2s"]);
        }
        Ok(command.spawn()?)
    }

    /// With STRATA_BENCH_METRICS_DIR, saves every broker's /metrics there as
    /// `<label>-broker<N>.prom`, for an experiment to read where a run's time went.
    pub fn save_metrics(&self, label: &str) -> anyhow::Result<()> {
        let Some(dir) = std::env::var_os(METRICS_DIR) else { return Ok(()) };
        for (i, addr) in self.metrics.iter().enumerate() {
            let mut stream = std::net::TcpStream::connect(addr)?;
            std::io::Write::write_all(&mut stream, b"GET /metrics HTTP/1.0\r\nHost: x\r\n\r\n")?;
            let mut text = String::new();
            std::io::Read::read_to_string(&mut stream, &mut text)?;
            std::fs::write(Path::new(&dir).join(format!("{label}-broker{}.prom", i + 1)), text)?;
        }
        Ok(())
    }

    pub fn bootstrap(&self) -> String {
        self.clients.join(",")
    }

    pub fn kill_9(&mut self, i: usize) {
        if let Some(mut child) = self.children[i].take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    pub fn restart(&mut self, i: usize) -> anyhow::Result<()> {
        self.children[i] = Some(self.spawn(i)?);
        Ok(())
    }

    /// The leader's index once the brokers agree on one (bounded: 60 s).
    pub async fn leader(&self) -> anyhow::Result<usize> {
        for _ in 0..600 {
            for client_addr in &self.clients {
                let Ok(mut client) = strata::client::connect(client_addr).await else { continue };
                let asked =
                    tokio::time::timeout(Duration::from_secs(1), client.cluster_status(ClusterStatusRequest {}));
                let Ok(Ok(status)) = asked.await else { continue };
                let status = status.into_inner();
                let shard = status.shards.first();
                let leader = shard.and_then(|s| s.leader).filter(|&l| l == status.answered_by);
                let all_in_sync = shard.is_some_and(|s| s.in_sync_replicas.len() == self.clients.len());
                if let Some(leader) = leader.filter(|_| all_in_sync) {
                    return Ok(leader as usize - 1);
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        anyhow::bail!("no leader with every broker in sync within 60 s")
    }

    /// The partitions of `topic` broker `i` leads, as Metadata says.
    pub async fn partitions_led_by(&self, i: usize, topic: &str) -> anyhow::Result<Vec<u32>> {
        let mut client = strata::client::connect(&self.clients[i]).await?;
        let answer = client.metadata(strata::proto::MetadataRequest { topics: vec![topic.into()] }).await?;
        let id = i as u64 + 1;
        let topics = answer.into_inner().topics;
        Ok(topics.iter().flat_map(|t| &t.partitions).filter(|p| p.leader == Some(id)).map(|p| p.partition).collect())
    }

    /// The running brokers' process ids.
    pub fn pids(&self) -> Vec<u32> {
        self.children.iter().flatten().map(Child::id).collect()
    }

    /// Bytes the running brokers caused to be written to storage so far, together (Linux
    /// `/proc/PID/io` `write_bytes`: counted when a page is dirtied, so page-cache writes too).
    pub fn written_bytes(&self) -> anyhow::Result<u64> {
        let mut total = 0;
        for pid in self.pids() {
            let io = std::fs::read_to_string(format!("/proc/{pid}/io"))?;
            let line = io.lines().find_map(|l| l.strip_prefix("write_bytes: "));
            total += line.ok_or_else(|| anyhow::anyhow!("no write_bytes in /proc/{pid}/io"))?.trim().parse::<u64>()?;
        }
        Ok(total)
    }

    pub async fn connect(&self) -> anyhow::Result<Connection> {
        Ok(strata::client::connect(&self.bootstrap()).await?)
    }

    /// Creates `topic` with `partitions` partitions through the leader.
    pub async fn create_topic(&self, topic: &str, partitions: u32) -> anyhow::Result<()> {
        let leader = self.leader().await?;
        let mut client = strata::client::connect(&self.clients[leader]).await?;
        let request = CreateTopicRequest { name: topic.into(), partitions, ..Default::default() };
        client.create_topic(request).await?;
        Ok(())
    }

    /// Waits until leadership has settled (every shard led by its preferred leader: the members
    /// in id order, round-robin by shard), so no hand-over runs during a measurement.
    pub async fn settle(&self) -> anyhow::Result<()> {
        let leader = self.leader().await?;
        let mut client = strata::client::connect(&self.clients[leader]).await?;
        for _ in 0..600 {
            let status = client.cluster_status(ClusterStatusRequest {}).await?.into_inner();
            let preferred = |s: &strata::proto::ShardStatus| {
                let mut members = s.members.clone();
                members.sort_unstable();
                members.get((s.shard % members.len().max(1) as u64) as usize).copied()
            };
            // One group has nothing to spread: any leader will do.
            let settled = |s: &strata::proto::ShardStatus| {
                s.leader.is_some() && (status.shards.len() == 1 || s.leader == preferred(s))
            };
            if status.shards.iter().all(settled) {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        anyhow::bail!("leadership did not settle within 60 s")
    }
}

impl Drop for Brokers {
    fn drop(&mut self) {
        for i in 0..self.children.len() {
            self.kill_9(i);
        }
    }
}
