//! A broker that left a data shard (a copy moved off it to balance the brokers, or it was taken
//! out of the cluster) drops the shard's rows when it next starts.
//!
//! While it runs, its Raft node of the shard goes on as a non-member with its log and applied
//! state untouched: openraft's view of them lives in memory, and a copy moved back before the
//! restart resumes from that log. What it can do is notice it left: openraft sends nothing more
//! to a node once a membership without it is appended, so the last membership a moved-off broker
//! holds still names it (a copy leaving is made a learner before it is dropped). It learns it
//! left from the shard's leader instead, through the directory, and notes it.
//!
//! At start nothing runs yet. A noted shard is forgotten as an interrupted install is
//! (`Store::forget_interrupted_install`): it opens empty, and its leader sends a copy if this
//! broker is added to it again. Only if this broker is no voter of it by its own durable state:
//! neither in the incoming config of the last membership it applied nor in any membership in
//! its log past that one (a membership only in its log may still be truncated by a new leader,
//! with this broker a voter all along). A learner's log holds nothing a majority counted on, so forgetting it is safe
//! whatever the note says; a wrong note (a stale leader's word) costs at most a copy sent again.
use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::sync::Arc;
use std::time::{Duration, Instant};

use openraft::async_runtime::WatchReceiver;

use super::directory::ShardDirectory;
use super::log_store::memberships_held;
use super::types::{Raft, formed, is_voter_in};
use super::watch::RAFT_LEFT_SHARDS;
use crate::broker::shards::META_SHARD;
use crate::storage::Store;

/// How often a broker looks at the shards it is no voter of.
const EVERY: Duration = Duration::from_secs(1);

/// Runs until the metadata group stops: notes each data shard whose leader says this broker is
/// neither a voter nor a learner of it, though its own Raft node still has the shard's state
/// (counted in `strata_raft_left_shards`: a restart would free their disk). The leader's word
/// must have been told after this broker first saw itself out of the shard: a broker being
/// given a copy receives its first entries before its directory hears from the leader that it
/// is a learner, and what the directory holds may be older still.
pub async fn note(store: Arc<Store>, directory: Arc<ShardDirectory>, rafts: Vec<Raft>, me: u64) {
    let mut ticks = tokio::time::interval(EVERY);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let (mut out_since, mut noted) = (BTreeMap::new(), BTreeSet::new());
    loop {
        metrics::gauge!(RAFT_LEFT_SHARDS).set(noted.len() as f64);
        ticks.tick().await;
        if rafts[META_SHARD as usize].metrics().borrow_watched().running_state.is_err() {
            return;
        }
        for (shard, raft) in rafts.iter().enumerate().skip(1) {
            let shard = shard as u64;
            match membership(raft, &directory, shard, me) {
                Membership::Unknown => {
                    out_since.remove(&shard);
                }
                Membership::Member => {
                    out_since.remove(&shard);
                    if noted.contains(&shard) && write_note(&store, shard, false).await {
                        noted.remove(&shard);
                    }
                }
                Membership::Left(told) => {
                    let since = *out_since.entry(shard).or_insert_with(Instant::now);
                    if told <= since || noted.contains(&shard) {
                        continue;
                    }
                    if write_note(&store, shard, true).await {
                        tracing::info!(shard, "this broker left the shard: its rows are dropped at its next start");
                        noted.insert(shard);
                    }
                }
            }
        }
    }
}

/// This broker's place in a data shard, as far as it can tell while it runs.
enum Membership {
    /// A voter by its own Raft node, or a voter or learner by the leader's word.
    Member,
    /// It has the shard's state (its Raft node formed) without being a voter, and the leader's
    /// word, told at the instant held, names it neither voter nor learner.
    Left(Instant),
    /// It has no state of the shard, or the leader's word is not known (say, mid-election).
    Unknown,
}

fn membership(raft: &Raft, directory: &ShardDirectory, shard: u64, me: u64) -> Membership {
    let metrics = raft.metrics().borrow_watched().clone();
    if is_voter_in(&metrics, me) {
        return Membership::Member;
    }
    // The leader's word: it alone lists the in-sync replicas.
    let told = directory.status_told(shard).filter(|(s, _)| s.leader.is_some() && !s.in_sync.is_empty());
    let Some((status, told)) = told else { return Membership::Unknown };
    if status.members.contains(&me) || status.learners.contains(&me) {
        Membership::Member
    } else if formed(&metrics) {
        Membership::Left(told)
    } else {
        Membership::Unknown
    }
}

/// Writes (`left`) or drops the note, durably, off the async workers; whether it was done.
async fn write_note(store: &Arc<Store>, shard: u64, left: bool) -> bool {
    let store = store.clone();
    let write = move || if left { store.note_left_shard(shard) } else { store.unnote_left_shard(shard) };
    let written = tokio::task::spawn_blocking(write).await;
    let written = written.map_err(|e| e.to_string()).and_then(|w| w.map_err(|e| e.to_string()));
    if let Err(e) = &written {
        tracing::warn!(shard, error = %e, "noting whether this broker left a shard");
    }
    written.is_ok()
}

/// At start, before `group`'s Raft node opens: whether to forget the shard, because this broker
/// (`me`) noted it left it and is no voter of it by its own durable state. A note on a shard it
/// is a voter of again is dropped.
pub fn forget_at_open(store: &Store, group: u64, me: u64) -> io::Result<bool> {
    if group == META_SHARD || !store.left_shard_noted(group).map_err(io::Error::other)? {
        return Ok(false);
    }
    if votes_by_own_state(store, group, me)? {
        store.unnote_left_shard(group).map_err(io::Error::other)?;
        return Ok(false);
    }
    Ok(true)
}

