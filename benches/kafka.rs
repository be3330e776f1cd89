//! The Kafka protocol beside gRPC, in one run: the same records produced and then read back in
//! full (catch-up) by each protocol's command-line client against one `strata serve` process
//! (`--fsync always`, acks all, idempotent producers, 8 partitions). gRPC is driven by
//! `strata produce` / `strata consume`, Kafka by kcat (librdkafka): both read stdin and write
//! stdout, so the ratio compares protocols and brokers' paths, not client libraries. Each row
//! shows the broker's CPU and the client's: when the client uses a core, it is the limit.
//!
//! `make bench` runs it. `STRATA_BENCH_ROUNDS` (default 3) repeats everything for the spread;
//! `STRATA_BENCH_KAFKA_MB` (default 256) sets how much each run produces.
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Instant;

use anyhow::Context;

/// Producer settings for kcat: acks all and idempotence as the gRPC client does, and batches as
/// large as librdkafka makes them for a backlog.
const KCAT_PRODUCE: &[&str] = &["-X", "acks=all", "-X", "enable.idempotence=true", "-X", "linger.ms=5"];

/// Consumer settings for kcat: print the value alone, and end a partition's last long poll
/// after 10 ms instead of librdkafka's 500 (`-e` exits on the empty answer at the end of the
/// log, so the default would add half a second to every run, reading nothing).
const KCAT_CONSUME: &[&str] = &["-f", "%s\n", "-X", "fetch.wait.max.ms=10"];

struct Broker {
    child: Child,
    grpc: String,
    kafka: String,
}

impl Drop for Broker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One measured client run.
struct Run {
    secs: f64,
    broker_cpu: f64,
    client_cpu: f64,
}

fn main() -> anyhow::Result<()> {
    let rounds: usize = std::env::var("STRATA_BENCH_ROUNDS").ok().and_then(|s| s.parse().ok()).unwrap_or(3);
    let mib: usize = std::env::var("STRATA_BENCH_KAFKA_MB").ok().and_then(|s| s.parse().ok()).unwrap_or(256);
    if Command::new("kcat").arg("-V").output().is_err() {
        println!("kcat is not installed (`make deps`): skipping the Kafka-protocol benchmark");
        return Ok(());
    }
    let dir = tempfile::tempdir_in(std::env::var("STRATA_BENCH_DIR").unwrap_or_else(|_| ".".into()))?;
    println!(
        "Kafka protocol (kcat) beside gRPC (strata CLI): {mib} MiB per run, 8 partitions, acks all, --fsync always"
    );
    println!(
        "{:<7} {:<8} {:<9} {:>10} {:>9} {:>11} {:>11} {:>13}",
        "round", "record", "path", "records/s", "MiB/s", "broker cpu", "client cpu", "kafka/grpc"
    );
    for round in 1..=rounds {
        for record_bytes in [1024usize, 100] {
            let count = mib * (1 << 20) / record_bytes;
            let input = dir.path().join(format!("records-{record_bytes}.txt"));
            write_records(&input, record_bytes, count)?;
            let data = dir.path().join(format!("data-{round}-{record_bytes}"));
            let broker = spawn_broker(&data)?;
            for topic in ["via-grpc", "via-kafka"] {
                strata(&broker, &["topic", "create", topic, "--partitions", "8"], None, None)?;
            }
            // Alternate which protocol goes first, so neither always meets the warmer disk.
            let first_grpc = round % 2 == 1;
            let input_path = input.to_str().context("path")?;
            let produce_kafka =
                [&["-P", "-b", &broker.kafka, "-t", "via-kafka", "-l"][..], KCAT_PRODUCE, &[input_path]].concat();
            let (grpc, kafka) = in_order(
                first_grpc,
                || strata(&broker, &["produce", "via-grpc"], Some(&input), None),
                || client(&broker, "kcat", &produce_kafka, None, None),
            )?;
            report(round, record_bytes, "produce", count, &grpc, &kafka);
            let null = Some(Path::new("/dev/null"));
            let consume_kafka =
                [&["-C", "-b", &broker.kafka, "-t", "via-kafka", "-o", "beginning", "-e", "-q"][..], KCAT_CONSUME]
                    .concat();
            let (grpc, kafka) = in_order(
                first_grpc,
                || strata(&broker, &["consume", "via-grpc", "--from-beginning", "--format", "%v"], None, null),
                || client(&broker, "kcat", &consume_kafka, None, null),
            )?;
            report(round, record_bytes, "consume", count, &grpc, &kafka);
        }
    }
    Ok(())
}

