//! Changing which brokers carry a shard: adding one that joined (`--join`) or is given a copy
//! (`Copy`), and taking one out (`Demote`, `Remove`; the whole removal is `removal.rs`). The
//! shard's leader makes the change, through Raft's joint consensus (openraft's
//! `change_membership`); a member that does not lead passes the call on to the leader, once. A
//! broker is added as a learner first and becomes a voter only once it has caught up, so a slow
//! newcomer never costs the shard its majority; a voter leaves as a learner first, so it hears
//! it left.
use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use openraft::ChangeMembers;
use openraft::async_runtime::WatchReceiver;
use openraft::errors::{ChangeMembershipError, ClientWriteError, RaftError};
use openraft::metrics::WaitError;
use tonic::Code;

use super::codec;
use super::directory;
use super::hand_over::hand_over;
use super::node::connect;
use super::types::{BrokerNode, ClusterId, Raft, TypeConfig, last_answered};
use super::watch::RAFT_MEMBERSHIP_CHANGES;
use crate::broker::shards::META_SHARD;
use crate::error::{Error, Result};
use crate::proto::peer as pb;

/// How long a passed-on change may take: adding a broker waits for it to catch up (a copy of a
/// large shard sent and installed included).
const AT_LEADER_TIMEOUT: Duration = Duration::from_secs(1800);
/// How long a leader waits for a broker leaving a shard to hold the change.
const TOLD_WITHIN: Duration = Duration::from_secs(3);
/// A broker being given a copy that has not answered the leader for this long has stopped
/// (killed, frozen, cut off). The leader takes it out of the shard again rather than wait for
/// good: a learner holds the shard's log trims back (they wait for every member, learners
/// included), and the removal or the copies balancer waiting on it would wait forever too.
/// Far above any pause of a live broker; and a learner silent to heartbeats (installing a
/// large copy) is asked directly too (`Silence`). Only a copy is given up on: a joiner that
/// stops stays a learner until it is removed, as one that never finishes its join does.
const LEARNER_SILENT_FOR: Duration = Duration::from_secs(30);
/// How often the wait for a learner looks at whether it still answers.
const LEARNER_CHECK_EVERY: Duration = Duration::from_secs(1);
/// How often a learner silent to heartbeats is asked directly, and how many asks in a row it
/// must leave unanswered (one lost connection attempt is not a stopped broker).
const LEARNER_ASKED_EVERY: Duration = Duration::from_secs(5);
const LEARNER_UNANSWERED_ASKS: u32 = 3;

#[derive(Debug, Clone)]
pub enum MemberChange {
    /// Replicate to the broker, without counting it: the leader then keeps every log entry it
    /// lacks (trims wait for every member, learners included).
    Learn {
        id: u64,
        node: BrokerNode,
    },
    /// Make the broker a voter, once it caught up.
    Add {
        id: u64,
        node: BrokerNode,
    },
    /// Give a broker of the cluster a copy of a data shard it does not carry: a learner until
    /// caught up (from a copy of the shard's rows when the leader's log no longer holds what it
    /// lacks), then a voter.
    Copy {
        id: u64,
        node: BrokerNode,
    },
    /// Make a voter a learner (a broker being removed: its address stays known meanwhile).
    Demote {
        id: u64,
    },
    Remove {
        id: u64,
    },
}

impl MemberChange {
    pub fn request(&self, group: u64, forwarded: bool) -> pb::ChangeMembersRequest {
        let (node_id, add, learner, copy) = match self {
            MemberChange::Learn { id, node } => (*id, Some(codec::node(node)), true, false),
            MemberChange::Add { id, node } => (*id, Some(codec::node(node)), false, false),
            MemberChange::Copy { id, node } => (*id, Some(codec::node(node)), false, true),
            MemberChange::Demote { id } | MemberChange::Remove { id } => (*id, None, false, false),
        };
        let demote = matches!(self, MemberChange::Demote { .. });
        pb::ChangeMembersRequest { group, node_id, add, forwarded, learner, copy, demote }
    }

    pub fn from_request(request: pb::ChangeMembersRequest) -> Self {
        let id = request.node_id;
        match request.add.map(codec::from_node) {
            Some(node) if request.learner => MemberChange::Learn { id, node },
            Some(node) if request.copy => MemberChange::Copy { id, node },
            Some(node) => MemberChange::Add { id, node },
            None if request.demote => MemberChange::Demote { id },
            None => MemberChange::Remove { id },
        }
    }
}

/// Why this broker did not make a change itself.
enum NotHere {
    /// Another broker leads the group (the one named, if known).
    Leader(Option<BrokerNode>),
    Refused(Error),
}

