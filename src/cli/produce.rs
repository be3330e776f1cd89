//! `strata produce TOPIC`: one record per stdin line, batched by the client producer.
use std::collections::{BTreeMap, VecDeque};
use std::io::{BufRead, IsTerminal};
use std::time::{Duration, Instant};

use bytes::Bytes;
use clap::{Args, ValueEnum};
use serde::Serialize;

use super::output::{self, OutputFormat};
use crate::client::{Connection, Producer, ProducerConfig};
use crate::proto;

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum AcksArg {
    All,
    Leader,
    None,
}

#[derive(Debug, Args)]
pub struct ProduceArgs {
    topic: String,
    /// Split each line at the first SEP into key and value (lines without it have no key).
    #[arg(long, value_name = "SEP")]
    key_separator: Option<String>,
    /// A header for every record (repeatable).
    #[arg(long = "header", value_name = "KEY=VALUE", value_parser = parse_header)]
    headers: Vec<(String, String)>,
    /// Send every record to this partition (default: by key, or spread).
    #[arg(long)]
    partition: Option<u32>,
    #[arg(long, value_enum, default_value = "all")]
    acks: AcksArg,
    /// Append each record exactly once, retrying any failure whose outcome is unknown (a
    /// timeout, a broker restart). Default: on with --acks all, off otherwise (as Kafka).
    #[arg(long, value_name = "BOOL")]
    idempotence: Option<bool>,
    /// A stable producer name: a later `strata produce` with the same name fences this one.
    #[arg(long, value_name = "NAME")]
    producer_name: Option<String>,
    /// How the broker stores the batches: none, gzip, snappy, lz4 or zstd.
    #[arg(long, value_enum, default_value = "none")]
    compression: CompressionArg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum CompressionArg {
    None,
    Gzip,
    Snappy,
    Lz4,
    Zstd,
}

fn parse_header(s: &str) -> Result<(String, String), String> {
    s.split_once('=').map(|(k, v)| (k.to_string(), v.to_string())).ok_or_else(|| format!("\"{s}\" is not KEY=VALUE"))
}

#[derive(Debug, Default, Serialize)]
struct Summary {
    records: u64,
    bytes: u64,
    /// Partition → (first offset, last offset) acknowledged.
    partitions: BTreeMap<u32, (i64, i64)>,
}

impl ProduceArgs {
    pub async fn run(self, client: Connection, format: OutputFormat) -> anyhow::Result<()> {
        let acks = match self.acks {
            AcksArg::All => proto::Acks::All,
            AcksArg::Leader => proto::Acks::Leader,
            AcksArg::None => proto::Acks::None,
        };
        let enable_idempotence = self.idempotence.unwrap_or(acks == proto::Acks::All);
        if self.producer_name.is_some() && !enable_idempotence {
            anyhow::bail!("--producer-name needs an idempotent producer (--acks all, without --idempotence false)");
        }
        let config = ProducerConfig {
            acks,
            enable_idempotence,
            producer_name: self.producer_name.clone(),
            compression: match self.compression {
                CompressionArg::None => proto::Compression::None,
                CompressionArg::Gzip => proto::Compression::Gzip,
                CompressionArg::Snappy => proto::Compression::Snappy,
                CompressionArg::Lz4 => proto::Compression::Lz4,
                CompressionArg::Zstd => proto::Compression::Zstd,
            },
            ..ProducerConfig::default()
        };
        let producer = Producer::new(client, &self.topic, config).await?;
        let headers: BTreeMap<String, Bytes> =
            self.headers.iter().map(|(k, v)| (k.clone(), Bytes::from(v.clone()))).collect();
        let mut progress = Progress::new(std::io::stderr().is_terminal());
        let mut summary = Summary::default();
        let mut pending = VecDeque::new();
        for line in std::io::stdin().lock().lines() {
            let line = line?;
            let record = self.record(&line, &headers);
            summary.bytes += line.len() as u64;
            pending.push_back(producer.send(record, self.partition).await?);
            // Collect acknowledgements as they come, so memory stays bounded on big inputs.
            while pending.len() > 10_000 {
                if let Some(delivery) = pending.pop_front() {
                    summary.add(delivery.await??);
                }
            }
            progress.tick(summary.records + pending.len() as u64, summary.bytes);
        }
        producer.flush().await;
        for delivery in pending {
            summary.add(delivery.await??);
        }
        producer.close().await;
        progress.finish();
        print_summary(format, &summary)
    }

    fn record(&self, line: &str, headers: &BTreeMap<String, Bytes>) -> proto::Record {
        let (key, value) = match self.key_separator.as_deref().and_then(|sep| line.split_once(sep)) {
            Some((k, v)) => (Some(Bytes::copy_from_slice(k.as_bytes())), v),
            None => (None, line),
        };
        proto::Record {
            key,
            value: Bytes::copy_from_slice(value.as_bytes()),
            headers: headers.clone(),
            timestamp_ms: 0,
        }
    }
}

impl Summary {
    fn add(&mut self, at: crate::client::RecordOffset) {
        self.records += 1;
        let range = self.partitions.entry(at.partition).or_insert((at.offset, at.offset));
        range.0 = range.0.min(at.offset);
        range.1 = range.1.max(at.offset);
    }
}

fn print_summary(format: OutputFormat, summary: &Summary) -> anyhow::Result<()> {
    if format == OutputFormat::Json {
        return output::json(summary);
    }
    let ranges: Vec<String> = summary.partitions.iter().map(|(p, (a, b))| format!("p{p}: {a}..={b}")).collect();
    println!(
        "produced {} records ({}) to {} partition{} ({})",
        summary.records,
        output::bytes(summary.bytes),
        summary.partitions.len(),
        if summary.partitions.len() == 1 { "" } else { "s" },
        ranges.join(", ")
    );
    Ok(())
}

/// A once-a-second progress line on a terminal; nothing when piped.
struct Progress {
    enabled: bool,
    started: Instant,
    last: Instant,
}

impl Progress {
    fn new(enabled: bool) -> Self {
        Progress { enabled, started: Instant::now(), last: Instant::now() }
    }

    fn tick(&mut self, records: u64, bytes: u64) {
        if !self.enabled || self.last.elapsed() < Duration::from_secs(1) {
            return;
        }
        self.last = Instant::now();
        let secs = self.started.elapsed().as_secs_f64().max(1e-3);
        eprint!(
            "\r{records} records  {:.0} records/s  {:.1} MB/s   ",
            records as f64 / secs,
            bytes as f64 / secs / 1e6
        );
    }

    fn finish(&self) {
        if self.enabled && self.started.elapsed() >= Duration::from_secs(1) {
            eprintln!();
        }
    }
}
