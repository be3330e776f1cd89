//! One classic (Kafka client-side assignment) consumer group: members join, the coordinator
//! picks a protocol and a leader and bumps the generation once every member rejoined (or the
//! rebalance timeout removed the others), the leader's SyncGroup hands out its assignment, and
//! heartbeats tell members when to rejoin. Kafka's `GroupCoordinator` states: Empty, preparing
//! (joining), completing (syncing), stable. No I/O and no clock of its own: callers pass `now`.
use std::collections::BTreeMap;
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::oneshot;
use tokio::time::Instant;

use crate::error::{Error, Result};

/// How long a rebalance of an empty group waits for more members before it completes (Kafka's
/// group.initial.rebalance.delay.ms, shortened: consumers started together land in one
/// generation, and a lone consumer starts soon).
pub const INITIAL_DELAY: Duration = Duration::from_millis(1_000);

/// A member's JoinGroup, as the coordinator needs it.
#[derive(Debug, Clone)]
pub struct JoinRequest {
    pub member_id: String,
    pub client_id: String,
    pub client_host: String,
    pub session_timeout: Duration,
    pub rebalance_timeout: Duration,
    pub protocol_type: String,
    /// Assignors the member supports, preferred first, each with its subscription metadata.
    pub protocols: Vec<(String, Bytes)>,
}

/// What a completed join gives one member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Joined {
    pub generation: i32,
    pub protocol_type: String,
    pub protocol: String,
    pub leader: String,
    pub member_id: String,
    /// Every member with its metadata for the chosen protocol: the leader's only.
    pub members: Vec<(String, Bytes)>,
}

/// What the leader assigned one member: the bytes it sent, and (for Kafka's "consumer"
/// protocol, decoded by the front end) the partitions they name, for `strata group describe`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Assignment {
    pub bytes: Bytes,
    pub partitions: BTreeMap<String, Vec<u32>>,
}

pub type JoinWaiter = oneshot::Sender<Result<Joined>>;
pub type SyncWaiter = oneshot::Sender<Result<Bytes>>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Empty,
    /// Waiting for members to (re)join until the deadline.
    Joining {
        deadline: Instant,
        early: bool,
    },
    /// Joined; waiting for the leader's assignment.
    Syncing,
    Stable,
}

#[derive(Debug)]
pub struct Member {
    pub client_id: String,
    pub client_host: String,
    pub session_timeout: Duration,
    rebalance_timeout: Duration,
    protocol_type: String,
    protocols: Vec<(String, Bytes)>,
    pub assignment: Assignment,
    last_seen: Instant,
    /// Join order, for choosing a leader.
    order: u64,
    join: Option<JoinWaiter>,
    sync: Option<SyncWaiter>,
}

#[derive(Debug)]
pub struct ClassicGroup {
    pub phase: Phase,
    pub generation: i32,
    pub protocol: Option<String>,
    pub leader: Option<String>,
    pub members: BTreeMap<String, Member>,
    joins: u64,
}

impl ClassicGroup {
    pub fn new() -> Self {
        ClassicGroup {
            phase: Phase::Empty,
            generation: 0,
            protocol: None,
            leader: None,
            members: BTreeMap::new(),
            joins: 0,
        }
    }

    pub fn protocol_type(&self) -> Option<&str> {
        self.members.values().next().map(|m| m.protocol_type.as_str())
    }

    /// A member (new when `member_id` is empty: it gets `new_id`) joins; it is answered through
    /// `waiter` once the join completes.
    pub fn join(
        &mut self,
        group: &str,
        request: JoinRequest,
        new_id: String,
        waiter: JoinWaiter,
        now: Instant,
    ) -> Result<()> {
        self.check_protocols(group, &request)?;
        let id = if request.member_id.is_empty() { new_id } else { request.member_id.clone() };
        if !request.member_id.is_empty() && !self.members.contains_key(&id) {
            return Err(Error::UnknownMember { group: group.to_string(), member_id: id });
        }
        self.joins += 1;
        let order = self.members.get(&id).map_or(self.joins, |m| m.order);
        let member = Member {
            client_id: request.client_id,
            client_host: request.client_host,
            session_timeout: request.session_timeout,
            rebalance_timeout: request.rebalance_timeout,
            protocol_type: request.protocol_type,
            protocols: request.protocols,
            assignment: Assignment::default(),
            last_seen: now,
            order,
            join: Some(waiter),
            sync: None,
        };
        if let Some(old) = self.members.insert(id, member) {
            answer_sync(old.sync, Err(rebalancing(group)));
            answer_join(old.join, Err(rebalancing(group)));
        }
        if !matches!(self.phase, Phase::Joining { .. }) {
            self.begin_rebalance(group, now);
        }
        self.try_complete_join(now);
        Ok(())
    }