/// Makes `change` in `raft`'s group (shard `group`): here if this broker leads it, else, when
/// `may_forward`, at the leader. Done when the change is committed; already made is done too.
pub async fn change_members(
    raft: &Raft,
    group: u64,
    cluster_id: &ClusterId,
    change: &MemberChange,
    may_forward: bool,
) -> Result<()> {
    match change_here(raft, group, cluster_id, change).await {
        Ok(()) => Ok(()),
        Err(NotHere::Refused(e)) => Err(e),
        Err(NotHere::Leader(Some(leader))) if may_forward => {
            at_peer(&leader.peer_addr, cluster_id, change.request(group, true)).await
        }
        Err(NotHere::Leader(_)) => Err(Error::NotLeader { leader_id: None, leader_addr: None }),
    }
}

/// Asks the member at `peer_addr` to make a change (it passes it on to the shard's leader
/// unless the request says it was passed on already).
pub async fn at_peer(peer_addr: &str, cluster_id: &ClusterId, request: pb::ChangeMembersRequest) -> Result<()> {
    let mut client = connect(peer_addr).await.map_err(|status| from_status(peer_addr, status))?;
    client
        .change_members(cluster_id.request(request, AT_LEADER_TIMEOUT))
        .await
        .map(|_| ())
        .map_err(|status| from_status(peer_addr, status))
}

async fn change_here(raft: &Raft, group: u64, cluster_id: &ClusterId, change: &MemberChange) -> Result<(), NotHere> {
    let metrics = raft.metrics().borrow_watched().clone();
    if metrics.current_leader != Some(metrics.id) {
        let leader =
            metrics.current_leader.and_then(|id| metrics.membership_config.membership().get_node(&id).cloned());
        return Err(NotHere::Leader(leader));
    }
    let membership = metrics.membership_config.membership();
    let voters: BTreeSet<u64> = membership.voter_ids().collect();
    match change {
        // A voter's id on a broker with a copy of another's log and no vote could help elect a
        // leader that lacks what the old broker acknowledged.
        MemberChange::Learn { id, .. } if voters.contains(id) => {
            Err(NotHere::Refused(Error::MembershipChange(format!(
                "node {id} is a voter of shard {group}: remove broker {id} first, or give the new broker its own --node-id"
            ))))
        }
        // A joiner trying again (its copy was cut short) at other addresses: the learner is
        // that same broker, reached there from now on.
        MemberChange::Learn { id, node } if membership.get_node(id).is_some_and(|known| known != node) => {
            let moved = ChangeMembers::SetNodes(BTreeMap::from([(*id, node.clone())]));
            raft.change_membership(moved, false).await.map_err(refusal)?;
            changed(group, *id, "learner");
            Ok(())
        }
        MemberChange::Learn { id, .. } if membership.get_node(id).is_some() => Ok(()),
        MemberChange::Learn { id, node } => {
            raft.add_learner(*id, node.clone(), false).await.map_err(refusal)?;
            changed(group, *id, "learner");
            Ok(())
        }
        MemberChange::Copy { .. } if group == META_SHARD => Err(NotHere::Refused(Error::MembershipChange(
            "the metadata shard is on every broker: only a data shard is copied to a broker".into(),
        ))),
        MemberChange::Add { id, .. } | MemberChange::Copy { id, .. } if voters.contains(id) => Ok(()),
        // Only a broker that is joining (made a learner before its copy) becomes a voter: one
        // removed meanwhile must not add itself back with a copy the logs were trimmed past.
        MemberChange::Add { id, .. } if membership.get_node(id).is_none() => {
            Err(NotHere::Refused(Error::MembershipChange(format!(
                "broker {id} is not joining shard {group} (it was removed): start it again with an empty data dir and \
                 --join"
            ))))
        }
        MemberChange::Add { id, node } | MemberChange::Copy { id, node } => {
            // A voter once the learner holds the change that added it (openraft sends a broker
            // given a copy the shard's rows first if the log was trimmed past what it has).
            let added = raft.add_learner(*id, node.clone(), false).await.map_err(refusal)?;
            let silence = matches!(change, MemberChange::Copy { .. }).then(|| Silence::new(cluster_id, node));
            caught_up(raft, group, *id, added.log_id.index, silence).await?;
            let voter = ChangeMembers::AddVoterIds(BTreeSet::from([*id]));
            raft.change_membership(voter, false).await.map_err(refusal)?;
            changed(group, *id, "voter");
            Ok(())
        }
        MemberChange::Demote { id } | MemberChange::Remove { id } if voters.contains(id) && voters.len() == 1 => {
            Err(NotHere::Refused(Error::MembershipChange(format!(
                "broker {id} is the last member of shard {group}: a cluster keeps at least one broker"
            ))))
        }
        MemberChange::Demote { id } | MemberChange::Remove { id } if *id == metrics.id && voters.contains(id) => {
            // A leader that removed itself would leave the shard leaderless until an election
            // timeout: it hands leadership over first, and the new leader makes the change.
            let wait = Duration::from_millis(4 * raft.config().election_timeout_max);
            hand_over(raft, group, *id, wait, "removed").await;
            let now = raft.metrics().borrow_watched().current_leader.filter(|leader| leader != id);
            Err(NotHere::Leader(now.and_then(|leader| membership.get_node(&leader).cloned())))
        }
        MemberChange::Demote { id } if !voters.contains(id) => Ok(()),
        MemberChange::Demote { id } => {
            demote(raft, *id).await?;
            changed(group, *id, "demoted");
            Ok(())
        }
        MemberChange::Remove { id } => {
            if membership.get_node(id).is_none() {
                return Ok(());
            }
            if voters.contains(id) {
                // Kept a learner until it holds the change: openraft stops sending a group's
                // entries to a broker once a change without it is appended, so a voter dropped
                // at once would never hear it left, and would call elections for good.
                let demoted_at = demote(raft, *id).await?;
                told(raft, *id, demoted_at).await;
            }
            raft.change_membership(ChangeMembers::RemoveNodes(BTreeSet::from([*id])), false).await.map_err(refusal)?;
            changed(group, *id, "removed");
            Ok(())
        }
    }
}

