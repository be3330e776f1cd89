//! Leadership spread over the brokers: each shard has a preferred leader (the brokers in id
//! order, taken round-robin by shard, the next member from there where the shard is on only
//! some of them), and a broker leading a shard whose preferred leader is
//! another, in-sync broker hands the shard to it (Kafka's automatic preferred-leader election).
//! So the shards' work is spread after the cluster forms, and returns to a restarted broker
//! once it has caught up, instead of piling up on whoever won the elections. A preferred leader
//! that gives a shard back at once (its disk is low, it is stopping) is left alone for a while.
use std::collections::HashMap;
use std::time::{Duration, Instant};

use openraft::async_runtime::WatchReceiver;

use super::types::Raft;
use super::watch::ShardWatch;
use std::sync::Arc;

/// How often a leader looks for shards to hand back. Long enough that a broker just back is
/// not handed shards before it has settled.
const EVERY: Duration = Duration::from_secs(5);
/// A shard that came back within this long of being handed over was given away by its
/// preferred leader (low on disk, stopping): it is not handed there again for `BACK_OFF`.
const CAME_BACK_WITHIN: Duration = Duration::from_secs(60);
const BACK_OFF: Duration = Duration::from_secs(300);

/// The preferred leader of `shard` among its `voters`: the cluster's `brokers` in id order,
/// taken round-robin by shard, the first member from there on.
pub fn preferred_leader(shard: u64, voters: &[u64], brokers: &[u64]) -> Option<u64> {
    let mut sorted = brokers.to_vec();
    sorted.sort_unstable();
    let n = sorted.len();
    (0..n).map(|k| sorted[(shard as usize + k) % n]).find(|id| voters.contains(id))
}

/// Runs until aborted: hands each shard this broker leads to its preferred leader when that
/// one is in sync.
pub async fn spread(shards: Vec<(Raft, Arc<ShardWatch>)>, me: u64) {
    let mut ticks = tokio::time::interval(EVERY);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    ticks.tick().await;
    // When each shard was last handed over, and in which term.
    let mut handed: HashMap<u64, (Instant, u64)> = HashMap::new();
    let mut backing_off: HashMap<u64, Instant> = HashMap::new();
    loop {
        ticks.tick().await;
        // Every broker is a member of the metadata shard (the first).
        let brokers = shards.first().and_then(|(_, w)| w.status().shards.first().map(|s| s.members.clone()));
        let brokers = brokers.unwrap_or_default();
        for (raft, watch) in &shards {
            let status = watch.status();
            let Some(shard) = status.shards.first() else { continue };
            if shard.leader != Some(me) {
                continue;
            }
            let Some(preferred) = preferred_leader(shard.shard, &shard.members, &brokers) else { continue };
            if preferred == me || !shard.in_sync.contains(&preferred) {
                continue;
            }
            if raft.metrics().borrow_watched().running_state.is_err() {
                return;
            }
            // Leading again in a later term: it went there and came back (a transfer that did
            // not happen leaves the term as it was, and is tried again).
            let came_back = handed
                .remove(&shard.shard)
                .is_some_and(|(at, term)| at.elapsed() < CAME_BACK_WITHIN && shard.term > term);
            if came_back {
                tracing::info!(
                    shard = shard.shard,
                    to = preferred,
                    "the preferred leader gave the shard back; waiting"
                );
                backing_off.insert(shard.shard, Instant::now());
            }
            if backing_off.get(&shard.shard).is_some_and(|since| since.elapsed() < BACK_OFF) {
                continue;
            }
            handed.insert(shard.shard, (Instant::now(), shard.term));
            tracing::info!(shard = shard.shard, to = preferred, "handing the shard to its preferred leader");
            if let Err(e) = raft.trigger().transfer_leader(preferred).await {
                tracing::warn!(shard = shard.shard, error = %e, "handing the shard to its preferred leader");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_prefer_the_members_in_turn() {
        let voters = [3, 1, 2];
        let preferred: Vec<_> = (0..6).filter_map(|shard| preferred_leader(shard, &voters, &voters)).collect();
        assert_eq!(preferred, [1, 2, 3, 1, 2, 3]);
        assert_eq!(preferred_leader(4, &[], &voters), None);
    }

    #[test]
    fn a_shard_on_some_brokers_prefers_the_first_member_from_its_turn() {
        let brokers = [1, 2, 3, 4];
        let members = crate::broker::shards::Shards::new(4).with_replicas(3);
        let preferred: Vec<_> = (1..=4)
            .filter_map(|shard| preferred_leader(shard, &members.initial_members(shard, &brokers), &brokers))
            .collect();
        assert_eq!(preferred, [2, 3, 4, 1]);
        // Its preferred broker gone from the shard, the next member in turn.
        assert_eq!(preferred_leader(1, &[3, 4], &brokers), Some(3));
    }
}