/// Whether `me` is a voter of `group` by its own durable state: in the incoming config of the
/// membership it applied, or in any config of a membership in its log past that one.
///
/// Of an applied joint membership only the incoming config counts. A broker that is moved off
/// hears, with its demotion, that the joint config committed, but the leader drops it as soon
/// as it holds the demotion, so the last membership it applies is often that joint one, which
/// still has it in the outgoing config. Once the joint config is committed no later quorum
/// needs the outgoing config: every entry committed since is also on a majority of the
/// incoming one, and the config after it is the incoming one alone.
fn votes_by_own_state(store: &Store, group: u64, me: u64) -> io::Result<bool> {
    let (applied, logged) = memberships_held(store, group)?;
    let incoming = applied.get_joint_config().last().is_some_and(|voters| voters.contains(&me));
    Ok(incoming || logged.iter().any(|m| m.voter_ids().any(|id| id == me)))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use openraft::EntryPayload;
    use prost::Message;

    use super::*;
    use crate::cluster::codec;
    use crate::cluster::state_machine::encode_state;
    use crate::cluster::types::{BrokerNode, Entry, LogId, Membership, StoredMembership};
    use crate::proto::peer as pb;
    use crate::storage::StoreOptions;

    const ME: u64 = 4;
    const SHARD: u64 = 2;

    fn log_id(index: u64) -> LogId {
        codec::from_log_id(pb::LogId { term: 1, leader_node: 1, index })
    }

    fn membership(voters: &[u64], learners: &[u64]) -> Membership {
        let all = voters.iter().chain(learners).map(|&id| (id, BrokerNode::default()));
        Membership::new(
            vec![voters.iter().copied().collect::<BTreeSet<_>>()],
            all.collect::<std::collections::BTreeMap<_, _>>(),
        )
        .expect("valid")
    }

    /// A store whose shard applied entry 10, with `applied` its membership, and noted it left.
    fn store_applied(dir: &std::path::Path, applied: Membership) -> Arc<Store> {
        let store = Store::open(dir, &StoreOptions::default()).expect("open");
        store.ensure_raft_log().expect("raft log");
        let state = encode_state(Some(&log_id(10)), &StoredMembership::new(Some(log_id(5)), applied));
        store.raft_put_mark(SHARD, "applied", &state, true).expect("applied");
        store.note_left_shard(SHARD).expect("noted");
        store
    }

    #[test]
    fn a_noted_shard_this_broker_is_only_a_learner_of_is_forgotten() {
        let dir = tempfile::tempdir().expect("dir");
        let store = store_applied(dir.path(), membership(&[1, 2, 3], &[ME]));
        assert!(forget_at_open(&store, SHARD, ME).expect("read"));
        assert!(!forget_at_open(&store, META_SHARD, ME).expect("read"), "the metadata shard never is");
    }

    #[test]
    fn of_an_applied_joint_membership_only_the_incoming_config_counts() {
        let joint = |outgoing: &[u64], incoming: &[u64]| {
            let configs = vec![outgoing.iter().copied().collect(), incoming.iter().copied().collect()];
            let nodes = outgoing.iter().chain(incoming).map(|&id| (id, BrokerNode::default()));
            Membership::new(configs, nodes.collect::<std::collections::BTreeMap<_, _>>()).expect("valid")
        };
        let dir = tempfile::tempdir().expect("dir");
        let store = store_applied(dir.path(), joint(&[1, 2, ME], &[1, 2, 3]));
        assert!(forget_at_open(&store, SHARD, ME).expect("read"), "leaving: in the outgoing config only");
        drop(store);
        let dir = tempfile::tempdir().expect("dir");
        let store = store_applied(dir.path(), joint(&[1, 2, 3], &[1, 2, ME]));
        assert!(!forget_at_open(&store, SHARD, ME).expect("read"), "arriving: in the incoming config");
    }

    #[test]
    fn a_shard_is_kept_without_a_note() {
        let dir = tempfile::tempdir().expect("dir");
        let store = store_applied(dir.path(), membership(&[1, 2, 3], &[]));
        store.unnote_left_shard(SHARD).expect("unnoted");
        assert!(!forget_at_open(&store, SHARD, ME).expect("read"));
    }

    #[test]
    fn a_voter_by_its_applied_membership_keeps_the_shard_and_drops_the_note() {
        let dir = tempfile::tempdir().expect("dir");
        let store = store_applied(dir.path(), membership(&[1, 2, ME], &[]));
        assert!(!forget_at_open(&store, SHARD, ME).expect("read"));
        assert!(!store.left_shard_noted(SHARD).expect("read"), "the note is dropped");
    }

    #[test]
    fn a_voter_by_a_membership_in_its_log_keeps_the_shard() {
        let dir = tempfile::tempdir().expect("dir");
        let store = store_applied(dir.path(), membership(&[1, 2, 3], &[ME]));
        let logged = |index: u64, m: Membership| {
            let entry = Entry { log_id: log_id(index), payload: EntryPayload::Membership(m) };
            (index, codec::entry(&entry).encode_to_vec())
        };
        // An older membership (applied already) does not count; one past the applied entry does.
        store.raft_append(SHARD, &[logged(9, membership(&[1, 2, ME], &[]))], true).expect("append");
        assert!(forget_at_open(&store, SHARD, ME).expect("read"));
        store.raft_append(SHARD, &[logged(12, membership(&[1, 2, 3], &[ME]))], true).expect("append");
        assert!(forget_at_open(&store, SHARD, ME).expect("read"), "a learner again");
        store.raft_append(SHARD, &[logged(13, membership(&[1, 2, 3, ME], &[]))], true).expect("append");
        assert!(!forget_at_open(&store, SHARD, ME).expect("read"), "a voter again");
    }
}
