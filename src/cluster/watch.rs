//! Watches a Raft group: samples openraft's metrics twice a second, exports them to Prometheus,
//! and keeps what openraft does not know: when each follower last caught up with the leader (the
//! in-sync replicas, Kafka's replica.lag.time.max.ms rule) and how many bytes it lags.
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use openraft::async_runtime::WatchReceiver;

use super::directory::is_voter;
use super::entry_sizes::EntrySizes;
use super::types::{ClusterId, Raft, last_answered};
use crate::broker::shards::META_SHARD;
use crate::broker::{BrokerStatus, ClusterStatus, FollowerStatus, ShardStatus};

const SAMPLE_EVERY: Duration = Duration::from_millis(500);

pub const RAFT_LEADER: &str = "strata_raft_leader";
pub const RAFT_IS_LEADER: &str = "strata_raft_is_leader";
pub const RAFT_TERM: &str = "strata_raft_term";
pub const RAFT_ELECTIONS: &str = "strata_raft_elections_total";
pub const RAFT_LAST_LOG_INDEX: &str = "strata_raft_last_log_index";
pub const RAFT_COMMITTED_INDEX: &str = "strata_raft_committed_index";
pub const RAFT_APPLIED_INDEX: &str = "strata_raft_applied_index";
pub const RAFT_PURGED_INDEX: &str = "strata_raft_purged_index";
pub const RAFT_FOLLOWER_LAG_ENTRIES: &str = "strata_raft_follower_lag_entries";
pub const RAFT_FOLLOWER_LAG_BYTES: &str = "strata_raft_follower_lag_bytes";
pub const RAFT_FOLLOWERS_IN_SYNC: &str = "strata_raft_in_sync_replicas";
pub const CLUSTER_BROKERS_ALIVE: &str = "strata_cluster_brokers_alive";
pub const RAFT_TRANSFERS_RECEIVED: &str = "strata_raft_leadership_transfers_received_total";
pub const RAFT_HANDED_OVER: &str = "strata_raft_leadership_handed_over_total";
pub const RAFT_LEARNERS: &str = "strata_raft_learners";
pub const RAFT_MEMBERSHIP_CHANGES: &str = "strata_raft_membership_changes_total";
pub const DATA_DIR_COPIES: &str = "strata_data_dir_copies_total";
pub const DATA_DIR_COPY_BYTES: &str = "strata_data_dir_copy_bytes_total";
pub const RAFT_SNAPSHOTS: &str = "strata_raft_snapshots_total";
pub const RAFT_LEFT_SHARDS: &str = "strata_raft_left_shards";
pub const RAFT_SHARD_STOPPED: &str = "strata_raft_shard_stopped";
/// Directions of a data dir copy (`DATA_DIR_COPIES`): to a joining broker, or into this one.
pub const COPY_DIRECTIONS: [&str; 2] = ["sent", "received"];

pub struct ShardWatch {
    pub shard: u64,
    pub raft: Raft,
    pub node_id: u64,
    pub cluster_id: ClusterId,
    pub sizes: Arc<EntrySizes>,
    /// A follower is in sync while it caught up with the leader's committed log within this
    /// long (`--replica-lag-time-max`, Kafka's `replica.lag.time.max.ms`); a broker is alive
    /// while it answered the leader within it.
    pub lag_time_max: Duration,
    pub tracked: Mutex<Tracked>,
    /// Set once this broker's node of the shard stopped on its own (`stopped.rs`): its metrics
    /// then keep the last leader it saw, so the others are asked instead.
    pub stopped: AtomicBool,
}

#[derive(Default)]
pub struct Tracked {
    /// When each follower last held everything committed one sample earlier.
    caught_up: HashMap<u64, Instant>,
    committed_before: Option<u64>,
    term: u64,
}

impl ShardWatch {
    /// Whether this broker's copy serves the shard: it is a voter whose node runs.
    pub fn serves_here(&self) -> bool {
        !self.stopped.load(Ordering::Relaxed) && is_voter(&self.raft, self.node_id)
    }

