//! `strata consume TOPIC`: print records, from chosen partitions and offsets or as a member of
//! a consumer group; stops when caught up (unless --follow), after --max, or on Ctrl-C (a group
//! member then commits what it printed).
use std::collections::BTreeMap;
use std::time::Duration;

use clap::Args;
use serde::Serialize;
use tokio_util::sync::CancellationToken;

use super::output::{self, OutputFormat};
use crate::client::{
    AutoOffsetReset, Connection, ConsumedRecord, Consumer, GroupConsumer, GroupConsumerConfig, StartAt,
};
use crate::proto;

#[derive(Debug, Args)]
pub struct ConsumeArgs {
    topic: String,
    /// Start at the earliest offset (default: the latest, or the group's committed offset).
    #[arg(long, conflicts_with_all = ["offset", "from_time"])]
    from_beginning: bool,
    /// Start at this offset.
    #[arg(long, conflicts_with = "from_time")]
    offset: Option<i64>,
    /// Start at the first record at or after this time (RFC 3339, e.g. 2026-01-01T00:00:00Z).
    #[arg(long, value_parser = parse_time)]
    from_time: Option<i64>,
    /// Read only this partition (default: all).
    #[arg(long)]
    partition: Option<u32>,
    /// Consume as a member of this consumer group (partitions assigned by the broker).
    #[arg(long, conflicts_with_all = ["partition", "offset", "from_time"])]
    group: Option<String>,
    /// Keep waiting for new records instead of stopping when caught up.
    #[arg(long)]
    follow: bool,
    /// Stop after this many records.
    #[arg(long)]
    max: Option<u64>,
    /// Text format: %k key, %v value, %o offset, %p partition, %t timestamp, %T topic,
    /// %h headers; \n and \t escapes.
    #[arg(long, default_value = "%v")]
    format: String,
}

fn parse_time(s: &str) -> Result<i64, String> {
    let t = humantime::parse_rfc3339_weak(s).map_err(|e| format!("\"{s}\" is not an RFC 3339 time: {e}"))?;
    let ms = t.duration_since(std::time::UNIX_EPOCH).map_err(|_| "times before 1970 are not supported".to_string())?;
    Ok(ms.as_millis() as i64)
}

impl ConsumeArgs {
    pub async fn run(self, mut client: Connection, format: OutputFormat) -> anyhow::Result<()> {
        let stop = CancellationToken::new();
        let on_ctrl_c = stop.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                on_ctrl_c.cancel();
            }
        });
        let printer = Printer { format, template: self.format.replace("\\n", "\n").replace("\\t", "\t") };
        match self.group.clone() {
            Some(group) => self.run_group(client, &group, &printer, stop).await,
            None => {
                let topic = client.describe_topic(proto::DescribeTopicRequest { name: self.topic.clone() }).await?;
                let count = topic.into_inner().topic.map_or(0, |t| t.partition_count);
                let partitions: Vec<u32> = self.partition.map_or_else(|| (0..count).collect(), |p| vec![p]);
                self.run_assigned(client, &partitions, &printer, stop).await
            }
        }
    }

    fn start(&self) -> StartAt {
        match (self.from_beginning, self.offset, self.from_time) {
            (true, _, _) => StartAt::Earliest,
            (_, Some(offset), _) => StartAt::Offset(offset),
            (_, _, Some(ts)) => StartAt::Timestamp(ts),
            _ => StartAt::Latest,
        }
    }

    async fn run_assigned(
        &self,
        client: Connection,
        partitions: &[u32],
        printer: &Printer,
        stop: CancellationToken,
    ) -> anyhow::Result<()> {
        let mut consumer = Consumer::assign(client, &self.topic, partitions, self.start()).await?;
        let end = consumer.high_watermarks().await?;
        let caught_up = |positions: &BTreeMap<u32, i64>| positions.iter().all(|(p, o)| *o >= end[p]);
        let mut printed = 0u64;
        while !stop.is_cancelled() && (self.follow || !caught_up(consumer.positions())) {
            let wait = if self.follow { Duration::from_millis(500) } else { Duration::ZERO };
            let records = tokio::select! {
                r = consumer.poll(wait) => r?,
                _ = stop.cancelled() => break,
            };
            for record in &records {
                if self.max.is_some_and(|max| printed >= max) {
                    return Ok(());
                }
                printer.print(record)?;
                printed += 1;
            }
            if self.max.is_some_and(|max| printed >= max) {
                break;
            }
        }
        Ok(())
    }

    async fn run_group(
        &self,
        client: Connection,
        group: &str,
        printer: &Printer,
        stop: CancellationToken,
    ) -> anyhow::Result<()> {
        let config = GroupConsumerConfig {
            auto_offset_reset: if self.from_beginning { AutoOffsetReset::Earliest } else { AutoOffsetReset::Latest },
            client_id: "strata-cli".into(),
            ..GroupConsumerConfig::new(group, &[self.topic.as_str()])
        };
        let mut consumer = GroupConsumer::join(client, config).await?;
        let mut printed = 0u64;
        let mut idle = 0;
        loop {
            let records = tokio::select! {
                r = consumer.poll() => r?,
                _ = stop.cancelled() => break,
            };
            if records.is_empty() {
                idle += 1;
                let assigned = !consumer.assignment().await.is_empty();
                if !self.follow && (assigned || idle >= 10) {
                    break;
                }
                continue;
            }
            idle = 0;
            if self.print_until_max(&mut consumer, &records, printer, &mut printed).await? {
                break;
            }
        }
        consumer.close().await?;
        Ok(())
    }

    /// Prints records until --max; gives the unprinted rest back to the group. True when done.
    async fn print_until_max(
        &self,
        consumer: &mut GroupConsumer,
        records: &[ConsumedRecord],
        printer: &Printer,
        printed: &mut u64,
    ) -> anyhow::Result<bool> {
        for (i, record) in records.iter().enumerate() {
            if self.max.is_some_and(|max| *printed >= max) {
                // One poll reads one partition, so the rest starts at this record.
                consumer.seek(&records[i].topic, records[i].partition, records[i].offset).await;
                return Ok(true);
            }
            printer.print(record)?;
            *printed += 1;
        }
        Ok(self.max.is_some_and(|max| *printed >= max))
    }
}

#[derive(Serialize)]
struct RecordJson<'a> {
    topic: &'a str,
    partition: u32,
    offset: i64,
    timestamp_ms: i64,
    key: Option<String>,
    value: String,
    headers: BTreeMap<&'a str, String>,
}

struct Printer {
    format: OutputFormat,
    template: String,
}

impl Printer {
    fn print(&self, r: &ConsumedRecord) -> anyhow::Result<()> {
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        if self.format == OutputFormat::Json {
            return output::json(&RecordJson {
                topic: &r.topic,
                partition: r.partition,
                offset: r.offset,
                timestamp_ms: r.timestamp_ms,
                key: r.key.as_deref().map(text),
                value: text(&r.value),
                headers: r.headers.iter().map(|(k, v)| (k.as_str(), text(v))).collect(),
            });
        }
        let headers: Vec<String> = r.headers.iter().map(|(k, v)| format!("{k}={}", text(v))).collect();
        let line = self
            .template
            .replace("%k", &r.key.as_deref().map(text).unwrap_or_default())
            .replace("%o", &r.offset.to_string())
            .replace("%p", &r.partition.to_string())
            .replace("%t", &r.timestamp_ms.to_string())
            .replace("%T", &r.topic)
            .replace("%h", &headers.join(","))
            .replace("%v", &text(&r.value));
        println!("{line}");
        Ok(())
    }
}
