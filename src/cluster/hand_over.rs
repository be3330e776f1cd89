//! Handing leadership to a follower: before a leader stops (so a rolling restart costs no
//! election timeout) and while its disk is low on space (so the others keep taking writes).
use std::time::Duration;

use openraft::async_runtime::WatchReceiver;

use super::types::Raft;
use super::watch::RAFT_HANDED_OVER;

/// Why a leader hands leadership over; each a `reason` label of the hand-over counter.
pub const REASONS: [&str; 3] = ["stopping", "disk_low", "removed"];

/// Exposes the hand-over counter at 0 for every reason, so that dashboards see the series
/// before the first hand-over.
pub fn describe_counters(shards: usize) {
    for shard in 0..shards {
        for reason in REASONS {
            metrics::counter!(RAFT_HANDED_OVER, "shard" => shard.to_string(), "reason" => reason).increment(0);
        }
    }
}

/// [`hand_over`] of every shard this broker leads, all at once. Returns whether it tried any.
pub async fn hand_over_all(rafts: &[Raft], me: u64, wait: Duration, reason: &'static str) -> bool {
    let handing = rafts.iter().enumerate().map(|(shard, raft)| hand_over(raft, shard as u64, me, wait, reason));
    futures::future::join_all(handing).await.into_iter().any(|tried| tried)
}

/// If this broker leads, hands leadership to its most caught-up follower and waits (bounded)
/// until another broker leads: clients see one NOT_LEADER and go on. Does nothing otherwise.
/// `reason` (`stopping`, `disk_low`) labels the log line and the metric. Returns whether it
/// tried (this broker led, and had a follower to hand to).
pub async fn hand_over(raft: &Raft, shard: u64, me: u64, wait: Duration, reason: &'static str) -> bool {
    let metrics = raft.metrics().borrow_watched().clone();
    if metrics.current_leader != Some(me) {
        return false;
    }
    let followers = metrics.replication.clone().unwrap_or_default();
    // A voter: a learner (a broker still joining) cannot be elected.
    let voters: Vec<u64> = metrics.membership_config.membership().voter_ids().collect();
    let candidates = followers.iter().filter(|(id, _)| **id != me && voters.contains(id));
    let best = candidates.max_by_key(|(_, matched)| matched.map(|m| m.index));
    let Some((&target, _)) = best else { return false }; // a cluster of one
    tracing::info!(shard, target, reason, "handing leadership over");
    if let Err(e) = raft.trigger().transfer_leader(target).await {
        tracing::warn!(error = %e, "handing leadership over");
        return true;
    }
    let handed = raft.wait(Some(wait)).metrics(|m| m.current_leader.is_some_and(|l| l != me), "a new leader").await;
    match handed {
        Ok(m) => {
            tracing::info!(shard, leader = ?m.current_leader, reason, "leadership handed over");
            metrics::counter!(RAFT_HANDED_OVER, "shard" => shard.to_string(), "reason" => reason).increment(1);
        }
        Err(e) => tracing::warn!(error = %e, "the follower did not take over in time; it will be elected"),
    }
    true
}
