//! A group member's membership: joining (and rejoining), heartbeats that follow the broker's
//! assignment, and commits with the member's id and epoch. Shared with `GroupConsumer::poll`
//! through one async mutex, so a hand-off's commit and a poll's position update never interleave.
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Mutex;
use tokio_util::sync::CancellationToken;
use tonic::{Code, Status};

use super::Connection;
use super::failover::through_failover;
use super::group_consumer::GroupConsumerConfig;
use crate::proto;

pub(super) type Tp = (String, u32);

/// The member's view, shared by `poll` and the heartbeat task.
#[derive(Debug, Default)]
pub(super) struct Membership {
    pub(super) member_id: String,
    pub(super) epoch: i32,
    pub(super) heartbeat_interval: Duration,
    /// Assigned partitions and the next offset to read (`None` until looked up).
    pub(super) positions: BTreeMap<Tp, Option<i64>>,
    /// Positions not yet committed.
    pub(super) dirty: BTreeSet<Tp>,
}

pub(super) async fn rejoin(
    client: &mut Connection,
    config: &GroupConsumerConfig,
    state: &mut Membership,
) -> Result<(), Status> {
    if !state.member_id.is_empty() {
        // A membership that still exists would hold its partitions until its session expires.
        let leave = proto::LeaveGroupRequest { group: config.group.clone(), member_id: state.member_id.clone() };
        let _ = client.leave_group(leave).await;
    }
    let request = proto::JoinGroupRequest {
        group: config.group.clone(),
        topics: config.topics.clone(),
        session_timeout_ms: config.session_timeout.as_millis() as u32,
        client_id: config.client_id.clone(),
    };
    // Sent to a broker that is not (or no longer) the coordinator: asked again at the one named.
    let joined = through_failover(|| {
        let (mut client, request) = (client.clone(), request.clone());
        async move { Ok(client.join_group(request).await?.into_inner()) }
    })
    .await?;
    state.member_id = joined.member_id;
    state.epoch = joined.member_epoch;
    state.heartbeat_interval = Duration::from_millis(u64::from(joined.heartbeat_interval_ms.max(10)));
    state.positions = flatten(&joined.assignment).into_iter().map(|tp| (tp, None)).collect();
    state.dirty.clear();
    Ok(())
}

fn flatten(assignment: &[proto::TopicPartitions]) -> BTreeSet<Tp> {
    assignment.iter().flat_map(|a| a.partitions.iter().map(|p| (a.topic.clone(), *p))).collect()
}

/// Commits the positions of `partitions` with the member's id and epoch.
pub(super) async fn commit_positions(
    client: &mut Connection,
    group: &str,
    state: &mut Membership,
    partitions: &[Tp],
) -> Result<(), Status> {
    let mut by_topic: BTreeMap<&str, Vec<proto::OffsetCommit>> = BTreeMap::new();
    for tp in partitions {
        if let Some(Some(offset)) = state.positions.get(tp) {
            let commit = proto::OffsetCommit { partition: tp.1, offset: *offset, metadata: String::new() };
            by_topic.entry(tp.0.as_str()).or_default().push(commit);
        }
    }
    for (topic, offsets) in by_topic {
        let request = proto::CommitOffsetsRequest {
            group: group.into(),
            topic: topic.into(),
            offsets,
            member_id: Some(state.member_id.clone()),
            member_epoch: Some(state.epoch),
        };
        match client.commit_offsets(request).await {
            // The topic was deleted: there is no position left to keep.
            Err(status) if status.code() == Code::NotFound => {
                tracing::debug!(group, topic, "not committing offsets of a deleted topic");
            }
            other => {
                other?;
            }
        }
    }
    for tp in partitions {
        state.dirty.remove(tp);
    }
    Ok(())
}

pub(super) async fn heartbeat_loop(
    mut client: Connection,
    config: GroupConsumerConfig,
    state: Arc<Mutex<Membership>>,
    stop: CancellationToken,
) {
    let mut wait = state.lock().await.heartbeat_interval;
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(wait) => {}
        }
        let mut state = state.lock().await;
        wait = match heartbeat_once(&mut client, &config, &mut state).await {
            Ok(released) if released => Duration::ZERO, // report the release at once
            Ok(_) => state.heartbeat_interval,
            Err(status) if matches!(status.code(), Code::FailedPrecondition) => {
                tracing::warn!(group = %config.group, %status, "membership lost; rejoining");
                match rejoin(&mut client, &config, &mut state).await {
                    Ok(()) => state.heartbeat_interval,
                    Err(_) => Duration::from_millis(500),
                }
            }
            Err(status) => {
                tracing::warn!(group = %config.group, %status, "heartbeat failed");
                Duration::from_millis(500)
            }
        };
    }
}

/// One heartbeat: reports what is held, adopts the answer. Returns true if partitions were
/// released (after committing their positions), which the next heartbeat must report.
async fn heartbeat_once(
    client: &mut Connection,
    config: &GroupConsumerConfig,
    state: &mut Membership,
) -> Result<bool, Status> {
    let mut owned: BTreeMap<String, Vec<u32>> = BTreeMap::new();
    for (topic, partition) in state.positions.keys() {
        owned.entry(topic.clone()).or_default().push(*partition);
    }
    let request = proto::HeartbeatRequest {
        group: config.group.clone(),
        member_id: state.member_id.clone(),
        member_epoch: state.epoch,
        owned: owned.into_iter().map(|(topic, partitions)| proto::TopicPartitions { topic, partitions }).collect(),
    };
    let response = client.heartbeat(request).await?.into_inner();
    state.epoch = response.member_epoch;
    state.heartbeat_interval = Duration::from_millis(u64::from(response.heartbeat_interval_ms.max(10)));
    let target = flatten(&response.assignment);
    let revoked: Vec<Tp> = state.positions.keys().filter(|tp| !target.contains(*tp)).cloned().collect();
    if !revoked.is_empty() {
        let dirty: Vec<Tp> = revoked.iter().filter(|tp| state.dirty.contains(*tp)).cloned().collect();
        if let Err(status) = commit_positions(client, &config.group, state, &dirty).await {
            // E.g. the topic was deleted: nothing to hand over, but the release must go on.
            tracing::warn!(group = %config.group, %status, "committing revoked partitions failed");
        }
        for tp in &revoked {
            state.dirty.remove(tp);
            state.positions.remove(tp);
        }
    }
    for tp in target {
        state.positions.entry(tp).or_insert(None);
    }
    Ok(!revoked.is_empty())
}
