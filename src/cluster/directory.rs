//! Where the leaders of the shards this broker is not a member of are. With a replication
//! factor below the cluster's size, a broker has no Raft view of some data shards, yet clients
//! may send it their partitions' requests: it answers NOT_LEADER naming the leader it learned
//! here, and lists those shards in its status. It learns by asking the other brokers, twice a
//! second, which shards they are members of, who leads them and (from the leader) which
//! replicas are in sync (`Peer.ShardLeaders`); the answer of the latest term wins. A broker that is a member of every shard asks nobody.
//!
//! A hint may be a poll old: a client sent to a leader that just lost its shard is told the
//! new one there.
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use openraft::async_runtime::WatchReceiver;
use tonic::transport::Channel;

use super::node::connect;
use super::types::{ClusterId, Raft, formed, is_voter_in};
use super::watch::ShardWatch;
use crate::broker::replication::ShardStatus;
use crate::broker::shards::META_SHARD;
use crate::proto::peer::{self as pb, peer_client::PeerClient};

const POLL_EVERY: Duration = Duration::from_millis(500);
const ANSWER_WITHIN: Duration = Duration::from_secs(1);

#[derive(Default)]
pub struct ShardDirectory {
    /// Each shard as last told, and when that was.
    known: Mutex<HashMap<u64, (pb::ShardLeader, Instant)>>,
}

impl ShardDirectory {
    /// `shard` as the members last told: leader, term, voters and learners.
    pub fn status(&self, shard: u64) -> Option<ShardStatus> {
        self.status_told(shard).map(|(status, _)| status)
    }

    /// `shard` as the members last told, and when this broker was told.
    pub fn status_told(&self, shard: u64) -> Option<(ShardStatus, Instant)> {
        let known = self.known.lock().unwrap_or_else(|p| p.into_inner());
        known.get(&shard).map(|(s, told)| {
            (
                ShardStatus {
                    shard,
                    leader: s.leader,
                    term: s.term,
                    members: s.voters.clone(),
                    learners: s.learners.clone(),
                    in_sync: s.in_sync.clone(),
                    ..ShardStatus::default()
                },
                *told,
            )
        })
    }

    /// Keeps what a member says of a shard unless a later term is known; within a term, a
    /// known leader beats none, and the leader's word (with the in-sync replicas) a follower's.
    fn learn(&self, told: pb::ShardLeader) {
        let mut known = self.known.lock().unwrap_or_else(|p| p.into_inner());
        let rank = |s: &pb::ShardLeader| (s.term, s.leader.is_some(), !s.in_sync.is_empty());
        let newer = |(old, _): &(pb::ShardLeader, Instant)| rank(&told) >= rank(old);
        if known.get(&told.shard).is_none_or(newer) {
            known.insert(told.shard, (told, Instant::now()));
        }
    }
}

/// What this broker tells others of the shards it is a voter of (and whose node here runs: a
/// stopped one's view is stale).
pub fn led_here(watches: &[Arc<ShardWatch>], me: u64) -> Vec<pb::ShardLeader> {
    let mut shards = Vec::new();
    for watch in watches.iter().filter(|w| !w.stopped.load(Ordering::Relaxed)) {
        for s in watch.status().shards.into_iter().filter(|s| s.members.contains(&me)) {
            let (voters, learners, in_sync) = (s.members, s.learners, s.in_sync);
            shards.push(pb::ShardLeader { shard: s.shard, leader: s.leader, term: s.term, voters, learners, in_sync });
        }
    }
    shards
}

/// Whether this broker is a voter of the group `raft` (`types::is_voter_in`).
pub fn is_voter(raft: &Raft, me: u64) -> bool {
    is_voter_in(&raft.metrics().borrow_watched(), me)
}

/// Whether the group `raft` formed without this broker (it has members, and this one is not).
pub fn formed_elsewhere(raft: &Raft, me: u64) -> bool {
    let metrics = raft.metrics();
    let metrics = metrics.borrow_watched();
    formed(&metrics) && !is_voter_in(&metrics, me)
}

