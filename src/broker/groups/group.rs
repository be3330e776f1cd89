//! One consumer group's membership and cooperative hand-off.
//!
//! Each member has a *target* (what the assignor wants it to hold) and an *owned* set (what it
//! was granted and has not released). A partition is granted to a member only when no other
//! member owns it, so it is never held twice; a member told to give a partition up keeps it
//! until it reports the release in a heartbeat (or its session expires). Members keep every
//! partition that is not moving.
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use tokio::time::Instant;

use super::assignor::{self, Assignment, TopicPartition};
use crate::error::{Error, Result};

#[derive(Debug, Clone)]
pub struct Member {
    pub id: String,
    pub client_id: String,
    pub topics: BTreeSet<String>,
    pub session_timeout: Duration,
    deadline: Instant,
    /// Bumped whenever the member's grant changes; commits must carry the current one.
    pub epoch: i32,
    target: BTreeSet<TopicPartition>,
    pub owned: BTreeSet<TopicPartition>,
    granted: BTreeSet<TopicPartition>,
}

impl Member {
    pub fn new(id: String, client_id: String, topics: BTreeSet<String>, session_timeout: Duration) -> Self {
        Member {
            id,
            client_id,
            topics,
            session_timeout,
            deadline: Instant::now() + session_timeout,
            epoch: 0,
            target: BTreeSet::new(),
            owned: BTreeSet::new(),
            granted: BTreeSet::new(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupState {
    /// No members (offsets may still be committed).
    Empty,
    /// Every member holds exactly its target.
    Stable,
    /// Partitions are moving between members.
    Reconciling,
}

#[derive(Debug, Default)]
pub struct Group {
    pub name: String,
    /// Bumped on every membership, subscription or topic change.
    pub epoch: i32,
    pub members: BTreeMap<String, Member>,
    /// Partition counts of the subscribed topics at the last assignment.
    topology: BTreeMap<String, u32>,
}

impl Group {
    pub fn new(name: &str) -> Self {
        Group { name: name.to_string(), ..Group::default() }
    }

    /// Every topic some member subscribes to.
    pub fn subscriptions(&self) -> BTreeSet<String> {
        self.members.values().flat_map(|m| m.topics.iter().cloned()).collect()
    }

    /// Adds a member and returns what it may consume right away.
    pub fn join(&mut self, member: Member, topology: BTreeMap<String, u32>) -> BTreeSet<TopicPartition> {
        let id = member.id.clone();
        self.members.insert(id.clone(), member);
        self.rebalance(topology);
        self.grant(&id)
    }

    /// Records a heartbeat: `owned` is what the member still holds (anything it stopped
    /// holding is released). Returns its epoch and current grant.
    pub fn heartbeat(
        &mut self,
        id: &str,
        epoch: i32,
        owned: &BTreeSet<TopicPartition>,
        topology: BTreeMap<String, u32>,
    ) -> Result<(i32, BTreeSet<TopicPartition>)> {
        let name = self.name.clone();
        let member = self.member_mut(id)?;
        if epoch > member.epoch {
            return Err(fenced(&name, id, epoch, member.epoch));
        }
        member.deadline = Instant::now() + member.session_timeout;
        member.owned.retain(|tp| owned.contains(tp));
        if topology != self.topology {
            self.rebalance(topology);
        }
        let granted = self.grant(id);
        Ok((self.members[id].epoch, granted))
    }

    /// Removes a member; its partitions are free at once.
    pub fn leave(&mut self, id: &str) -> Result<()> {
        self.member_mut(id)?;
        self.members.remove(id);
        let topology = self.topology.clone();
        self.rebalance(topology);
        Ok(())
    }

    /// Removes members whose session ran out; returns their ids.
    pub fn expire(&mut self, now: Instant) -> Vec<String> {
        let expired: Vec<String> = self.members.values().filter(|m| m.deadline <= now).map(|m| m.id.clone()).collect();
        if !expired.is_empty() {
            for id in &expired {
                self.members.remove(id);
            }
            let topology = self.topology.clone();
            self.rebalance(topology);
        }
        expired
    }

    /// Checks that `id` at `epoch` may commit offsets of `topic`'s `partitions`.
    pub fn check_commit(&self, id: &str, epoch: i32, topic: &str, partitions: &[u32]) -> Result<()> {
        let member = self.members.get(id).ok_or_else(|| unknown(&self.name, id))?;
        if epoch != member.epoch {
            return Err(fenced(&self.name, id, epoch, member.epoch));
        }
        if let Some(p) = partitions.iter().find(|p| !member.owned.contains(&(topic.to_string(), **p))) {
            return Err(Error::NotAssigned {
                group: self.name.clone(),
                member_id: id.to_string(),
                topic: topic.to_string(),
                partition: *p,
            });
        }
        Ok(())
    }

    pub fn state(&self) -> GroupState {
        if self.members.is_empty() {
            GroupState::Empty
        } else if self.members.values().all(|m| m.owned == m.target) {
            GroupState::Stable
        } else {
            GroupState::Reconciling
        }
    }

    fn member_mut(&mut self, id: &str) -> Result<&mut Member> {
        let name = &self.name;
        self.members.get_mut(id).ok_or_else(|| unknown(name, id))
    }

    /// New targets for everyone; partitions of deleted topics are dropped from what members own.
    fn rebalance(&mut self, topology: BTreeMap<String, u32>) {
        self.epoch += 1;
        let subscriptions = self.members.iter().map(|(id, m)| (id.clone(), m.topics.clone())).collect();
        let previous: Assignment = self.members.iter().map(|(id, m)| (id.clone(), m.target.clone())).collect();
        let mut targets = assignor::assign(&subscriptions, &topology, &previous);
        for (id, member) in &mut self.members {
            member.target = targets.remove(id).unwrap_or_default();
            member.owned.retain(|(t, p)| topology.get(t).is_some_and(|n| p < n));
        }
        self.topology = topology;
    }

    /// What `id` may hold now: what it owns of its target, plus target partitions nobody else
    /// owns (those become owned by it).
    fn grant(&mut self, id: &str) -> BTreeSet<TopicPartition> {
        let others: BTreeSet<TopicPartition> =
            self.members.values().filter(|m| m.id != id).flat_map(|m| m.owned.iter().cloned()).collect();
        let Some(member) = self.members.get_mut(id) else { return BTreeSet::new() };
        let grant: BTreeSet<TopicPartition> =
            member.target.iter().filter(|tp| !others.contains(*tp)).cloned().collect();
        member.owned.extend(grant.iter().cloned());
        if grant != member.granted {
            member.epoch += 1;
            member.granted = grant.clone();
        }
        grant
    }
}

/// The error for a member (or its whole group) the coordinator does not know.
pub(super) fn unknown(group: &str, id: &str) -> Error {
    Error::UnknownMember { group: group.to_string(), member_id: id.to_string() }
}

fn fenced(group: &str, id: &str, epoch: i32, current: i32) -> Error {
    Error::FencedMember { group: group.to_string(), member_id: id.to_string(), epoch, current }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn topology(n: u32) -> BTreeMap<String, u32> {
        BTreeMap::from([("t".to_string(), n)])
    }

    fn member(id: &str) -> Member {
        Member::new(id.into(), "c".into(), BTreeSet::from(["t".to_string()]), Duration::from_secs(10))
    }

    /// No partition is owned by two members.
    fn assert_exclusive(group: &Group) {
        let mut seen = BTreeSet::new();
        for m in group.members.values() {
            for tp in &m.owned {
                assert!(seen.insert(tp.clone()), "{tp:?} owned twice");
            }
        }
    }

    #[test]
    fn a_moving_partition_waits_for_its_release() {
        let mut g = Group::new("g");
        let a = g.join(member("a"), topology(6));
        assert_eq!(a.len(), 6);
        let b = g.join(member("b"), topology(6));
        assert!(b.is_empty(), "everything is still owned by a");
        assert_exclusive(&g);
        assert_eq!(g.state(), GroupState::Reconciling);

        let (_, a_now) = g.heartbeat("a", g.members["a"].epoch, &a, topology(6)).expect("a");
        assert_eq!(a_now.len(), 3, "a is told to keep 3");
        assert!(a_now.is_subset(&a));
        let (_, b_now) = g.heartbeat("b", g.members["b"].epoch, &b, topology(6)).expect("b");
        assert!(b_now.is_empty(), "a has not released yet");
        g.heartbeat("a", g.members["a"].epoch, &a_now, topology(6)).expect("a releases");
        let (_, b_now) = g.heartbeat("b", g.members["b"].epoch, &b_now, topology(6)).expect("b");
        assert_eq!(b_now.len(), 3);
        assert_exclusive(&g);
        assert_eq!(g.state(), GroupState::Stable);
    }

    #[test]
    fn commits_need_the_current_epoch_and_ownership() {
        let mut g = Group::new("g");
        g.join(member("a"), topology(2));
        let epoch = g.members["a"].epoch;
        assert!(g.check_commit("a", epoch, "t", &[0, 1]).is_ok());
        assert!(matches!(g.check_commit("a", epoch - 1, "t", &[0]), Err(Error::FencedMember { .. })));
        assert!(matches!(g.check_commit("x", epoch, "t", &[0]), Err(Error::UnknownMember { .. })));
        assert!(matches!(g.check_commit("a", epoch, "t", &[5]), Err(Error::NotAssigned { .. })));
    }

    #[test]
    fn expired_members_free_their_partitions() {
        let mut g = Group::new("g");
        g.join(member("a"), topology(4));
        let mut short = member("b");
        short.session_timeout = Duration::ZERO;
        short.deadline = Instant::now();
        g.join(short, topology(4));
        assert_eq!(g.expire(Instant::now()), vec!["b".to_string()]);
        let a = g.members["a"].owned.clone();
        let (_, grant) = g.heartbeat("a", g.members["a"].epoch, &a, topology(4)).expect("a");
        assert_eq!(grant.len(), 4);
    }
}