/// Makes voter `id` a learner (kept, and replicated to); returns the index of the change.
async fn demote(raft: &Raft, id: u64) -> Result<u64, NotHere> {
    let voter = ChangeMembers::RemoveVoters(BTreeSet::from([id]));
    Ok(raft.change_membership(voter, true).await.map_err(refusal)?.log_id.index)
}

/// Waits, for a while, until broker `id` holds the group's entry at `index`. A dead one is
/// dropped without hearing it left (a removed broker that returns must join again anyway).
async fn told(raft: &Raft, id: u64, index: u64) {
    let holds = |m: &openraft::RaftMetrics<TypeConfig>| matched(m, id).is_some_and(|matched| matched >= index);
    let waited = raft.wait(Some(TOLD_WITHIN)).metrics(holds, "the leaving broker holds the change").await;
    if waited.is_err() {
        tracing::info!(broker = id, "a broker leaving a shard did not answer; it is dropped without hearing so");
    }
}

/// Waits until learner `id` holds the group's entry at `index`. Ends sooner if it leaves the
/// group meanwhile (removed while it was being added: refused), this broker stops leading, or,
/// watched for `silence`, the learner stops answering (taken out again: refused).
async fn caught_up(
    raft: &Raft,
    group: u64,
    id: u64,
    index: u64,
    mut silence: Option<Silence<'_>>,
) -> Result<(), NotHere> {
    let left = |m: &openraft::RaftMetrics<TypeConfig>| m.membership_config.membership().get_node(&id).is_none();
    let done = |m: &openraft::RaftMetrics<TypeConfig>| {
        m.current_leader != Some(m.id) || left(m) || matched(m, id).is_some_and(|matched| matched >= index)
    };
    let metrics = loop {
        let waiter = raft.wait(Some(LEARNER_CHECK_EVERY));
        match waiter.metrics(done, "the learner holds the change that added it").await {
            Ok(metrics) => break metrics,
            Err(WaitError::Timeout(..)) => {
                let Some(silence) = silence.as_mut() else { continue };
                if let Some(silent) = silence.stopped(raft, id).await {
                    return Err(take_out_silent_learner(raft, group, id, silent).await);
                }
            }
            Err(WaitError::ShuttingDown) => return Err(NotHere::Refused(Error::ShuttingDown)),
        }
    };
    if metrics.current_leader != Some(metrics.id) {
        let membership = metrics.membership_config.membership();
        return Err(NotHere::Leader(metrics.current_leader.and_then(|l| membership.get_node(&l).cloned())));
    }
    if left(&metrics) {
        let why = format!("broker {id} left shard {group} while it was being added");
        return Err(NotHere::Refused(Error::MembershipChange(why)));
    }
    Ok(())
}

/// Whether a learner being given a copy has stopped: silent to the leader's heartbeats for
/// `LEARNER_SILENT_FOR`, and not answering when asked directly, several times in a row. It
/// tells a stopped process, not a shard stopped in a live one. Heartbeats alone are not
/// enough: a learner installing a large copy answers none until the install is done, though
/// its peer service answers.
struct Silence<'a> {
    cluster_id: &'a ClusterId,
    peer_addr: String,
    waiting_since: Instant,
    asked_at: Option<Instant>,
    /// Asks in a row it left unanswered.
    unanswered: u32,
}

