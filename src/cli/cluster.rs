//! `strata cluster status`: the brokers (alive or not) and, per shard, its leader, term,
//! members and each follower's lag, as the leader sees them. `strata cluster remove-broker`:
//! takes a broker out of every shard, first copying any data shard that would keep fewer than
//! its factor's copies (a new one joins with `strata serve --join`).
use clap::Subcommand;
use serde_json::json;

use super::output::{self, OutputFormat};
use crate::client::Connection;
use crate::proto;

#[derive(Debug, Subcommand)]
pub enum ClusterCommand {
    /// Brokers, and per shard its leader, term, members and followers' lag.
    Status,
    /// Takes a broker out of every shard: a dead broker being replaced, or one retired. A data
    /// shard that would keep fewer copies than its factor first gets one on another broker. Its
    /// copies stop counting toward the majority, and trims stop waiting for it. Refused, before
    /// anything changes, where too few of a shard's voters answer for the change to commit.
    RemoveBroker {
        /// The broker's --node-id.
        node_id: u64,
    },
}

impl ClusterCommand {
    pub async fn run(self, mut client: Connection, format: OutputFormat) -> anyhow::Result<()> {
        match self {
            ClusterCommand::Status => {
                let status = client.cluster_status(proto::ClusterStatusRequest {}).await?.into_inner();
                match format {
                    OutputFormat::Json => output::json(&to_json(&status)),
                    OutputFormat::Text => {
                        print_text(&status);
                        Ok(())
                    }
                }
            }
            ClusterCommand::RemoveBroker { node_id } => {
                client.remove_broker(proto::RemoveBrokerRequest { node_id }).await?;
                match format {
                    OutputFormat::Json => output::json(&json!({ "removed": node_id })),
                    OutputFormat::Text => {
                        println!("removed broker {node_id} from every shard");
                        Ok(())
                    }
                }
            }
        }
    }
}

fn print_text(status: &proto::ClusterStatusResponse) {
    println!("cluster {} (as broker {} sees it)", status.cluster_id, status.answered_by);
    let brokers: Vec<Vec<String>> = status
        .brokers
        .iter()
        .map(|b| {
            let alive = if b.alive { "yes" } else { "no" };
            vec![b.id.to_string(), b.address.clone(), b.peer_address.clone(), alive.to_string()]
        })
        .collect();
    output::table(&["BROKER", "ADDRESS", "PEER_ADDRESS", "ALIVE"], &brokers);
    for shard in &status.shards {
        println!();
        let leader = shard.leader.map_or("none".to_string(), |l| l.to_string());
        println!(
            "shard {}: leader {leader}, term {}, members {}{}, in sync {}, {} partitions, committed {}, applied {}, \
             trimmed to {}",
            shard.shard,
            shard.term,
            output::id_list(&shard.members),
            if shard.learners.is_empty() {
                String::new()
            } else {
                format!(" (learners: {})", output::id_list(&shard.learners))
            },
            output::id_list(&shard.in_sync_replicas),
            shard.partitions,
            shard.committed_index,
            shard.applied_index,
            shard.purged_index.map_or("none".to_string(), |p| p.to_string())
        );
        let followers: Vec<Vec<String>> = shard
            .followers
            .iter()
            .map(|f| {
                vec![
                    f.id.to_string(),
                    f.matched_index.map_or("none".to_string(), |m| m.to_string()),
                    f.lag_entries.to_string(),
                    output::bytes(f.lag_bytes),
                    if f.in_sync { "yes" } else { "no" }.to_string(),
                    f.last_ack_ms.map_or("never".to_string(), |ms| format!("{ms} ms ago")),
                ]
            })
            .collect();
        if !followers.is_empty() {
            output::table(&["FOLLOWER", "MATCHED", "LAG_ENTRIES", "LAG_BYTES", "IN_SYNC", "LAST_ACK"], &followers);
        }
    }
}

fn to_json(status: &proto::ClusterStatusResponse) -> serde_json::Value {
    let brokers: Vec<_> = status
        .brokers
        .iter()
        .map(|b| json!({"id": b.id, "address": b.address, "peer_address": b.peer_address, "alive": b.alive}))
        .collect();
    let shards: Vec<_> = status
        .shards
        .iter()
        .map(|s| {
            let followers: Vec<_> = s
                .followers
                .iter()
                .map(|f| {
                    json!({"id": f.id, "matched_index": f.matched_index, "lag_entries": f.lag_entries,
                           "lag_bytes": f.lag_bytes, "in_sync": f.in_sync, "last_ack_ms": f.last_ack_ms})
                })
                .collect();
            json!({"shard": s.shard, "leader": s.leader, "term": s.term, "members": s.members,
                   "learners": s.learners, "in_sync_replicas": s.in_sync_replicas, "partitions": s.partitions,
                   "last_log_index": s.last_log_index, "committed_index": s.committed_index,
                   "applied_index": s.applied_index, "purged_index": s.purged_index,
                   "followers": followers})
        })
        .collect();
    json!({"cluster_id": status.cluster_id, "answered_by": status.answered_by, "brokers": brokers, "shards": shards})
}
