//! A broker joining a running cluster (`--join PEER`). With an empty data dir it first takes a
//! copy of a member's (`data_dir_copy`) and makes it its own: it then opens exactly as a member
//! restarting would, with every shard's data, Raft log and applied state, and catches up from
//! the leaders' logs. No snapshot format of its own is needed, and the Raft log the members
//! trimmed is not needed either. Then it asks, shard by shard, to be added: a learner first, a
//! voter once caught up (`membership`). Where data shards are on some of the brokers it joins
//! the metadata shard only, and the member's data shards in its copy are forgotten when it
//! opens (`Shards::joined_by_newcomers`).
use std::fs;
use std::path::Path;
use std::time::Duration;

use openraft::async_runtime::WatchReceiver;

use super::codec;
use super::data_dir_copy::{self, STAGING};
use super::membership::{MemberChange, at_peer};
use super::node::connect;
use super::shard::recorded_shards;
use super::types::{BrokerNode, ClusterId, Raft};
use crate::error::Error;
use crate::proto::peer::{CheckpointChunk, CheckpointRequest};
use crate::storage::{FORMAT_VERSION, Store, StoreOptions};

/// Before the broker opens: an empty `data_dir` becomes a copy of the member's at `join`, made
/// this broker's own. A data dir with data (a joined broker restarting) is left as it is.
/// Returns whether it copied.
pub async fn copy_data_dir(join: &str, data_dir: &Path, node_id: u64, node: &BrokerNode) -> anyhow::Result<bool> {
    if data_dir.join("CURRENT").exists() {
        return Ok(false);
    }
    let staging = data_dir.join(STAGING);
    if data_dir.exists() && fs::read_dir(data_dir)?.flatten().any(|e| e.path() != staging) {
        anyhow::bail!(
            "--join needs an empty data dir (or the one this broker joined with); {} holds other files",
            data_dir.display()
        );
    }
    fs::create_dir_all(data_dir)?;
    tracing::info!(member = join, "copying a member's data dir to join its cluster");
    let chunks = ask_for_copy(
        join,
        CheckpointRequest { node_id, format_version: FORMAT_VERSION, node: Some(codec::node(node)) },
    )
    .await?;
    let seeds = data_dir_copy::receive(chunks, &staging).await?;
    anyhow::ensure!(!seeds.is_empty(), "member {join} sent no seeds with its copy");
    let data_dir = data_dir.to_path_buf();
    tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
        let copy = Store::open(&staging, &StoreOptions::default())?;
        let shards = recorded_shards(&copy, None)?;
        copy.take_over_copy(node_id, &seeds)?;
        // The shards it does not join (the member's data shards, where they are on some of the
        // brokers) are forgotten when it opens: it carries none until one is copied to it.
        for shard in shards.joined_by_newcomers()..shards.count() {
            copy.forget_shard_at_open(shard)?;
        }
        drop(copy);
        data_dir_copy::move_into_place(&staging, &data_dir)
    })
    .await??;
    tracing::info!("copied; opening it as this broker's data dir");
    Ok(true)
}

/// The member's copy, asked for until it answers; a refusal (this broker may not join) or a
/// member failing to make copies several times ends it.
async fn ask_for_copy(join: &str, request: CheckpointRequest) -> anyhow::Result<tonic::Streaming<CheckpointChunk>> {
    let mut failures = 0;
    loop {
        match connect(join).await {
            Ok(mut client) => match client.checkpoint(request.clone()).await {
                Ok(chunks) => return Ok(chunks.into_inner()),
                Err(status) if status.code() == tonic::Code::FailedPrecondition => {
                    anyhow::bail!("member {join} refused this broker: {}", status.message())
                }
                Err(status) if status.code() == tonic::Code::Internal => {
                    failures += 1;
                    anyhow::ensure!(failures < 5, "member {join} could not make a copy: {}", status.message());
                    tracing::warn!(member = join, %status, "the member failed to make a copy; retrying");
                }
                Err(status) => tracing::info!(member = join, %status, "the member cannot give a copy yet; retrying"),
            },
            Err(status) => tracing::info!(member = join, %status, "waiting for the member to answer"),
        }
        tokio::time::sleep(Duration::from_secs(1 << failures.min(4))).await;
    }
}

/// After the broker opened: asks to be added to each shard of `rafts` (those it joins) it is not
/// a voter of yet, through `join` or, when that one does not answer, another member it knows of.
/// Returns once this broker is a voter of each, or with the refusal when a shard's leader refuses
/// (this broker was removed while it joined: it must join again with an empty data dir).
pub async fn become_voter(
    rafts: Vec<Raft>,
    cluster_id: ClusterId,
    me: u64,
    node: BrokerNode,
    join: String,
) -> anyhow::Result<()> {
    let change = MemberChange::Add { id: me, node };
    for (group, raft) in rafts.iter().enumerate() {
        for attempt in 0usize.. {
            let metrics = raft.metrics().borrow_watched().clone();
            let membership = metrics.membership_config.membership();
            if membership.voter_ids().any(|id| id == me) {
                break;
            }
            // The member named first; then, in turn, every member this broker's copy knows.
            let others = membership.nodes().filter(|(id, _)| **id != me).map(|(_, n)| n.peer_addr.clone());
            let targets: Vec<String> = std::iter::once(join.clone()).chain(others).collect();
            let target = &targets[attempt % targets.len()];
            match at_peer(target, &cluster_id, change.request(group as u64, false)).await {
                Ok(()) => {
                    tracing::info!(shard = group, "added to the shard");
                    break;
                }
                Err(Error::MembershipChange(why)) => anyhow::bail!("shard {group} refused this broker: {why}"),
                Err(e) => {
                    tracing::info!(shard = group, member = %target, error = %e, "not added yet; retrying");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    }
    tracing::info!(shards = rafts.len(), "joined the cluster: a voter of every shard it joins");
    Ok(())
}