    /// A member's protocol type must be the group's, and the group must keep a protocol every
    /// member supports.
    fn check_protocols(&self, group: &str, request: &JoinRequest) -> Result<()> {
        let inconsistent = |reason: String| Error::InconsistentGroupProtocol { group: group.to_string(), reason };
        if request.protocols.is_empty() {
            return Err(inconsistent("the member names no assignment protocol".into()));
        }
        let others = || self.members.iter().filter(|(id, _)| **id != request.member_id).map(|(_, m)| m);
        if let Some(other) = others().next()
            && other.protocol_type != request.protocol_type
        {
            return Err(inconsistent(format!(
                "protocol type \"{}\" differs from the group's \"{}\"",
                request.protocol_type, other.protocol_type
            )));
        }
        let common = request.protocols.iter().any(|(name, _)| others().all(|m| m.supports(name)));
        if !common {
            return Err(inconsistent("no assignor in common with the group's members".into()));
        }
        Ok(())
    }

    /// Starts a rebalance: every member must rejoin by the deadline; pending syncs are told.
    fn begin_rebalance(&mut self, group: &str, now: Instant) {
        let longest = self.members.values().map(|m| m.rebalance_timeout).max().unwrap_or_default();
        let phase = if self.phase == Phase::Empty {
            Phase::Joining { deadline: now + INITIAL_DELAY.min(longest), early: false }
        } else {
            Phase::Joining { deadline: now + longest, early: true }
        };
        self.phase = phase;
        for member in self.members.values_mut() {
            answer_sync(member.sync.take(), Err(rebalancing(group)));
        }
    }

    /// Completes the join once every member rejoined (or at the deadline, without the others).
    pub fn try_complete_join(&mut self, now: Instant) {
        let Phase::Joining { deadline, early } = self.phase else { return };
        let all_joined = self.members.values().all(|m| m.join.is_some());
        if !(now >= deadline || (early && all_joined)) {
            return;
        }
        self.members.retain(|_, m| m.join.is_some());
        self.generation = self.generation.wrapping_add(1).max(1);
        if self.members.is_empty() {
            (self.phase, self.protocol, self.leader) = (Phase::Empty, None, None);
            return;
        }
        let protocol = self.choose_protocol();
        let leader = match &self.leader {
            Some(leader) if self.members.contains_key(leader) => leader.clone(),
            _ => self.members.iter().min_by_key(|(_, m)| m.order).map(|(id, _)| id.clone()).unwrap_or_default(),
        };
        let metadata: Vec<(String, Bytes)> =
            self.members.iter().map(|(id, m)| (id.clone(), m.metadata(&protocol))).collect();
        let protocol_type = self.protocol_type().unwrap_or_default().to_string();
        for (id, member) in &mut self.members {
            let joined = Joined {
                generation: self.generation,
                protocol_type: protocol_type.clone(),
                protocol: protocol.clone(),
                leader: leader.clone(),
                member_id: id.clone(),
                members: if *id == leader { metadata.clone() } else { Vec::new() },
            };
            member.last_seen = now;
            answer_join(member.join.take(), Ok(joined));
        }
        (self.phase, self.protocol, self.leader) = (Phase::Syncing, Some(protocol), Some(leader));
    }

    /// The protocol most members prefer among those all support (Kafka's vote).
    fn choose_protocol(&self) -> String {
        let mut votes: BTreeMap<&str, usize> = BTreeMap::new();
        for member in self.members.values() {
            let choice = member.protocols.iter().find(|(name, _)| self.members.values().all(|m| m.supports(name)));
            if let Some((name, _)) = choice {
                *votes.entry(name.as_str()).or_default() += 1;
            }
        }
        let first = self.members.values().min_by_key(|m| m.order);
        let preferred = |name: &str| {
            first.map_or(usize::MAX, |m| m.protocols.iter().position(|(n, _)| n == name).unwrap_or(usize::MAX))
        };
        votes
            .into_iter()
            .max_by(|a, b| a.1.cmp(&b.1).then(preferred(b.0).cmp(&preferred(a.0))))
            .map(|(name, _)| name.to_string())
            .unwrap_or_default()
    }

