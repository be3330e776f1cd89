//! Classic consumer groups: Kafka's JoinGroup / SyncGroup protocol, where the group's leader
//! (a client) computes the assignment and the coordinator hands it out. Kafka clients use it
//! with `group.id` and `subscribe()`. It lives beside strata's own server-assigned groups
//! (`groups`): one group id is one kind or the other while it has members, and both kinds
//! commit to the same offsets. Membership lives in memory: after a restart members rejoin.
mod group;

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::oneshot;
use tokio::time::Instant;

pub use group::{Assignment, JoinRequest, Joined};

use super::Broker;
use super::groups::GroupState;
use crate::error::{Error, Result};
use group::{ClassicGroup, Phase};

/// Longest a JoinGroup or SyncGroup waits (a member's rebalance timeout is capped to it).
const MAX_WAIT: Duration = Duration::from_secs(300);

#[derive(Debug, Default)]
pub struct ClassicGroups {
    groups: Mutex<HashMap<String, ClassicGroup>>,
    next_member: AtomicU64,
}

/// One classic group as `strata group describe` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassicView {
    pub state: GroupState,
    pub generation: i32,
    pub protocol_type: String,
    pub protocol: String,
    /// (member id, client id, client host, assignment).
    pub members: Vec<(String, String, String, Assignment)>,
}

impl ClassicGroups {
    fn with<T>(&self, f: impl FnOnce(&mut HashMap<String, ClassicGroup>) -> T) -> T {
        f(&mut self.groups.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// Drops members whose session ran out, completes joins whose deadline passed, and forgets
    /// groups left empty.
    pub fn expire_sessions(&self) {
        let now = Instant::now();
        self.with(|groups| {
            for (name, group) in groups.iter_mut() {
                for id in group.expire(name, now) {
                    tracing::info!(group = %name, member = %id, "classic group member's session expired");
                }
            }
            groups.retain(|_, g| !g.members.is_empty() || g.phase != Phase::Empty);
        });
    }

    pub fn has_members(&self, group: &str) -> bool {
        self.with(|groups| groups.get(group).is_some_and(|g| !g.members.is_empty()))
    }

    /// Every classic group with members: (name, state, members).
    pub fn listing(&self) -> Vec<(String, GroupState, usize)> {
        self.with(|groups| groups.iter().map(|(name, g)| (name.clone(), state(g.phase), g.members.len())).collect())
    }

    pub fn view(&self, group: &str) -> Option<ClassicView> {
        self.with(|groups| {
            let g = groups.get(group).filter(|g| !g.members.is_empty())?;
            let members = g
                .members
                .iter()
                .map(|(id, m)| (id.clone(), m.client_id.clone(), m.client_host.clone(), m.assignment.clone()))
                .collect();
            Some(ClassicView {
                state: state(g.phase),
                generation: g.generation,
                protocol_type: g.protocol_type().unwrap_or_default().to_string(),
                protocol: g.protocol.clone().unwrap_or_default(),
                members,
            })
        })
    }
}

fn state(phase: Phase) -> GroupState {
    match phase {
        Phase::Empty => GroupState::Empty,
        Phase::Joining { .. } | Phase::Syncing => GroupState::Reconciling,
        Phase::Stable => GroupState::Stable,
    }
}

impl Broker {
    /// A member (re)joins `group`; answers once the group's join completes.
    pub async fn join_classic(&self, group: &str, mut request: JoinRequest) -> Result<Joined> {
        self.ensure_open()?;
        self.ensure_coordinator()?;
        super::offsets::validate_group(group)?;
        request.session_timeout = self.session_timeout(request.session_timeout.as_millis() as u32)?;
        request.rebalance_timeout = request.rebalance_timeout.clamp(request.session_timeout.min(MAX_WAIT), MAX_WAIT);
        if self.groups.has_members(group) {
            let reason = "it is a strata group (partitions assigned by the broker) with members".to_string();
            return Err(Error::InconsistentGroupProtocol { group: group.to_string(), reason });
        }
        let wait = request.rebalance_timeout + Duration::from_secs(5);
        let new_id = format!("{}-{:x}", request.client_id, self.classic.next_member.fetch_add(1, Ordering::Relaxed));
        let (waiter, joined) = oneshot::channel();
        self.classic.with(|groups| {
            let g = groups.entry(group.to_string()).or_insert_with(ClassicGroup::new);
            g.join(group, request, new_id, waiter, Instant::now())
        })?;
        self.wait_for_group(group, joined, wait).await
    }

    /// A member's SyncGroup; the leader's carries everyone's assignment. Answers with this
    /// member's assignment once the leader's has arrived.
    pub async fn sync_classic(
        &self,
        group: &str,
        generation: i32,
        member_id: &str,
        assignments: Vec<(String, Assignment)>,
    ) -> Result<Bytes> {
        self.ensure_coordinator()?;
        let (waiter, synced) = oneshot::channel();
        self.classic.with(|groups| {
            let g = groups.get_mut(group).ok_or_else(|| unknown(group, member_id))?;
            g.sync(group, generation, member_id, assignments, waiter, Instant::now())
        })?;
        self.wait_for_group(group, synced, MAX_WAIT).await
    }

    async fn wait_for_group<T>(&self, group: &str, answer: oneshot::Receiver<Result<T>>, wait: Duration) -> Result<T> {
        tokio::select! {
            answered = answer => answered.unwrap_or_else(|_| Err(Error::RebalanceInProgress { group: group.to_string() })),
            _ = tokio::time::sleep(wait) => Err(Error::RebalanceInProgress { group: group.to_string() }),
            _ = self.shutdown.cancelled() => Err(Error::ShuttingDown),
        }
    }

    /// Keeps a member alive; tells it to rejoin while the group rebalances.
    pub fn heartbeat_classic(&self, group: &str, generation: i32, member_id: &str) -> Result<()> {
        self.ensure_coordinator()?;
        self.check_classic_member(group, generation, member_id)
    }

    /// A commit from a member of a classic group must come from the current generation.
    pub fn check_classic_member(&self, group: &str, generation: i32, member_id: &str) -> Result<()> {
        self.classic.with(|groups| {
            let g = groups.get_mut(group).ok_or_else(|| unknown(group, member_id))?;
            g.check_member(group, generation, member_id, Instant::now())
        })
    }

    /// Members leave at once (the others rebalance); one result per member.
    pub fn leave_classic(&self, group: &str, member_ids: &[String]) -> Result<Vec<Result<()>>> {
        self.ensure_coordinator()?;
        self.classic.with(|groups| match groups.get_mut(group) {
            Some(g) => Ok(g.leave(group, member_ids, Instant::now())),
            None => Ok(member_ids.iter().map(|id| Err(unknown(group, id))).collect()),
        })
    }

    /// The classic group's membership, if it has members.
    pub fn classic_group(&self, group: &str) -> Option<ClassicView> {
        self.classic.view(group)
    }
}

fn unknown(group: &str, member_id: &str) -> Error {
    Error::UnknownMember { group: group.to_string(), member_id: member_id.to_string() }
}

/// Partitions by topic, for an assignment's view.
pub fn partitions_by_topic(pairs: impl IntoIterator<Item = (String, u32)>) -> BTreeMap<String, Vec<u32>> {
    let mut out: BTreeMap<String, Vec<u32>> = BTreeMap::new();
    for (topic, partition) in pairs {
        out.entry(topic).or_default().push(partition);
    }
    out
}