/// Runs both, gRPC first or not; returns (gRPC's run, Kafka's run).
fn in_order(
    grpc_first: bool,
    grpc: impl FnOnce() -> anyhow::Result<Run>,
    kafka: impl FnOnce() -> anyhow::Result<Run>,
) -> anyhow::Result<(Run, Run)> {
    if grpc_first {
        let grpc = grpc()?;
        Ok((grpc, kafka()?))
    } else {
        let kafka = kafka()?;
        Ok((grpc()?, kafka))
    }
}

fn report(round: usize, record_bytes: usize, what: &str, count: usize, grpc: &Run, kafka: &Run) {
    let bytes = (count * record_bytes) as f64 / (1 << 20) as f64;
    for (path, run) in [("grpc", grpc), ("kafka", kafka)] {
        let ratio = if path == "kafka" { format!("{:.2}", grpc.secs / kafka.secs) } else { String::new() };
        println!(
            "{round:<7} {:<8} {:<9} {:>10.0} {:>9.1} {:>10.2}c {:>10.2}c {:>13}",
            format!("{record_bytes} B"),
            format!("{path} {}", &what[..4]),
            count as f64 / run.secs,
            bytes / run.secs,
            run.broker_cpu / run.secs,
            run.client_cpu / run.secs,
            ratio
        );
    }
}

/// `count` lines of `record_bytes` printable bytes each (the newline is not part of a record).
fn write_records(path: &Path, record_bytes: usize, count: usize) -> anyhow::Result<()> {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    let mut line = vec![b'x'; record_bytes];
    line.push(b'\n');
    for i in 0..count {
        let tag = format!("{i:012}");
        line[..12].copy_from_slice(tag.as_bytes());
        out.write_all(&line)?;
    }
    out.flush()?;
    Ok(())
}

fn spawn_broker(data: &Path) -> anyhow::Result<Broker> {
    let free = || std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.to_string());
    let (grpc, kafka) = (free()?, free()?);
    let mut child = Command::new(env!("CARGO_BIN_EXE_strata"))
        .args(["serve", "--listen", &grpc, "--kafka-listen", &kafka, "--metrics-listen", "off", "--data-dir"])
        .arg(data)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()?;
    let stderr = child.stderr.take().context("stderr")?;
    let mut lines = BufReader::new(stderr).lines();
    // Serving once both listeners logged; the rest of the log is drained in the background.
    let mut serving = 0;
    while serving < 2 {
        let line = lines.next().context("the broker exited")??;
        serving += usize::from(line.contains("serving gRPC") || line.contains("serving the Kafka protocol"));
    }
    std::thread::spawn(move || lines.for_each(drop));
    Ok(Broker { child, grpc, kafka })
}

fn strata(broker: &Broker, args: &[&str], stdin: Option<&Path>, stdout: Option<&Path>) -> anyhow::Result<Run> {
    let args: Vec<&str> = args.iter().copied().chain(["--broker", &broker.grpc]).collect();
    client(broker, env!("CARGO_BIN_EXE_strata"), &args, stdin, stdout)
}

/// Runs a client to completion; its wall time and the CPU it and the broker used meanwhile.
fn client(
    broker: &Broker,
    program: &str,
    args: &[&str],
    stdin: Option<&Path>,
    stdout: Option<&Path>,
) -> anyhow::Result<Run> {
    let open = |p: Option<&Path>| -> anyhow::Result<Stdio> {
        Ok(match p {
            Some(p) if p == Path::new("/dev/null") => Stdio::null(),
            Some(p) => Stdio::from(std::fs::File::open(p)?),
            None => Stdio::null(),
        })
    };
    let broker_before = cpu_seconds(broker.child.id())?;
    let children_before = children_cpu();
    let started = Instant::now();
    let status =
        Command::new(program).args(args).stdin(open(stdin)?).stdout(open(stdout)?).stderr(Stdio::null()).status()?;
    let secs = started.elapsed().as_secs_f64();
    anyhow::ensure!(status.success(), "{program} {args:?} failed: {status}");
    Ok(Run {
        secs,
        broker_cpu: cpu_seconds(broker.child.id())? - broker_before,
        client_cpu: children_cpu() - children_before,
    })
}

/// User + system CPU of a process, from /proc.
fn cpu_seconds(pid: u32) -> anyhow::Result<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    let fields: Vec<&str> = stat.rsplit_once(')').context("stat")?.1.split_whitespace().collect();
    let ticks: f64 = fields[11].parse::<f64>()? + fields[12].parse::<f64>()?;
    Ok(ticks / 100.0)
}

/// CPU of this process's waited-for children (the clients), in seconds.
fn children_cpu() -> f64 {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage fills the struct it is given; RUSAGE_CHILDREN is a valid selector.
    #[allow(unsafe_code)]
    let usage = unsafe {
        libc::getrusage(libc::RUSAGE_CHILDREN, usage.as_mut_ptr());
        usage.assume_init()
    };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    secs(usage.ru_utime) + secs(usage.ru_stime)
}