    /// A member's SyncGroup: the leader's brings the assignment of every member.
    pub fn sync(
        &mut self,
        group: &str,
        generation: i32,
        member_id: &str,
        assignments: Vec<(String, Assignment)>,
        waiter: SyncWaiter,
        now: Instant,
    ) -> Result<()> {
        self.check_member(group, generation, member_id, now)?;
        match self.phase {
            Phase::Syncing => {
                if let Some(member) = self.members.get_mut(member_id) {
                    member.sync = Some(waiter);
                }
                if self.leader.as_deref() == Some(member_id) {
                    let mut assignments: BTreeMap<String, Assignment> = assignments.into_iter().collect();
                    for (id, member) in &mut self.members {
                        member.assignment = assignments.remove(id).unwrap_or_default();
                        answer_sync(member.sync.take(), Ok(member.assignment.bytes.clone()));
                    }
                    self.phase = Phase::Stable;
                }
            }
            _ => {
                let assignment = self.members.get(member_id).map(|m| m.assignment.bytes.clone()).unwrap_or_default();
                answer_sync(Some(waiter), Ok(assignment));
            }
        }
        Ok(())
    }

    /// Unknown members, old generations and heartbeats during a join are refused, as Kafka does.
    pub fn check_member(&mut self, group: &str, generation: i32, member_id: &str, now: Instant) -> Result<()> {
        let Some(member) = self.members.get_mut(member_id) else {
            return Err(Error::UnknownMember { group: group.to_string(), member_id: member_id.to_string() });
        };
        member.last_seen = now;
        if matches!(self.phase, Phase::Joining { .. }) {
            return Err(rebalancing(group));
        }
        if generation != self.generation {
            return Err(Error::IllegalGeneration { group: group.to_string(), generation, current: self.generation });
        }
        Ok(())
    }

    /// Members leave at once; the others rebalance.
    pub fn leave(&mut self, group: &str, member_ids: &[String], now: Instant) -> Vec<Result<()>> {
        let results = member_ids
            .iter()
            .map(|id| match self.members.remove(id) {
                Some(member) => {
                    answer_join(member.join, Err(Error::UnknownMember { group: group.into(), member_id: id.clone() }));
                    Ok(())
                }
                None => Err(Error::UnknownMember { group: group.to_string(), member_id: id.clone() }),
            })
            .collect();
        self.after_removal(group, now);
        results
    }

    /// Removes members whose session ran out (members waiting in a join are alive) and
    /// completes a join whose deadline passed. Returns the removed ids.
    pub fn expire(&mut self, group: &str, now: Instant) -> Vec<String> {
        let expired: Vec<String> = self
            .members
            .iter()
            .filter(|(_, m)| m.join.is_none() && now.saturating_duration_since(m.last_seen) > m.session_timeout)
            .map(|(id, _)| id.clone())
            .collect();
        for id in &expired {
            self.members.remove(id);
        }
        if !expired.is_empty() {
            self.after_removal(group, now);
        }
        self.try_complete_join(now);
        expired
    }

    fn after_removal(&mut self, group: &str, now: Instant) {
        if self.members.is_empty() {
            (self.phase, self.protocol, self.leader) = (Phase::Empty, None, None);
        } else if !matches!(self.phase, Phase::Joining { .. }) {
            self.begin_rebalance(group, now);
        } else {
            self.try_complete_join(now);
        }
    }
}

impl Member {
    fn supports(&self, protocol: &str) -> bool {
        self.protocols.iter().any(|(name, _)| name == protocol)
    }

    fn metadata(&self, protocol: &str) -> Bytes {
        self.protocols.iter().find(|(name, _)| name == protocol).map(|(_, m)| m.clone()).unwrap_or_default()
    }
}

fn rebalancing(group: &str) -> Error {
    Error::RebalanceInProgress { group: group.to_string() }
}

fn answer_join(waiter: Option<JoinWaiter>, result: Result<Joined>) {
    if let Some(waiter) = waiter {
        let _ = waiter.send(result);
    }
}

fn answer_sync(waiter: Option<SyncWaiter>, result: Result<Bytes>) {
    if let Some(waiter) = waiter {
        let _ = waiter.send(result);
    }
}

#[cfg(test)]
#[path = "group_tests.rs"]
mod tests;
