//! `strata topic ...`: create, list, describe, alter, add-partitions, delete.
use clap::{Args, Subcommand};
use serde::Serialize;

use super::output::{self, OutputFormat};
use crate::client::Connection;
use crate::config::{parse_retention_bytes, parse_retention_ms};
use crate::proto;

#[derive(Debug, Subcommand)]
pub enum TopicCommand {
    /// Create a topic.
    Create {
        name: String,
        /// Number of partitions (default: the broker's --default-partitions).
        #[arg(short, long, default_value_t = 0)]
        partitions: u32,
        /// Copies of each partition (default: the cluster's --default-replication-factor; others
        /// as the cluster's --topic-replication-factors offer).
        #[arg(short, long)]
        replication_factor: Option<u32>,
        #[command(flatten)]
        retention: RetentionArgs,
    },
    /// List topics.
    List,
    /// Show partitions (log start, high watermark, size, leader, replicas, in-sync replicas) and
    /// effective retention.
    Describe { name: String },
    /// Change retention overrides.
    Alter {
        name: String,
        #[command(flatten)]
        retention: RetentionArgs,
        /// Drop the retention-time override (use the broker default).
        #[arg(long)]
        reset_retention: bool,
        /// Drop the retention-size override (use the broker default).
        #[arg(long)]
        reset_retention_bytes: bool,
    },
    /// Grow a topic to N partitions in total.
    AddPartitions { name: String, count: u32 },
    /// Delete a topic with its records and committed offsets.
    Delete { name: String },
}

#[derive(Debug, Args)]
pub struct RetentionArgs {
    /// Keep records this long (e.g. 1d, 12h; `none` = forever).
    #[arg(long, value_parser = parse_retention_ms)]
    retention: Option<i64>,
    /// Keep at most this much per partition (e.g. 1GiB; `none` = unlimited).
    #[arg(long, value_parser = parse_retention_bytes)]
    retention_bytes: Option<i64>,
}

impl RetentionArgs {
    fn config(&self) -> proto::TopicConfig {
        proto::TopicConfig { retention_ms: self.retention, retention_bytes: self.retention_bytes }
    }
}

impl TopicCommand {
    pub async fn run(self, mut client: Connection, format: OutputFormat) -> anyhow::Result<()> {
        match self {
            TopicCommand::Create { name, partitions, replication_factor, retention } => {
                let config = Some(retention.config());
                let request = proto::CreateTopicRequest { name, partitions, config, replication_factor };
                let topic = client.create_topic(request).await?.into_inner().topic.unwrap_or_default();
                announce(
                    format,
                    &topic,
                    &format!("created topic \"{}\" with {} partitions", topic.name, topic.partition_count),
                )
            }
            TopicCommand::List => {
                let topics = client.list_topics(proto::ListTopicsRequest {}).await?.into_inner().topics;
                list(format, &topics)
            }
            TopicCommand::Describe { name } => {
                let topic = client.describe_topic(proto::DescribeTopicRequest { name }).await?.into_inner().topic;
                describe(format, &topic.unwrap_or_default())
            }
            TopicCommand::Alter { name, retention, reset_retention, reset_retention_bytes } => {
                let mut reset = Vec::new();
                if reset_retention {
                    reset.push("retention_ms".to_string());
                }
                if reset_retention_bytes {
                    reset.push("retention_bytes".to_string());
                }
                let request = proto::AlterTopicConfigRequest { name, config: Some(retention.config()), reset };
                let topic = client.alter_topic_config(request).await?.into_inner().topic.unwrap_or_default();
                describe(format, &topic)
            }
            TopicCommand::AddPartitions { name, count } => {
                let topic =
                    client.add_partitions(proto::AddPartitionsRequest { name, count }).await?.into_inner().topic;
                let topic = topic.unwrap_or_default();
                announce(
                    format,
                    &topic,
                    &format!("topic \"{}\" now has {} partitions", topic.name, topic.partition_count),
                )
            }
            TopicCommand::Delete { name } => {
                client.delete_topic(proto::DeleteTopicRequest { name: name.clone() }).await?;
                match format {
                    OutputFormat::Json => output::json(&serde_json::json!({ "deleted": name })),
                    OutputFormat::Text => {
                        println!("deleted topic \"{name}\"");
                        Ok(())
                    }
                }
            }
        }
    }
}

