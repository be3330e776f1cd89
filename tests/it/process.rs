//! A real `strata serve` process, for tests that kill it.
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

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
        let mut child = Command::new(env!("CARGO_BIN_EXE_strata"))
            .args(["serve", "--listen", listen, "--log-format", "json", "--data-dir"])
            .arg(data_dir)
            .args(args)
            // Concurrent tests must not fight over the default metrics port.
            .args(if args.contains(&"--metrics-listen") { &[][..] } else { &["--metrics-listen", "off"][..] })
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn strata serve");
        let stderr = child.stderr.take().expect("stderr");
        let (lines_tx, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            // Keep draining after the address so the server never blocks on a full pipe.
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
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
