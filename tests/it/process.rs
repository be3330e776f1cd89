//! A real `strata serve` process, for tests that kill it.
use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Servers started by this test process, to name their kept logs.
static SERVERS: AtomicU64 = AtomicU64::new(0);

/// How many of a server's last log lines a failed stop shows.
const TAIL_LINES: usize = 60;

pub struct ServerProcess {
    child: Child,
    pub addr: SocketAddr,
    /// The server's last `TAIL_LINES` log lines, for a failed stop to show.
    tail: Arc<Mutex<VecDeque<String>>>,
    /// The thread reading its log; it ends once the server's stderr closes.
    reader: std::thread::JoinHandle<()>,
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
        let tail: Arc<Mutex<VecDeque<String>>> = Arc::default();
        let kept = tail.clone();
        let reader = std::thread::spawn(move || {
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
                let mut kept = kept.lock().unwrap_or_else(|p| p.into_inner());
                if kept.len() == TAIL_LINES {
                    kept.pop_front();
                }
                kept.push_back(line.clone());
                drop(kept);
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
        ServerProcess { child, addr, tail, reader }
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
        let status = exited_within_a_minute(&mut child);
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
    /// Returns once every thread of it has stopped: the kernel stops the other threads of a
    /// process only when the one that took the signal is next scheduled, so on a busy machine
    /// they can run on (and answer peers) for a while after `kill` returned.
    pub fn pause(&self) {
        self.signal("-STOP");
        let tasks = format!("/proc/{}/task", self.child.id());
        for _ in 0..1000 {
            let threads = std::fs::read_dir(&tasks).into_iter().flatten().flatten();
            let states: Vec<char> =
                threads.filter_map(|t| thread_state(&std::fs::read_to_string(t.path().join("stat")).ok()?)).collect();
            // 'T': stopped; 'Z'/'X': gone. An empty list: the process itself is gone.
            if states.iter().all(|s| matches!(s, 'T' | 'Z' | 'X')) {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        panic!("broker {} did not stop within 10 s of SIGSTOP", self.addr);
    }

    pub fn resume(&self) {
        self.signal("-CONT");
    }

    fn signal(&self, signal: &str) {
        let status = std::process::Command::new("kill").args([signal, &self.child.id().to_string()]).status();
        assert!(status.is_ok_and(|s| s.success()), "kill {signal} failed");
    }

    /// SIGTERM, then waits up to 60 s for the process to exit; whether it exited cleanly. If
    /// not, prints how it ended and its last log lines (a test's output shows them on failure).
    pub fn terminate(mut self) -> bool {
        self.signal("-TERM");
        let ended = exited_within_a_minute(&mut self.child);
        let clean = ended.is_some_and(|status| status.success());
        if !clean {
            // Its last lines (a crash's message, often) may still be in the pipe.
            for _ in 0..100 {
                if self.reader.is_finished() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let tail = self.tail.lock().unwrap_or_else(|p| p.into_inner());
            let said = tail.iter().map(String::as_str).collect::<Vec<_>>().join("\n");
            eprintln!(
                "server {} did not stop cleanly ({ended:?}; None: still running after 60 s); it said:\n{said}",
                self.addr
            );
        }
        clean
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

/// How `child` exited, if it did within 60 s.
fn exited_within_a_minute(child: &mut Child) -> Option<ExitStatus> {
    for _ in 0..1200 {
        if let Ok(Some(status)) = child.try_wait() {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}

/// A thread's state letter from its `/proc/.../stat` line (the field after the command name,
/// which is in parentheses and may itself hold spaces or parentheses).
fn thread_state(stat: &str) -> Option<char> {
    stat[stat.rfind(')')? + 1..].trim_start().chars().next()
}

fn listening_addr(line: &str) -> Option<SocketAddr> {
    if !line.contains("serving gRPC") {
        return None;
    }
    let start = line.find("\"addr\":\"")? + 8;
    let end = start + line[start..].find('"')?;
    line[start..end].parse().ok()
}