#[derive(Serialize)]
struct TopicJson<'a> {
    name: &'a str,
    partitions: u32,
    retention_ms: Option<i64>,
    retention_bytes: Option<i64>,
    replication_factor: u32,
    partition_details: Vec<PartitionJson>,
}

#[derive(Serialize)]
struct PartitionJson {
    partition: u32,
    log_start_offset: i64,
    high_watermark: i64,
    size_bytes: u64,
    leader: Option<u64>,
    replicas: Vec<u64>,
    in_sync_replicas: Vec<u64>,
    leader_epoch: u64,
}

fn to_json(topic: &proto::Topic) -> TopicJson<'_> {
    let effective = topic.effective_config.unwrap_or_default();
    TopicJson {
        name: &topic.name,
        partitions: topic.partition_count,
        retention_ms: effective.retention_ms.map(|v| v.value),
        retention_bytes: effective.retention_bytes.map(|v| v.value),
        replication_factor: topic.replication_factor,
        partition_details: topic
            .partitions
            .iter()
            .map(|p| PartitionJson {
                partition: p.partition,
                log_start_offset: p.log_start_offset,
                high_watermark: p.high_watermark,
                size_bytes: p.size_bytes,
                leader: p.leader,
                replicas: p.replicas.clone(),
                in_sync_replicas: p.in_sync_replicas.clone(),
                leader_epoch: p.leader_epoch,
            })
            .collect(),
    }
}

fn announce(format: OutputFormat, topic: &proto::Topic, text: &str) -> anyhow::Result<()> {
    match format {
        OutputFormat::Json => output::json(&to_json(topic)),
        OutputFormat::Text => {
            println!("{text}");
            Ok(())
        }
    }
}

fn list(format: OutputFormat, topics: &[proto::Topic]) -> anyhow::Result<()> {
    if format == OutputFormat::Json {
        return output::json(&topics.iter().map(to_json).collect::<Vec<_>>());
    }
    let row = |t: &proto::Topic| {
        vec![t.name.clone(), t.partition_count.to_string(), t.replication_factor.to_string(), retention_text(t)]
    };
    let rows: Vec<Vec<String>> = topics.iter().map(row).collect();
    output::table(&["TOPIC", "PARTITIONS", "REPLICATION", "RETENTION"], &rows);
    Ok(())
}

fn describe(format: OutputFormat, topic: &proto::Topic) -> anyhow::Result<()> {
    if format == OutputFormat::Json {
        return output::json(&to_json(topic));
    }
    println!(
        "topic {}: {} partitions, replication factor {}, retention {}",
        topic.name,
        topic.partition_count,
        topic.replication_factor,
        retention_text(topic)
    );
    let rows: Vec<Vec<String>> = topic
        .partitions
        .iter()
        .map(|p| {
            vec![
                p.partition.to_string(),
                p.log_start_offset.to_string(),
                p.high_watermark.to_string(),
                output::bytes(p.size_bytes),
                p.leader.map_or("none".to_string(), |l| l.to_string()),
                output::id_list(&p.replicas),
                output::id_list(&p.in_sync_replicas),
                p.leader_epoch.to_string(),
            ]
        })
        .collect();
    let header = ["PARTITION", "LOG_START", "HIGH_WATERMARK", "SIZE", "LEADER", "REPLICAS", "ISR", "EPOCH"];
    output::table(&header, &rows);
    Ok(())
}

fn retention_text(topic: &proto::Topic) -> String {
    let effective = topic.effective_config.unwrap_or_default();
    let time = match effective.retention_ms.map_or(-1, |v| v.value) {
        -1 => "forever".to_string(),
        ms => humantime::format_duration(std::time::Duration::from_millis(ms as u64)).to_string(),
    };
    match effective.retention_bytes.map_or(-1, |v| v.value) {
        -1 => time,
        bytes => format!("{time}, {} per partition", output::bytes(bytes as u64)),
    }
}