impl<'a> Silence<'a> {
    fn new(cluster_id: &'a ClusterId, node: &BrokerNode) -> Self {
        let peer_addr = node.peer_addr.clone();
        Silence { cluster_id, peer_addr, waiting_since: Instant::now(), asked_at: None, unanswered: 0 }
    }

    /// How long learner `id` has been silent, if it has stopped.
    async fn stopped(&mut self, raft: &Raft, id: u64) -> Option<Duration> {
        let silent = silent_for(&raft.metrics().borrow_watched(), id, self.waiting_since.elapsed());
        let asked_lately = self.asked_at.is_some_and(|at| at.elapsed() < LEARNER_ASKED_EVERY);
        if silent < LEARNER_SILENT_FOR || asked_lately {
            return None;
        }
        self.asked_at = Some(Instant::now());
        let answers = directory::answers(&self.peer_addr, self.cluster_id).await;
        self.unanswered = if answers { 0 } else { self.unanswered + 1 };
        (self.unanswered >= LEARNER_UNANSWERED_ASKS).then_some(silent)
    }
}

/// How long broker `id` has not answered the leader's `m`: since its last answered heartbeat,
/// or for as long as it has been waited for (`waited`) if it never answered this leader.
fn silent_for(m: &openraft::RaftMetrics<TypeConfig>, id: u64, waited: Duration) -> Duration {
    last_answered(m, id).map_or(waited, |since| since.min(waited))
}

/// Takes learner `id`, silent for `silent`, out of the group; the refusal to answer with.
async fn take_out_silent_learner(raft: &Raft, group: u64, id: u64, silent: Duration) -> NotHere {
    tracing::warn!(shard = group, broker = id, ?silent, "a broker being given a copy stopped answering");
    if let Err(e) = raft.change_membership(ChangeMembers::RemoveNodes(BTreeSet::from([id])), false).await {
        return refusal(e);
    }
    changed(group, id, "removed");
    NotHere::Refused(Error::MembershipChange(format!(
        "broker {id} stopped answering while it was being given a copy of shard {group} (silent for {} s), so it \
         was taken out of the shard again: start it again and retry; a removal then picks a live broker for the copy",
        silent.as_secs()
    )))
}

/// The index of the last entry broker `id` holds, as the leader's `m` knows it.
fn matched(m: &openraft::RaftMetrics<TypeConfig>, id: u64) -> Option<u64> {
    m.replication.as_ref().and_then(|r| r.get(&id).cloned().flatten()).map(|log_id| log_id.index)
}

fn changed(shard: u64, broker: u64, change: &'static str) {
    tracing::info!(shard, broker, change, "shard membership changed");
    metrics::counter!(RAFT_MEMBERSHIP_CHANGES, "shard" => shard.to_string(), "change" => change).increment(1);
}

fn refusal(e: RaftError<TypeConfig, ClientWriteError<TypeConfig>>) -> NotHere {
    match e {
        RaftError::APIError(ClientWriteError::ForwardToLeader(to) | ClientWriteError::LogEntryDiscarded(to)) => {
            NotHere::Leader(to.leader_node)
        }
        // Another change under way, or a new leader that has not committed in its term: retriable.
        RaftError::APIError(ClientWriteError::ChangeMembershipError(
            e @ (ChangeMembershipError::InProgress(_) | ChangeMembershipError::UncommittedLeaderLog(_)),
        )) => NotHere::Refused(Error::MembershipChanging(e.to_string())),
        RaftError::APIError(ClientWriteError::ChangeMembershipError(e)) => {
            NotHere::Refused(Error::MembershipChange(e.to_string()))
        }
        // Not asked for: no preconditions are given.
        RaftError::APIError(ClientWriteError::PreconditionFailed(e)) => {
            NotHere::Refused(Error::MembershipChange(e.to_string()))
        }
        RaftError::Fatal(_) => NotHere::Refused(Error::ShuttingDown),
    }
}

/// A passed-on change's answer, as the error it was made from (the peer front end maps errors
/// to statuses with `Status::from`).
fn from_status(peer_addr: &str, status: tonic::Status) -> Error {
    match status.code() {
        Code::Unavailable => Error::NotLeader { leader_id: None, leader_addr: None },
        Code::FailedPrecondition => {
            let message = status.message();
            Error::MembershipChange(message.strip_prefix("MEMBERSHIP_CHANGE_REFUSED: ").unwrap_or(message).to_string())
        }
        _ => {
            tracing::warn!(peer_addr, %status, "a member change passed on to the shard's leader failed");
            Error::MembershipChange(format!(
                "the shard's leader at {peer_addr} could not make it: {}",
                status.message()
            ))
        }
    }
}
