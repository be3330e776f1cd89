//! Removing a broker from the cluster (`strata cluster remove-broker`): out of every shard,
//! each through its leader. Where data shards are on some of the brokers (a replication factor
//! below the cluster's size), a shard that would keep fewer copies than the factor first gets a
//! copy on another live broker that does not carry it, the one that carries fewest shards: a
//! broker lost for good is replaced by the ones left, and a broker taken out of service leaves
//! no shard short of copies for a moment.
use std::collections::BTreeMap;
use std::collections::btree_map::Entry;
use std::time::Duration;

use openraft::async_runtime::WatchReceiver;

use super::copies_balance::fewest_carrying;
use super::directory::{self, ShardDirectory, is_voter};
use super::membership::{MemberChange, at_peer, change_members};
use super::removal_check::removal_commits;
use super::types::{BrokerNode, ClusterId, Membership, Raft};
use crate::broker::shards::{META_SHARD, Shards};
use crate::error::{Error, Result};

/// How many times (every 500 ms) a change waits for a shard to elect a leader, or for a change
/// under way to finish.
const ELECTION_RETRIES: u32 = 20;

/// This broker's shards and what it knows of those it is not a member of.
pub struct ShardGroups<'a> {
    pub rafts: &'a [Raft],
    pub cluster_id: &'a ClusterId,
    pub me: u64,
    pub directory: &'a ShardDirectory,
}

