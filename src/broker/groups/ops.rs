//! The consumer-group RPCs as broker operations.
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use super::super::apply::Op;
use super::super::commit_loop::{Job, Reply};
use super::super::{Broker, storage_errors};
use super::group::{Group, GroupState, Member, unknown};
use crate::error::{Error, Result};

/// A member's view after JoinGroup / Heartbeat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    pub member_id: String,
    pub member_epoch: i32,
    pub heartbeat_interval: Duration,
    /// Topic → partitions the member may consume now.
    pub assignment: BTreeMap<String, Vec<u32>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupListing {
    pub group: String,
    pub state: GroupState,
    pub members: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberDescription {
    pub member_id: String,
    pub client_id: String,
    pub member_epoch: i32,
    /// What the member holds now.
    pub assignment: BTreeMap<String, Vec<u32>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupOffsetLag {
    pub topic: String,
    pub partition: u32,
    pub committed_offset: i64,
    pub high_watermark: i64,
    /// High watermark minus committed offset.
    pub lag: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupDescription {
    pub group: String,
    pub state: GroupState,
    pub group_epoch: i32,
    pub members: Vec<MemberDescription>,
    pub offsets: Vec<GroupOffsetLag>,
}

fn by_topic(partitions: &BTreeSet<(String, u32)>) -> BTreeMap<String, Vec<u32>> {
    let mut out: BTreeMap<String, Vec<u32>> = BTreeMap::new();
    for (topic, p) in partitions {
        out.entry(topic.clone()).or_default().push(*p);
    }
    out
}

/// How often a member should heartbeat: a third of its session, at most 1 s (a heartbeat is an
/// in-memory check, and the broker can only hand out changes when asked); while partitions are
/// moving, every 100 ms so hand-offs finish in a few round trips instead of a few intervals.
fn heartbeat_interval(group: &Group, session: Duration) -> Duration {
    let steady = (session / 3).min(Duration::from_secs(1));
    if group.state() == GroupState::Reconciling { steady.min(Duration::from_millis(100)) } else { steady }
}

impl Broker {
    /// Partition counts of `topics` that exist now.
    fn topology(&self, topics: &BTreeSet<String>) -> BTreeMap<String, u32> {
        topics.iter().filter_map(|t| self.topic(t).ok().map(|topic| (t.clone(), topic.meta.partitions))).collect()
    }

    /// Adds a member subscribed to `topics`; returns its id, epoch and first assignment.
    pub fn join_group(
        &self,
        group: &str,
        topics: Vec<String>,
        session_timeout_ms: u32,
        client_id: &str,
    ) -> Result<Membership> {
        self.join_group_as(group, None, topics, session_timeout_ms, client_id)
    }

    /// [`Broker::join_group`] under a member id the client chose (KIP-848 clients do); a member
    /// already known by that id (a restarted client) is replaced.
    pub fn join_group_as(
        &self,
        group: &str,
        member_id: Option<&str>,
        topics: Vec<String>,
        session_timeout_ms: u32,
        client_id: &str,
    ) -> Result<Membership> {
        self.ensure_open()?;
        self.ensure_coordinator()?;
        super::super::offsets::validate_group(group)?;
        if topics.is_empty() {
            return Err(Error::invalid("topics", "subscribe to at least one topic"));
        }
        let topics: BTreeSet<String> = topics.into_iter().collect();
        for topic in &topics {
            self.topic(topic)?;
        }
        let session = self.session_timeout(session_timeout_ms)?;
        if self.classic.has_members(group) {
            let reason = "it is a Kafka consumer group (JoinGroup/SyncGroup) with members".to_string();
            return Err(Error::InconsistentGroupProtocol { group: group.to_string(), reason });
        }
        if let Some(id) = member_id.filter(|id| id.is_empty() || id.len() > 255) {
            return Err(Error::invalid("member_id", format!("{} bytes; use 1-255", id.len())));
        }
        let member_id = member_id.map_or_else(|| self.groups.new_member_id(), str::to_string);
        let member = Member::new(member_id.clone(), client_id.to_string(), topics, session);
        self.groups.with_groups(|groups| {
            let g = groups.entry(group.to_string()).or_insert_with(|| Group::new(group));
            if g.members.contains_key(&member_id) {
                g.leave(&member_id)?;
            }
            let topology = self.topology(&g.subscriptions().into_iter().chain(member.topics.iter().cloned()).collect());
            let granted = g.join(member, topology);
            tracing::info!(group, member = %member_id, epoch = g.epoch, "member joined");
            Ok(Membership {
                member_epoch: g.members[&member_id].epoch,
                member_id,
                heartbeat_interval: heartbeat_interval(g, session),
                assignment: by_topic(&granted),
            })
        })
    }

    pub(in crate::broker) fn session_timeout(&self, requested_ms: u32) -> Result<Duration> {
        let limits = self.config.groups;
        if requested_ms == 0 {
            return Ok(limits.default_session_timeout);
        }
        let requested = Duration::from_millis(u64::from(requested_ms));
        if requested < limits.min_session_timeout || requested > limits.max_session_timeout {
            let reason = format!(
                "{requested_ms} ms is outside the broker's bounds {}..={} ms (--group-min-session-timeout, --group-max-session-timeout)",
                limits.min_session_timeout.as_millis(),
                limits.max_session_timeout.as_millis()
            );
            return Err(Error::invalid("session_timeout_ms", reason));
        }
        Ok(requested)
    }

    /// Keeps a member alive; `owned` is what it still holds. Returns its current assignment.
    pub fn heartbeat(
        &self,
        group: &str,
        member_id: &str,
        epoch: i32,
        owned: &BTreeSet<(String, u32)>,
    ) -> Result<Membership> {
        self.ensure_coordinator()?;
        self.groups.with_groups(|groups| {
            let g = groups.get_mut(group).ok_or_else(|| unknown(group, member_id))?;
            let topology = self.topology(&g.subscriptions());
            let (member_epoch, granted) = g.heartbeat(member_id, epoch, owned, topology)?;
            Ok(Membership {
                member_id: member_id.to_string(),
                member_epoch,
                heartbeat_interval: heartbeat_interval(g, g.members[member_id].session_timeout),
                assignment: by_topic(&granted),
            })
        })
    }

    /// What a member holds now, as it last reported (None: no such member).
    pub fn owned_by(&self, group: &str, member_id: &str) -> Option<BTreeSet<(String, u32)>> {
        self.groups.with_groups(|groups| groups.get(group)?.members.get(member_id).map(|m| m.owned.clone()))
    }

    /// Removes a member at once (its partitions move without waiting for its session).
    pub fn leave_group(&self, group: &str, member_id: &str) -> Result<()> {
        self.ensure_coordinator()?;
        self.groups.with_groups(|groups| {
            let g = groups.get_mut(group).ok_or_else(|| unknown(group, member_id))?;
            g.leave(member_id)?;
            tracing::info!(group, member = member_id, "member left");
            Ok(())
        })
    }

    /// Checks a member's commit (see [`Group::check_commit`]).
    pub(in crate::broker) fn check_member_commit(
        &self,
        group: &str,
        member_id: &str,
        epoch: i32,
        topic: &str,
        partitions: &[u32],
    ) -> Result<()> {
        self.groups.with_groups(|groups| match groups.get(group) {
            Some(g) => g.check_commit(member_id, epoch, topic, partitions),
            None => Err(unknown(group, member_id)),
        })
    }

    /// Groups with members or committed offsets.
    pub async fn list_groups(&self) -> Result<Vec<GroupListing>> {
        let stored = self.blocking(|store| store.groups_with_offsets()).await.map_err(storage_errors::internal)?;
        let mut listings: BTreeMap<String, GroupListing> = stored
            .into_iter()
            .map(|group| (group.clone(), GroupListing { group, state: GroupState::Empty, members: 0 }))
            .collect();
        self.groups.with_groups(|groups| {
            for g in groups.values() {
                listings.insert(
                    g.name.clone(),
                    GroupListing { group: g.name.clone(), state: g.state(), members: g.members.len() },
                );
            }
        });
        for (group, state, members) in self.classic.listing() {
            listings.insert(group.clone(), GroupListing { group, state, members });
        }
        Ok(listings.into_values().collect())
    }

    /// Members, assignments, committed offsets and lag.
    pub async fn describe_group(&self, group: &str) -> Result<GroupDescription> {
        self.ensure_coordinator()?;
        let name = group.to_string();
        let stored = self.blocking(move |store| store.group_offsets(&name)).await.map_err(storage_errors::internal)?;
        let described = self.groups.with_groups(|groups| {
            groups.get(group).map(|g| {
                let members = g
                    .members
                    .values()
                    .map(|m| MemberDescription {
                        member_id: m.id.clone(),
                        client_id: m.client_id.clone(),
                        member_epoch: m.epoch,
                        assignment: by_topic(&m.owned),
                    })
                    .collect();
                (g.state(), g.epoch, members)
            })
        });
        let described = described.or_else(|| self.classic_description(group));
        let (state, group_epoch, members) = match described {
            Some(d) => d,
            None if stored.is_empty() => return Err(Error::GroupNotFound(group.to_string())),
            None => (GroupState::Empty, 0, Vec::new()),
        };
        let offsets = stored
            .into_iter()
            .filter_map(|o| {
                let (topic, state) = self.partition(&o.topic, o.partition).ok()?;
                let committed_offset = o.value.offset;
                // -1: unknown, on a coordinator without a copy of the partition.
                let (high_watermark, lag) = if self.keeps_copy(topic.meta.id, o.partition) {
                    (state.high_watermark(), (state.high_watermark() - committed_offset).max(0))
                } else {
                    (-1, -1)
                };
                Some(GroupOffsetLag { topic: o.topic, partition: o.partition, committed_offset, high_watermark, lag })
            })
            .collect();
        Ok(GroupDescription { group: group.to_string(), state, group_epoch, members, offsets })
    }

    /// A classic group's state, generation and members, as a description's.
    fn classic_description(&self, group: &str) -> Option<(GroupState, i32, Vec<MemberDescription>)> {
        let view = self.classic_group(group)?;
        let members = view
            .members
            .into_iter()
            .map(|(member_id, client_id, _, assignment)| MemberDescription {
                member_id,
                client_id,
                member_epoch: view.generation,
                assignment: assignment.partitions,
            })
            .collect();
        Some((view.state, view.generation, members))
    }

    /// Deletes an empty group and its committed offsets.
    pub async fn delete_group(&self, group: &str) -> Result<()> {
        self.ensure_open()?;
        self.ensure_coordinator()?;
        let members = self.groups.with_groups(|groups| groups.get(group).map_or(0, |g| g.members.len()))
            + self.classic.view(group).map_or(0, |v| v.members.len());
        if members > 0 {
            return Err(Error::GroupNotEmpty { group: group.to_string(), members });
        }
        let (reply, done) = tokio::sync::oneshot::channel();
        let op = Op::DeleteGroupOffsets { group: group.to_string(), only: None };
        self.jobs.send(Job::new(op, true, Reply::Deleted(reply))).await.map_err(|_| Error::ShuttingDown)?;
        let deleted = done.await.map_err(|_| Error::ShuttingDown)??;
        // A member may have joined while the offsets were deleted: keep the group then.
        let known = self.groups.with_groups(|groups| match groups.get(group) {
            Some(g) if g.members.is_empty() => groups.remove(group).is_some(),
            Some(_) => true,
            None => false,
        });
        if deleted == 0 && !known {
            return Err(Error::GroupNotFound(group.to_string()));
        }
        tracing::info!(group, offsets = deleted, "group deleted");
        Ok(())
    }
}