    /// Samples until the Raft node stops.
    pub async fn run(self: Arc<Self>) {
        let mut ticks = tokio::time::interval(SAMPLE_EVERY);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            ticks.tick().await;
            if self.raft.metrics().borrow_watched().running_state.is_err() || self.stopped.load(Ordering::Relaxed) {
                return;
            }
            self.sample();
        }
    }

    fn sample(&self) {
        // A shard formed without this broker: its members report it.
        if super::directory::formed_elsewhere(&self.raft, self.node_id) {
            return;
        }
        let status = {
            let mut tracked = self.lock();
            let metrics = self.raft.metrics().borrow_watched().clone();
            let now = Instant::now();
            if metrics.current_term > tracked.term {
                if tracked.term > 0 {
                    metrics::counter!(RAFT_ELECTIONS, "shard" => self.shard.to_string()).increment(1);
                }
                tracked.term = metrics.current_term;
                tracked.caught_up.clear();
            }
            if let (Some(replication), Some(before)) = (&metrics.replication, tracked.committed_before) {
                for (follower, matched) in replication {
                    if matched.as_ref().is_some_and(|m| m.index >= before) {
                        tracked.caught_up.insert(*follower, now);
                    }
                }
            }
            tracked.committed_before = metrics.local_committed.map(|c| c.index);
            drop(tracked);
            self.status()
        };
        self.export(&status);
    }

    /// The group as this broker sees it now.
    pub fn status(&self) -> ClusterStatus {
        let metrics = self.raft.metrics().borrow_watched().clone();
        let tracked = self.lock();
        let leading = metrics.current_leader == Some(self.node_id);
        let last_log_index = metrics.last_log_index.unwrap_or(0);
        let mut followers = Vec::new();
        let replication = metrics.replication.clone().unwrap_or_default();
        for (&id, matched) in replication.iter().filter(|(id, _)| **id != self.node_id) {
            let matched_index = matched.as_ref().map(|m| m.index);
            let last_ack = last_answered(&metrics, id);
            // Caught up lately, and still answering: an idle log leaves a dead follower "caught
            // up", so its silence must count too (Kafka's follower stops fetching).
            let recent = |elapsed: Duration| elapsed <= self.lag_time_max;
            let caught_up = tracked.caught_up.get(&id).is_some_and(|at| recent(at.elapsed()));
            let in_sync = caught_up && last_ack.is_some_and(recent);
            followers.push(FollowerStatus {
                id,
                matched_index,
                lag_entries: last_log_index.saturating_sub(matched_index.unwrap_or(0)),
                lag_bytes: self.sizes.bytes_after(matched_index),
                in_sync,
                last_ack,
            });
        }
        drop(tracked);
        let membership = metrics.membership_config.membership();
        let members: Vec<u64> = membership.voter_ids().collect();
        let in_sync = if leading {
            let synced = |id: &u64| *id == self.node_id || followers.iter().any(|f| f.id == *id && f.in_sync);
            members.iter().copied().filter(synced).collect()
        } else {
            Vec::new()
        };
        let alive = |id: u64| {
            id == self.node_id
                || Some(id) == metrics.current_leader
                || followers.iter().any(|f| f.id == id && f.last_ack.is_some_and(|a| a <= self.lag_time_max))
        };
        let brokers = membership
            .nodes()
            .map(|(&id, node)| BrokerStatus {
                id,
                client_addr: node.client_addr.clone(),
                peer_addr: node.peer_addr.clone(),
                kafka_addr: node.kafka_addr.clone(),
                alive: alive(id),
            })
            .collect();
        let shard = ShardStatus {
            shard: self.shard,
            leader: metrics.current_leader,
            term: metrics.current_term,
            members,
            learners: membership.learner_ids().collect(),
            in_sync,
            last_log_index,
            committed_index: metrics.local_committed.map_or(0, |c| c.index),
            applied_index: metrics.last_applied.map_or(0, |a| a.index),
            purged_index: metrics.purged.map(|p| p.index),
            followers,
        };
        ClusterStatus { cluster_id: self.cluster_id.get(), answered_by: self.node_id, brokers, shards: vec![shard] }
    }

    fn export(&self, status: &ClusterStatus) {
        let shard_label = self.shard.to_string();
        let gauge = |name: &'static str, value: f64| metrics::gauge!(name, "shard" => shard_label.clone()).set(value);
        let Some(shard) = status.shards.first() else { return };
        let leading = shard.leader == Some(self.node_id);
        gauge(RAFT_LEADER, shard.leader.map_or(-1.0, |l| l as f64));
        gauge(RAFT_IS_LEADER, if leading { 1.0 } else { 0.0 });
        gauge(RAFT_TERM, shard.term as f64);
        gauge(RAFT_LAST_LOG_INDEX, shard.last_log_index as f64);
        gauge(RAFT_COMMITTED_INDEX, shard.committed_index as f64);
        gauge(RAFT_APPLIED_INDEX, shard.applied_index as f64);
        gauge(RAFT_PURGED_INDEX, shard.purged_index.map_or(-1.0, |p| p as f64));
        gauge(RAFT_LEARNERS, shard.learners.len() as f64);
        // Zero counters exist from the start, so a dashboard's rate() has a series to show.
        metrics::counter!(RAFT_ELECTIONS, "shard" => shard_label.clone()).increment(0);
        metrics::counter!(RAFT_TRANSFERS_RECEIVED, "shard" => shard_label.clone()).increment(0);
        for direction in COPY_DIRECTIONS {
            metrics::counter!(DATA_DIR_COPIES, "direction" => direction).increment(0);
            if self.shard != META_SHARD {
                metrics::counter!(RAFT_SNAPSHOTS, "shard" => shard_label.clone(), "direction" => direction)
                    .increment(0);
            }
        }
        if !leading {
            return;
        }
        gauge(RAFT_FOLLOWERS_IN_SYNC, shard.in_sync.len() as f64);
        // The metadata shard's members are every broker; a data shard's may be some of them.
        if self.shard == META_SHARD {
            metrics::gauge!(CLUSTER_BROKERS_ALIVE).set(status.alive_brokers() as f64);
        }
        for follower in &shard.followers {
            let labels = [("shard", shard_label.clone()), ("follower", follower.id.to_string())];
            metrics::gauge!(RAFT_FOLLOWER_LAG_ENTRIES, &labels).set(follower.lag_entries as f64);
            metrics::gauge!(RAFT_FOLLOWER_LAG_BYTES, &labels).set(follower.lag_bytes as f64);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Tracked> {
        self.tracked.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Describes the cluster metrics (once, with the others).
pub fn describe_metrics() {
    use metrics::{Unit, describe_counter, describe_gauge};
    describe_gauge!(RAFT_LEADER, Unit::Count, "Node id of the shard's leader as this broker sees it, -1 if none");
    describe_gauge!(RAFT_IS_LEADER, Unit::Count, "1 if this broker leads the shard, else 0");
    describe_gauge!(RAFT_TERM, Unit::Count, "The shard's Raft term (grows with every election)");
    describe_counter!(RAFT_ELECTIONS, Unit::Count, "New terms this broker saw begin in the shard (elections)");
    describe_gauge!(RAFT_LAST_LOG_INDEX, Unit::Count, "Index of the last entry in this broker's Raft log");
    describe_gauge!(RAFT_COMMITTED_INDEX, Unit::Count, "Index of the last entry this broker knows committed");
    describe_gauge!(RAFT_APPLIED_INDEX, Unit::Count, "Index of the last entry this broker applied");
    describe_gauge!(RAFT_PURGED_INDEX, Unit::Count, "Last entry trimmed from this broker's Raft log, -1 if none");
    describe_gauge!(
        RAFT_FOLLOWER_LAG_ENTRIES,
        Unit::Count,
        "Entries a follower lacks of the leader's log (on the leader)"
    );
    describe_gauge!(RAFT_FOLLOWER_LAG_BYTES, Unit::Bytes, "Bytes a follower lacks of the leader's log (on the leader)");
    describe_gauge!(
        RAFT_FOLLOWERS_IN_SYNC,
        Unit::Count,
        "Members in sync with the leader, itself included (on the leader)"
    );
    describe_counter!(
        RAFT_TRANSFERS_RECEIVED,
        Unit::Count,
        "Leaderships handed to this broker by a leader that was stopping (no election wait)"
    );
    describe_counter!(
        RAFT_HANDED_OVER,
        Unit::Count,
        "Leaderships this broker handed to another, by reason (stopping, disk_low)"
    );
    describe_gauge!(CLUSTER_BROKERS_ALIVE, Unit::Count, "Brokers the leader heard from lately, itself included");
    describe_gauge!(RAFT_LEARNERS, Unit::Count, "Brokers being added to the shard (learners, not counted yet)");
    describe_counter!(
        RAFT_MEMBERSHIP_CHANGES,
        Unit::Count,
        "Membership changes this broker made as the shard's leader, by change (learner, voter, removed)"
    );
    describe_counter!(
        DATA_DIR_COPIES,
        Unit::Count,
        "Copies of a data dir for a joining broker, by direction (sent by a member, received by the joiner)"
    );
    describe_counter!(DATA_DIR_COPY_BYTES, Unit::Bytes, "Bytes of data dir copies, by direction");
    describe_counter!(
        RAFT_SNAPSHOTS,
        Unit::Count,
        "Copies of a data shard sent to a broker being added to it, or received, by shard and direction"
    );
    describe_gauge!(
        RAFT_LEFT_SHARDS,
        Unit::Count,
        "Data shards this broker left (a copy moved off it) whose rows it drops at its next start"
    );
    describe_gauge!(
        RAFT_SHARD_STOPPED,
        Unit::Count,
        "1 if this broker's copy of the shard stopped on its own (a failed apply, a panic) until it restarts"
    );
}
