//! Leadership spread over the brokers: each shard has a preferred leader (the brokers in id
//! order, taken round-robin by shard, the next member from there where the shard is on only
//! some of them), and a broker leading a shard whose preferred leader is
//! another, in-sync broker hands the shard to it (Kafka's automatic preferred-leader election).
//! So the shards' work is spread after the cluster forms, and returns to a restarted broker
//! once it has caught up, instead of piling up on whoever won the elections. A preferred leader
//! that gives a shard back at once (its disk is low, it is stopping) is left alone for a while.
use std::collections::HashMap;
use std::sync::atomic::Ordering;
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
    let mut hand_overs = HandOvers::default();
    loop {
        ticks.tick().await;
        // Every broker is a member of the metadata shard (the first).
        let brokers = shards.first().and_then(|(_, w)| w.status().shards.first().map(|s| s.members.clone()));
        let brokers = brokers.unwrap_or_default();
        // A copy stopped here (`stopped.rs`) keeps a stale view: its leadership is not ours to move.
        for (raft, watch) in shards.iter().filter(|(_, w)| !w.stopped.load(Ordering::Relaxed)) {
            let status = watch.status();
            let Some(shard) = status.shards.first() else { continue };
            if shard.leader != Some(me) {
                continue;
            }
            let Some(preferred) = preferred_leader(shard.shard, &shard.members, &brokers) else { continue };
            if preferred == me {
                continue;
            }
            if raft.metrics().borrow_watched().running_state.is_err() {
                continue;
            }
            let in_sync = shard.in_sync.contains(&preferred);
            if !hand_overs.now_to(shard.shard, shard.term, preferred, in_sync, Instant::now()) {
                continue;
            }
            tracing::info!(shard = shard.shard, to = preferred, "handing the shard to its preferred leader");
            if let Err(e) = raft.trigger().transfer_leader(preferred).await {
                tracing::warn!(shard = shard.shard, error = %e, "handing the shard to its preferred leader");
            }
        }
    }
}

/// What a leader remembers of its hand-overs: enough to tell a preferred leader that gives a
/// shard back at once (low on disk, stopping) from one that died or fell behind after taking it.
#[derive(Default)]
struct HandOvers {
    /// When each shard was last handed over, and in which term.
    handed: HashMap<u64, (Instant, u64)>,
    /// Shards given back, and since when they are not handed over.
    backing_off: HashMap<u64, Instant>,
    /// Since when this broker leads each shard, and in which term.
    leading: HashMap<u64, (u64, Instant)>,
}

impl HandOvers {
    /// Whether to hand `shard`, led here in `term`, to its `preferred` leader now (noted as
    /// handed over when so).
    fn now_to(&mut self, shard: u64, term: u64, preferred: u64, in_sync: bool, now: Instant) -> bool {
        let leading_for = now.duration_since(self.leading_since(shard, term, now));
        if !in_sync {
            // A new leader has heard from no follower yet, so none is in sync for a moment:
            // that says nothing. Later, the preferred leader is down or behind: if it had taken
            // the shard it lost it rather than gave it back, so once in sync again it is handed
            // the shard. A back-off stays: a broker that gave shards back for a low disk may
            // fall behind on a full one too.
            if leading_for >= EVERY {
                self.handed.remove(&shard);
            }
            return false;
        }
        // Leading again in a later term while it stayed in sync: it went there and was given
        // back (a transfer that did not happen leaves the term as it was, and is tried again).
        let came_back = self
            .handed
            .remove(&shard)
            .is_some_and(|(at, handed_in)| now.duration_since(at) < CAME_BACK_WITHIN && term > handed_in);
        if came_back {
            tracing::info!(shard, to = preferred, "the preferred leader gave the shard back; waiting");
            self.backing_off.insert(shard, now);
        }
        if self.backing_off.get(&shard).is_some_and(|since| now.duration_since(*since) < BACK_OFF) {
            return false;
        }
        self.handed.insert(shard, (now, term));
        true
    }

    /// When this broker was first seen leading `shard` in `term`.
    fn leading_since(&mut self, shard: u64, term: u64, now: Instant) -> Instant {
        let (since_term, since) = self.leading.entry(shard).or_insert((term, now));
        if *since_term != term {
            (*since_term, *since) = (term, now);
        }
        *since
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
    fn a_shard_given_back_waits_but_one_lost_by_a_death_returns() {
        let (start, secs) = (Instant::now(), |s: u64| Duration::from_secs(s));
        let mut hand_overs = HandOvers::default();
        assert!(hand_overs.now_to(1, 5, 2, true, start), "handed to its in-sync preferred leader");
        assert!(hand_overs.now_to(1, 5, 2, true, start + secs(5)), "the transfer did not happen: again");

        // Broker 2 took it and died; this broker won the election, saw 2 out of sync beyond
        // the first moments of its term, and 2 came back: it is handed the shard again.
        assert!(!hand_overs.now_to(1, 7, 2, false, start + secs(10)), "not while it is out of sync");
        assert!(!hand_overs.now_to(1, 7, 2, false, start + secs(16)), "still out of sync");
        assert!(hand_overs.now_to(1, 7, 2, true, start + secs(20)), "handed back after its return");

        // Broker 2 took it and gave it back while in sync (seen out of sync only in the first
        // moments of this broker's term): left alone for the back-off.
        assert!(!hand_overs.now_to(1, 9, 2, false, start + secs(25)), "a new term: nobody in sync yet");
        assert!(!hand_overs.now_to(1, 9, 2, true, start + secs(26)), "given back: not at once");
        assert!(!hand_overs.now_to(1, 9, 2, true, start + secs(26) + BACK_OFF / 2), "still backing off");
        assert!(hand_overs.now_to(1, 9, 2, true, start + secs(27) + BACK_OFF), "tried again after the back-off");

        // Given back for a low disk, then behind on a full one: the back-off stays.
        let later = start + secs(30) + BACK_OFF;
        assert!(!hand_overs.now_to(1, 11, 2, true, later), "given back: backing off");
        assert!(!hand_overs.now_to(1, 11, 2, false, later + secs(10)), "behind");
        assert!(!hand_overs.now_to(1, 11, 2, true, later + secs(20)), "in sync again: still backing off");
        assert!(hand_overs.now_to(1, 11, 2, true, later + secs(1) + BACK_OFF), "after the back-off");
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
