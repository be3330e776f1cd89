//! A real `strata serve` process, for tests that kill it.
use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Servers started by this test process, to name their kept logs.
static SERVERS: AtomicU64 = AtomicU64::new(0);

pub struct ServerProcess {
    child: Child,
    pub addr: SocketAddr,
}

impl ServerProcess {
    /// Starts `strata serve` on port 0 with `args`, and reads the bound address from its log.
    pub fn spawn(data_dir: &Path, args: &[&str]) -> Self {
        Self::spawn_at("127.0.0.1:0", data_dir, args)
    }

    /// Starts `strata serve` listening on `listen` (port 0: any) with `args`.
    pub fn spawn_at(listen: &str, data_dir: &Path, args: &[&str]) -> Self {
        Self::spawn_with_env(listen, data_dir, args, &[])
    }

    /// Starts `strata serve` as `spawn_at` does, with environment variables `env` set.
    pub fn spawn_with_env(listen: &str, data_dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_strata"))
            .args(["serve", "--listen", listen, "--log-format", "json", "--data-dir"])
            .arg(data_dir)
            .args(args)
            // Concurrent tests must not fight over the default metrics and Kafka ports.
            .args(if args.contains(&"--metrics-listen") { &[][..] } else { &["--metrics-listen", "off"][..] })
            .args(if args.contains(&"--kafka-listen") { &[][..] } else { &["--kafka-listen", "none"][..] })
            .env("RUST_LOG", "info")
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn strata serve");
        let stderr = child.stderr.take().expect("stderr");
        let (lines_tx, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            // Keep draining after the address so the server never blocks on a full pipe.
            // STRATA_TEST_LOG_DIR keeps every server's log, for a failure to be read afterwards.
            let mut keep = std::env::var_os("STRATA_TEST_LOG_DIR").and_then(|dir| {
                let name =
                    format!("server-{}.log", std::process::id() as u64 * 1000 + SERVERS.fetch_add(1, Ordering::SeqCst));
                std::fs::File::create(Path::new(&dir).join(name)).ok()
            });
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(file) = keep.as_mut() {
                    let _ = writeln!(file, "{line}");
                }
                let _ = lines_tx.send(line);
            }
        });
        let mut log = Vec::new();
        let addr = loop {
            match lines.recv_timeout(Duration::from_secs(60)) {
                Ok(line) => match listening_addr(&line) {
                    Some(addr) => break addr,
                    None => log.push(line),
                },
                Err(e) => panic!("server did not log its address ({e}); it said:\n{}", log.join("\n")),
            }
        };
        ServerProcess { child, addr }
    }

    /// Runs `strata serve` with `args` until it exits on its own (bounded: 60 s, then killed);
    /// whether it succeeded, and what it logged. Listens on any port of 127.0.0.1, without
    /// metrics or Kafka, unless `args` say otherwise.
    pub fn run_until_exit(data_dir: &Path, args: &[&str]) -> (bool, String) {
        let log = data_dir.with_extension("log");
        let default =
            |flag: &'static str, value: &'static str| if args.contains(&flag) { vec![] } else { vec![flag, value] };
        let mut child = Command::new(env!("CARGO_BIN_EXE_strata"))
            .arg("serve")
            .args(default("--listen", "127.0.0.1:0"))
            .args(default("--metrics-listen", "off"))
            .args(default("--kafka-listen", "none"))
            .arg("--data-dir")
            .arg(data_dir)
            .args(args)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).expect("log file"))
            .spawn()
            .expect("spawn strata serve");
        let mut status = None;
        for _ in 0..1200 {
            status = child.try_wait().expect("wait");
            if status.is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        if status.is_none() {
            let _ = child.kill();
            let _ = child.wait();
        }
        (status.is_some_and(|s| s.success()), std::fs::read_to_string(&log).unwrap_or_default())
    }

    /// The server's peak resident memory so far (VmHWM), in MiB.
    pub fn peak_rss_mib(&self) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap_or_default();
        let kib = status.lines().find(|l| l.starts_with("VmHWM")).and_then(|l| l.split_whitespace().nth(1));
        kib.and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0) / 1024.0
    }

    /// SIGSTOP (`resume` is SIGCONT): a frozen broker, as a long GC pause or a stalled VM would
    /// leave it; it keeps its connections and answers nothing.
    pub fn pause(&self) {
        self.signal("-STOP");
    }

    pub fn resume(&self) {
        self.signal("-CONT");
    }

    fn signal(&self, signal: &str) {
        let status = std::process::Command::new("kill").args([signal, &self.child.id().to_string()]).status();
        assert!(status.is_ok_and(|s| s.success()), "kill {signal} failed");
    }

    /// SIGTERM, then waits up to 60 s for the process to exit; whether it exited cleanly.
    pub fn terminate(mut self) -> bool {
        self.signal("-TERM");
        for _ in 0..1200 {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.success();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }

    /// SIGKILL, as a crash would; also what dropping it does, so a failed test leaves no server.
    pub fn kill_9(self) {
        drop(self);
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn listening_addr(line: &str) -> Option<SocketAddr> {
    if !line.contains("serving gRPC") {
        return None;
    }
    let start = line.find("\"addr\":\"")? + 8;
    let end = start + line[start..].find('"')?;
    line[start..end].parse().ok()
}
