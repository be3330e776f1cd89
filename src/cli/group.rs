//! `strata group ...`: list, describe (members, assignment, lag), delete, reset-offsets.
use clap::{Args, Subcommand};
use serde::Serialize;

use super::output::{self, OutputFormat};
use crate::client::Connection;
use crate::proto;

#[derive(Debug, Subcommand)]
pub enum GroupCommand {
    /// List consumer groups.
    List,
    /// Show members, their partitions, and committed offsets with lag.
    Describe { group: String },
    /// Delete an empty group's committed offsets.
    Delete { group: String },
    /// Move an inactive group's committed offsets for a topic.
    ResetOffsets(ResetArgs),
}

#[derive(Debug, Args)]
pub struct ResetArgs {
    group: String,
    #[arg(long)]
    topic: String,
    #[arg(long, group = "to", required = true)]
    to_earliest: bool,
    #[arg(long, group = "to")]
    to_latest: bool,
    #[arg(long, group = "to")]
    to_offset: Option<i64>,
}

fn state_name(state: i32) -> &'static str {
    match proto::GroupState::try_from(state) {
        Ok(proto::GroupState::Empty) => "Empty",
        Ok(proto::GroupState::Stable) => "Stable",
        Ok(proto::GroupState::Reconciling) => "Reconciling",
        _ => "Unknown",
    }
}

#[derive(Serialize)]
struct OffsetJson<'a> {
    topic: &'a str,
    partition: u32,
    committed_offset: i64,
    high_watermark: i64,
    lag: i64,
}

impl GroupCommand {
    pub async fn run(self, mut client: Connection, format: OutputFormat) -> anyhow::Result<()> {
        match self {
            GroupCommand::List => {
                let groups = client.list_groups(proto::ListGroupsRequest {}).await?.into_inner().groups;
                if format == OutputFormat::Json {
                    let rows: Vec<_> = groups
                        .iter()
                        .map(|g| serde_json::json!({"group": g.group, "state": state_name(g.state), "members": g.members}))
                        .collect();
                    return output::json(&rows);
                }
                let rows: Vec<Vec<String>> = groups
                    .iter()
                    .map(|g| vec![g.group.clone(), state_name(g.state).into(), g.members.to_string()])
                    .collect();
                output::table(&["GROUP", "STATE", "MEMBERS"], &rows);
                Ok(())
            }
            GroupCommand::Describe { group } => {
                let d = client.describe_group(proto::DescribeGroupRequest { group }).await?.into_inner();
                describe(format, &d)
            }
            GroupCommand::Delete { group } => {
                client.delete_group(proto::DeleteGroupRequest { group: group.clone() }).await?;
                println!("deleted group \"{group}\"");
                Ok(())
            }
            GroupCommand::ResetOffsets(args) => args.run(client).await,
        }
    }
}

fn describe(format: OutputFormat, d: &proto::DescribeGroupResponse) -> anyhow::Result<()> {
    let offsets: Vec<OffsetJson<'_>> = d
        .offsets
        .iter()
        .map(|o| OffsetJson {
            topic: &o.topic,
            partition: o.partition,
            committed_offset: o.committed_offset,
            high_watermark: o.high_watermark,
            lag: o.lag,
        })
        .collect();
    let members: Vec<serde_json::Value> = d
        .members
        .iter()
        .map(|m| {
            let assignment: Vec<String> = m
                .assignment
                .iter()
                .flat_map(|a| a.partitions.iter().map(move |p| format!("{}/{p}", a.topic)))
                .collect();
            serde_json::json!({"member_id": m.member_id, "client_id": m.client_id, "assignment": assignment})
        })
        .collect();
    if format == OutputFormat::Json {
        let value =
            serde_json::json!({"group": d.group, "state": state_name(d.state), "members": members, "offsets": offsets});
        return output::json(&value);
    }
    println!("group {}: {}, {} members", d.group, state_name(d.state), d.members.len());
    for m in &members {
        println!("  member {} ({}): {}", m["member_id"], m["client_id"], m["assignment"]);
    }
    let rows: Vec<Vec<String>> = offsets
        .iter()
        .map(|o| {
            vec![
                o.topic.to_string(),
                o.partition.to_string(),
                o.committed_offset.to_string(),
                known(o.high_watermark),
                known(o.lag),
            ]
        })
        .collect();
    output::table(&["TOPIC", "PARTITION", "COMMITTED", "HIGH_WATERMARK", "LAG"], &rows);
    Ok(())
}

/// A number, or "-" where the coordinator does not know it (-1), as Kafka's tools show it.
fn known(n: i64) -> String {
    if n < 0 { "-".to_string() } else { n.to_string() }
}

impl ResetArgs {
    async fn run(self, mut client: Connection) -> anyhow::Result<()> {
        let d = client.describe_group(proto::DescribeGroupRequest { group: self.group.clone() }).await;
        if let Ok(d) = d {
            let members = d.into_inner().members.len();
            anyhow::ensure!(
                members == 0,
                "group \"{}\" has {members} active members; stop them before resetting",
                self.group
            );
        }
        let topic = client.describe_topic(proto::DescribeTopicRequest { name: self.topic.clone() }).await?.into_inner();
        let mut offsets = Vec::new();
        for p in topic.topic.map(|t| t.partitions).unwrap_or_default() {
            let offset = match (self.to_earliest, self.to_latest, self.to_offset) {
                (true, _, _) => p.log_start_offset,
                (_, true, _) => p.high_watermark,
                (_, _, Some(n)) => n.clamp(p.log_start_offset, p.high_watermark),
                _ => anyhow::bail!("say where to: --to-earliest, --to-latest or --to-offset N"),
            };
            offsets.push(proto::OffsetCommit { partition: p.partition, offset, metadata: String::new() });
        }
        let summary: Vec<String> = offsets.iter().map(|o| format!("p{}={}", o.partition, o.offset)).collect();
        let request = proto::CommitOffsetsRequest {
            group: self.group.clone(),
            topic: self.topic.clone(),
            offsets,
            member_id: None,
            member_epoch: None,
        };
        client.commit_offsets(request).await?;
        println!("reset group \"{}\" on {}: {}", self.group, self.topic, summary.join(" "));
        Ok(())
    }
}
