//! `strata dev-cluster`: a local cluster in one command. Broker N (from 1) gets node id N, a
//! data dir `<data-dir>/broker-N` and four ports from `base-port + 10·(N-1)`: client, peer,
//! metrics and Kafka. Its log goes to `<data-dir>/broker-N.log`.
//! Ctrl-C (or SIGTERM) stops every broker with SIGTERM, as an operator would.
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;

#[derive(Debug, Args)]
pub struct DevClusterArgs {
    /// Number of brokers.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u16).range(1..=9))]
    brokers: u16,
    /// Broker N listens for clients on base-port + 10·(N-1), for peers one above, for metrics
    /// two above, for Kafka clients three above.
    #[arg(long, default_value_t = 9392)]
    base_port: u16,
    /// Each broker's data dir is broker-N under this one (kept between runs).
    #[arg(long, default_value = "./data/cluster")]
    data_dir: PathBuf,
    /// Flags passed to every broker's `strata serve` (after `--`).
    #[arg(last = true)]
    serve_flags: Vec<String>,
}

/// One broker's addresses.
struct Ports {
    client: String,
    peer: String,
    metrics: String,
    kafka: String,
}

impl DevClusterArgs {
    fn ports(&self, n: u16) -> anyhow::Result<Ports> {
        let base = (n - 1)
            .checked_mul(10)
            .and_then(|offset| self.base_port.checked_add(offset))
            .filter(|base| base.checked_add(3).is_some())
            .context("--base-port is too high for this many brokers")?;
        let at = |offset: u16| format!("127.0.0.1:{}", base + offset);
        Ok(Ports { client: at(0), peer: at(1), metrics: at(2), kafka: at(3) })
    }

    pub fn run(self) -> anyhow::Result<()> {
        std::fs::create_dir_all(&self.data_dir)
            .with_context(|| format!("creating the data dir {}", self.data_dir.display()))?;
        let ports: Vec<Ports> = (1..=self.brokers).map(|n| self.ports(n)).collect::<anyhow::Result<_>>()?;
        let seeds = ports.iter().map(|p| p.peer.as_str()).collect::<Vec<_>>().join(",");
        let exe = std::env::current_exe().context("finding the strata binary")?;
        // Dropped on every way out (an error, a panic): no broker outlives this command.
        let mut brokers = Brokers(Vec::new());
        for (n, p) in (1..=self.brokers).zip(&ports) {
            brokers.0.push(self.spawn(&exe, n, p, &seeds)?);
        }
        let bootstrap = ports.iter().map(|p| p.client.as_str()).collect::<Vec<_>>().join(",");
        say(format!("{} brokers starting (logs: {}/broker-N.log)", self.brokers, self.data_dir.display()));
        for (n, p) in (1..=self.brokers).zip(&ports) {
            say(format!(
                "  broker {n}: client {}  peer {}  kafka {}  metrics http://{}/metrics",
                p.client, p.peer, p.kafka, p.metrics
            ));
        }
        say(format!("bootstrap: --broker {bootstrap}"));
        let kafka = ports.iter().map(|p| p.kafka.as_str()).collect::<Vec<_>>().join(",");
        say(format!("kafka:     bootstrap.servers={kafka}"));
        say(format!("try:       strata --broker {bootstrap} cluster status"));
        let runtime = tokio::runtime::Runtime::new()?;
        runtime.block_on(supervise(&mut brokers.0, &self.data_dir, &bootstrap))
    }

    fn spawn(&self, exe: &Path, n: u16, ports: &Ports, seeds: &str) -> anyhow::Result<Broker> {
        let log_path = self.data_dir.join(format!("broker-{n}.log"));
        let log = File::create(&log_path).with_context(|| format!("creating {}", log_path.display()))?;
        let child = Command::new(exe)
            .arg("serve")
            .args(["--node-id", &n.to_string()])
            .args(["--listen", &ports.client, "--peer-listen", &ports.peer, "--metrics-listen", &ports.metrics])
            .args(["--kafka-listen", &ports.kafka])
            .args(["--seeds", seeds])
            .arg("--data-dir")
            .arg(self.data_dir.join(format!("broker-{n}")))
            .args(&self.serve_flags)
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .with_context(|| format!("starting broker {n}"))?;
        Ok(Broker { n, child, log_path, exited: false })
    }
}

/// Prints a line; a closed stdout (the reader went away) must not stop the cluster's shutdown.
fn say(line: String) {
    use std::io::Write;
    let _ = writeln!(std::io::stdout(), "{line}");
}

struct Brokers(Vec<Broker>);

impl Drop for Brokers {
    fn drop(&mut self) {
        stop_all(&mut self.0);
    }
}

struct Broker {
    n: u16,
    child: Child,
    log_path: PathBuf,
    /// It exited (and was reaped): never signal its pid again.
    exited: bool,
}

/// Waits for a leader, then watches the brokers until Ctrl-C / SIGTERM. A broker that exits is
/// reported with the end of its log; when none is left, the cluster is over.
async fn supervise(brokers: &mut [Broker], data_dir: &Path, bootstrap: &str) -> anyhow::Result<()> {
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let mut announced = false;
    let started = Instant::now();
    let mut running = brokers.len();
    loop {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => break,
            _ = terminate.recv() => break,
            _ = tokio::time::sleep(Duration::from_millis(500)) => {}
        }
        for broker in brokers.iter_mut() {
            if broker.exited {
                continue;
            }
            if let Ok(Some(status)) = broker.child.try_wait() {
                eprintln!("broker {} exited ({status}); the end of {}:", broker.n, broker.log_path.display());
                eprintln!("{}", log_tail(&broker.log_path, 15));
                broker.exited = true;
                running -= 1;
            }
        }
        if running == 0 {
            anyhow::bail!("every broker exited; see the logs in {}", data_dir.display());
        }
        if !announced && let Some(leader) = leader(bootstrap).await {
            println!(
                "cluster ready in {:.1} s: broker {leader} leads; Ctrl-C stops it",
                started.elapsed().as_secs_f64()
            );
            announced = true;
        }
    }
    say("stopping the brokers".to_string());
    Ok(())
}

/// The leader's id, once one is known.
async fn leader(bootstrap: &str) -> Option<u64> {
    let ask = async {
        let mut client = crate::client::connect(bootstrap).await.ok()?;
        let status = client.cluster_status(crate::proto::ClusterStatusRequest {}).await.ok()?.into_inner();
        status.shards.first().and_then(|s| s.leader)
    };
    tokio::time::timeout(Duration::from_secs(2), ask).await.ok().flatten()
}

/// SIGTERM to every broker (each shuts down in order), SIGKILL to any still running after 30 s.
fn stop_all(brokers: &mut [Broker]) {
    for broker in brokers.iter().filter(|b| !b.exited) {
        if let Ok(pid) = i32::try_from(broker.child.id()) {
            // SAFETY: sends a signal to a child process this command started and has not reaped.
            #[allow(unsafe_code)]
            unsafe {
                libc::kill(pid, libc::SIGTERM)
            };
        }
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    for broker in brokers.iter_mut() {
        while matches!(broker.child.try_wait(), Ok(None)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        if matches!(broker.child.try_wait(), Ok(None)) {
            let _ = broker.child.kill();
            let _ = broker.child.wait();
        }
    }
}

fn log_tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}