/// Runs until the metadata group stops: asks the other brokers while this one does not serve
/// every shard (not a member, or its node stopped).
pub async fn poll(directory: Arc<ShardDirectory>, watches: Vec<Arc<ShardWatch>>, me: u64, cluster_id: ClusterId) {
    let mut ticks = tokio::time::interval(POLL_EVERY);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut clients: BTreeMap<String, PeerClient<Channel>> = BTreeMap::new();
    loop {
        ticks.tick().await;
        let meta = watches[META_SHARD as usize].raft.metrics().borrow_watched().clone();
        if meta.running_state.is_err() {
            return;
        }
        if watches.iter().all(|watch| watch.serves_here()) {
            continue;
        }
        let peers: Vec<String> = meta
            .membership_config
            .membership()
            .nodes()
            .filter(|(id, _)| **id != me)
            .map(|(_, node)| node.peer_addr.clone())
            .collect();
        clients.retain(|addr, _| peers.contains(addr));
        let asked = peers.iter().map(|addr| ask(addr, clients.get(addr).cloned(), &cluster_id));
        for (addr, answer) in peers.iter().zip(futures::future::join_all(asked).await) {
            match answer {
                Some((client, shards)) => {
                    clients.insert(addr.clone(), client);
                    shards.into_iter().for_each(|s| directory.learn(s));
                }
                None => {
                    clients.remove(addr);
                }
            }
        }
    }
}

/// Whether the broker at `addr` answers in time.
pub(super) async fn answers(addr: &str, cluster_id: &ClusterId) -> bool {
    ask(addr, None, cluster_id).await.is_some()
}

/// One broker's shards, if it answers in time (with the client to ask it again).
pub(super) async fn ask(
    addr: &str,
    client: Option<PeerClient<Channel>>,
    cluster_id: &ClusterId,
) -> Option<(PeerClient<Channel>, Vec<pb::ShardLeader>)> {
    let asked = async {
        let mut client = match client {
            Some(client) => client,
            None => connect(addr).await.ok()?,
        };
        let request = cluster_id.request(pb::ShardLeadersRequest {}, ANSWER_WITHIN);
        let answer = client.shard_leaders(request).await.ok()?.into_inner();
        Some((client, answer.shards))
    };
    tokio::time::timeout(ANSWER_WITHIN, asked).await.ok().flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn told(shard: u64, leader: Option<u64>, term: u64) -> pb::ShardLeader {
        pb::ShardLeader { shard, leader, term, voters: vec![1, 2], learners: vec![], in_sync: vec![] }
    }

    #[test]
    fn the_leaders_word_on_in_sync_replicas_is_kept_over_a_followers() {
        let directory = ShardDirectory::default();
        directory.learn(pb::ShardLeader { in_sync: vec![1, 2], ..told(1, Some(1), 3) });
        directory.learn(told(1, Some(1), 3));
        assert_eq!(directory.status(1).map(|s| s.in_sync), Some(vec![1, 2]));
        directory.learn(pb::ShardLeader { in_sync: vec![1], ..told(1, Some(1), 3) });
        assert_eq!(directory.status(1).map(|s| s.in_sync), Some(vec![1]));
    }

    #[test]
    fn the_latest_term_wins_and_a_known_leader_beats_none_in_it() {
        let directory = ShardDirectory::default();
        directory.learn(told(1, Some(2), 5));
        directory.learn(told(1, Some(1), 4));
        assert_eq!(directory.status(1).and_then(|s| s.leader), Some(2));
        directory.learn(told(1, None, 6));
        directory.learn(told(1, Some(1), 6));
        directory.learn(told(1, None, 6));
        let status = directory.status(1).expect("known");
        assert_eq!((status.leader, status.term, status.members), (Some(1), 6, vec![1, 2]));
        assert_eq!(directory.status(2), None);
    }
}