impl ShardGroups<'_> {
    /// Takes broker `id` out of every shard, each through its leader (found in the directory
    /// for a shard this broker is not a member of). Where a data shard keeps a factor of
    /// copies (`shards`; not every broker), a shard that would keep fewer first gets a copy
    /// elsewhere. An election under way is waited out for a while; a shard already without it
    /// is done.
    pub async fn remove_everywhere(&self, id: u64, shards: Shards) -> Result<()> {
        let known = (0..self.rafts.len() as u64).any(|shard| {
            self.members(shard).is_some_and(|(voters, learners)| voters.contains(&id) || learners.contains(&id))
        });
        if !known {
            return Err(Error::UnknownBroker(id));
        }
        self.refuse_what_cannot_commit(id, shards).await?;
        // First a learner of the metadata shard: no shard's copy goes to it from then on (it is
        // no candidate here, and the balancer waits while the metadata shard has a learner).
        // Out of the metadata shard last: until then the broker is known (a removal run again
        // finishes it), and its address is there for a data shard it leads.
        self.change(META_SHARD, &MemberChange::Demote { id }).await?;
        for group in 1..self.rafts.len() as u64 {
            let factor = shards.factor_of(group);
            if factor > 0 {
                self.keep_copies(group, id, factor as usize).await?;
            }
            self.change(group, &MemberChange::Remove { id }).await?;
        }
        self.change(META_SHARD, &MemberChange::Remove { id }).await
    }

    /// Refuses, before anything changes, a removal of broker `id` that could not commit in
    /// some shard (`removal_check`): one whose voters too few answer, such as a shard of
    /// replication factor 1 or 2 with a copy on a broker that is down.
    async fn refuse_what_cannot_commit(&self, id: u64, shards: Shards) -> Result<()> {
        let mut answers: BTreeMap<u64, bool> = BTreeMap::new();
        for group in 0..self.rafts.len() as u64 {
            let voters = self.known_voters(group).await?;
            if !voters.contains(&id) {
                continue;
            }
            for voter in &voters {
                if let Entry::Vacant(unasked) = answers.entry(*voter) {
                    unasked.insert(self.answers(*voter).await);
                }
            }
            let factor = shards.factor_of(group) as usize;
            let copied = group != META_SHARD && factor > 0 && voters.len() <= factor;
            if voters.len() == 1 && !copied {
                continue; // the last member: refused as such when its turn comes
            }
            let others_live = voters.iter().filter(|v| **v != id && answers[v]).count();
            if !removal_commits(voters.len(), others_live, answers[&id], copied) {
                return Err(cannot_commit(id, group, &voters, &answers));
            }
        }
        Ok(())
    }

    /// `group`'s voters, once this broker knows them: a broker just started learns the shards
    /// it keeps no copy of from the others within a second or so. Still unknown after that,
    /// no copy of the shard answers.
    async fn known_voters(&self, group: u64) -> Result<Vec<u64>> {
        for _ in 0..ELECTION_RETRIES {
            if let Some((voters, _)) = self.members(group) {
                return Ok(voters);
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        Err(Error::MembershipChange(format!(
            "no broker keeping a copy of shard {group} has answered for 10 s, so no change to it can commit: start \
             one of them again first"
        )))
    }

    /// Before `leaving` leaves data shard `group`: a copy on another broker if the shard would
    /// keep fewer than `replicas` voters.
    async fn keep_copies(&self, group: u64, leaving: u64, replicas: usize) -> Result<()> {
        let Some((voters, _)) = self.members(group) else { return Ok(()) };
        if !voters.contains(&leaving) || voters.len() > replicas {
            return Ok(());
        }
        match self.replacement(group, leaving).await {
            Some((id, node)) => {
                tracing::info!(shard = group, broker = id, "copying the shard to another broker before one leaves");
                self.change(group, &MemberChange::Copy { id, node }).await
            }
            None => {
                tracing::warn!(shard = group, leaving, "no other live broker to take a copy of the shard");
                Ok(())
            }
        }
    }

    /// The live broker, other than `leaving` and the shard's members, that carries the fewest
    /// data shards (the lowest id among equals).
    async fn replacement(&self, group: u64, leaving: u64) -> Option<(u64, BrokerNode)> {
        let (voters, learners) = self.members(group)?;
        let data_voters: BTreeMap<u64, Vec<u64>> = (1..self.rafts.len() as u64)
            .map(|shard| (shard, self.members(shard).map(|(voters, _)| voters).unwrap_or_default()))
            .collect();
        // Brokers (voters of the metadata shard): one still joining would forget the shard when
        // it opens its copy of a member's data dir.
        let others =
            self.brokers().into_iter().filter(|id| *id != leaving && !voters.contains(id) && !learners.contains(id));
        for id in fewest_carrying(&data_voters, others) {
            let Some(node) = self.broker(id) else { continue };
            if self.alive(id, &node).await {
                return Some((id, node));
            }
        }
        None
    }

    /// The cluster's brokers: the voters of the metadata shard.
    pub(super) fn brokers(&self) -> Vec<u64> {
        self.meta_membership().voter_ids().collect()
    }

    /// Where broker `id` is reached, as the metadata shard knows it.
    pub(super) fn broker(&self, id: u64) -> Option<BrokerNode> {
        self.meta_membership().get_node(&id).cloned()
    }

    fn meta_membership(&self) -> Membership {
        self.rafts[META_SHARD as usize].metrics().borrow_watched().membership_config.membership().clone()
    }

    /// Whether broker `id` answers this one now (where the metadata shard knows it).
    async fn answers(&self, id: u64) -> bool {
        match self.broker(id) {
            Some(node) => self.alive(id, &node).await,
            None => false,
        }
    }

    /// Whether broker `id` (at `node`) answers this one now.
    pub(super) async fn alive(&self, id: u64, node: &BrokerNode) -> bool {
        id == self.me || directory::answers(&node.peer_addr, self.cluster_id).await
    }

    /// `group`'s voters and learners, from its Raft node here or else from the directory.
    pub(super) fn members(&self, group: u64) -> Option<(Vec<u64>, Vec<u64>)> {
        let raft = self.rafts.get(group as usize)?;
        if is_voter(raft, self.me) || group == META_SHARD {
            let metrics = raft.metrics().borrow_watched().clone();
            let membership = metrics.membership_config.membership();
            return Some((membership.voter_ids().collect(), membership.learner_ids().collect()));
        }
        self.directory.status(group).map(|s| (s.members, s.learners))
    }

    /// Makes `change` in `group` through its leader, waiting out an election or another change
    /// for a while.
    pub(super) async fn change(&self, group: u64, change: &MemberChange) -> Result<()> {
        let raft = &self.rafts[group as usize];
        let mut attempts = 0;
        loop {
            let changed = if is_voter(raft, self.me) {
                change_members(raft, group, self.cluster_id, change, true).await
            } else {
                self.change_elsewhere(group, change).await
            };
            match changed {
                Err(Error::NotLeader { .. } | Error::MembershipChanging(_)) if attempts < ELECTION_RETRIES => {
                    attempts += 1;
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
                Ok(()) => return Ok(()),
                Err(e) => {
                    // Running the removal again finishes it: shards already changed are done.
                    tracing::warn!(shard = group, ?change, error = %e, "a membership change stopped");
                    return Err(e);
                }
            }
        }
    }

    /// `change` of a shard this broker is not a member of, through the leader the directory
    /// names (a change the directory shows made already is done).
    async fn change_elsewhere(&self, group: u64, change: &MemberChange) -> Result<()> {
        let no_leader = Error::NotLeader { leader_id: None, leader_addr: None };
        let Some(shard) = self.directory.status(group) else { return Err(no_leader) };
        let done = match change {
            MemberChange::Remove { id } => !shard.members.contains(id) && !shard.learners.contains(id),
            MemberChange::Copy { id, .. } => shard.members.contains(id),
            MemberChange::Demote { id } => !shard.members.contains(id),
            MemberChange::Learn { .. } | MemberChange::Add { .. } => false,
        };
        if done {
            return Ok(());
        }
        match shard.leader.and_then(|leader| self.broker(leader)) {
            Some(leader) => at_peer(&leader.peer_addr, self.cluster_id, change.request(group, false)).await,
            None => Err(no_leader),
        }
    }
}

/// Why removing broker `id` cannot commit in shard `group` of `voters` (`answers`: who answers).
fn cannot_commit(id: u64, group: u64, voters: &[u64], answers: &BTreeMap<u64, bool>) -> Error {
    if voters == [id] {
        return Error::MembershipChange(format!(
            "broker {id} is down and keeps the only copy of shard {group} (partitions of replication factor 1): \
             start it again so that copy can be moved. A shard cannot be re-formed without its last copy yet, so a \
             broker lost for good with such a copy cannot be removed"
        ));
    }
    let down: Vec<u64> = voters.iter().copied().filter(|v| !answers.get(v).copied().unwrap_or(false)).collect();
    Error::MembershipChange(format!(
        "shard {group} keeps copies on brokers {voters:?}, and {down:?} of them do not answer: too few are left for \
         broker {id}'s removal to commit there; start the ones that are down again first"
    ))
}
