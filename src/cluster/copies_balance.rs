//! Every data shard kept at its class's factor of copies, spread evenly over the brokers. Where
//! data shards are on some of the brokers, the metadata shard's leader makes one change at a
//! time: a copy for a shard with fewer voters than its factor (on the broker carrying the
//! fewest), a copy off a shard with more (from the voter carrying the most), else a move of
//! one copy from the broker that carries the most to the one that carries the fewest while they
//! differ by two or more: a copy to the second first (`MemberChange::Copy`: a learner until
//! caught up, then a voter), then the first leaves the shard. So a broker that joins takes its
//! share of the partitions (Redpanda moves partitions to a new node the same way; Kafka leaves
//! it to `kafka-reassign-partitions`).
//!
//! It changes nothing while a broker does not answer (a broker down is not a reason to move
//! data), while the metadata shard has a learner (a broker joining or being removed), or until
//! the shards' members stayed the same for a whole period (a change under way). A data shard's
//! learner that stays (a move whose leader stopped halfway) is made a voter first, or dropped if
//! it is no broker of the cluster any more.
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use openraft::async_runtime::WatchReceiver;

use super::directory::ShardDirectory;
use super::membership::MemberChange;
use super::removal::ShardGroups;
use super::types::{ClusterId, Raft};
use crate::broker::shards::{META_SHARD, Shards};

/// How often the metadata shard's leader looks for a change to make.
const EVERY: Duration = Duration::from_secs(5);
/// How long one change may take (a copy of a large shard, sent and installed).
const CHANGE_WITHIN: Duration = Duration::from_secs(1800);

/// One change of a shard's copies: a copy to broker `to`, then broker `from` out of it (either
/// may be missing: a shard short of copies, or with one too many).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Move {
    pub shard: u64,
    pub from: Option<u64>,
    pub to: Option<u64>,
}

/// Runs until the metadata shard's Raft node stops; with every shard on every broker there is
/// nothing to do.
pub async fn run(rafts: Vec<Raft>, cluster_id: ClusterId, me: u64, directory: Arc<ShardDirectory>, placement: Shards) {
    if !placement.on_some_brokers() {
        return;
    }
    let mut ticks = tokio::time::interval(EVERY);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut seen = BTreeMap::new();
    loop {
        ticks.tick().await;
        let meta = rafts[META_SHARD as usize].metrics().borrow_watched().clone();
        if meta.running_state.is_err() {
            return;
        }
        if meta.current_leader != Some(me) {
            continue;
        }
        let shards = ShardGroups { rafts: &rafts, cluster_id: &cluster_id, me, directory: &directory };
        let Some(members) = settled_members(&shards, placement) else { continue };
        let unchanged = members == seen;
        seen = members;
        if !unchanged {
            continue;
        }
        let factor = |shard: u64| placement.factor_of(shard) as usize;
        let Some(next) = next_move(&shards, &seen, factor).await else { continue };
        match tokio::time::timeout(CHANGE_WITHIN, move_copy(&shards, next)).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!(?next, error = %e, "changing a shard's copies stopped; tried again later"),
            Err(_) => tracing::warn!(?next, "changing a shard's copies took too long; tried again later"),
        }
        seen.clear();
    }
}

/// The voters and learners of each data shard on some of the brokers, if the metadata shard
/// has no learner.
fn settled_members(shards: &ShardGroups<'_>, placement: Shards) -> Option<Members> {
    if !shards.members(META_SHARD)?.1.is_empty() {
        return None;
    }
    let on_some = (1..shards.rafts.len() as u64).filter(|shard| placement.factor_of(*shard) > 0);
    on_some.map(|shard| Some((shard, shards.members(shard)?))).collect()
}

/// Per data shard on some of the brokers: its voters and learners.
type Members = BTreeMap<u64, (Vec<u64>, Vec<u64>)>;

/// The change that makes a left-over learner a voter, brings each shard to its `factor` of
/// voters, or evens them, if every broker answers.
async fn next_move(shards: &ShardGroups<'_>, members: &Members, factor: impl Fn(u64) -> usize) -> Option<Move> {
    let brokers = shards.brokers();
    let learner = members.iter().find_map(|(shard, (_, learners))| Some((*shard, *learners.first()?)));
    let voters: BTreeMap<u64, Vec<u64>> = members.iter().map(|(s, (v, _))| (*s, v.clone())).collect();
    let next = match learner {
        Some((shard, id)) if brokers.contains(&id) => Move { shard, from: None, to: Some(id) },
        // Not a broker of the cluster any more: dropped.
        Some((shard, id)) => Move { shard, from: Some(id), to: None },
        None => plan(&voters, &brokers, factor)?,
    };
    for id in &brokers {
        if !shards.alive(*id, &shards.broker(*id)?).await {
            return None;
        }
    }
    Some(next)
}

/// Copies the shard to `to`, then takes `from` out of it.
async fn move_copy(shards: &ShardGroups<'_>, next: Move) -> crate::error::Result<()> {
    tracing::info!(shard = next.shard, from = next.from, to = next.to, "changing where the shard's copies are");
    if let Some(to) = next.to {
        let Some(node) = shards.broker(to) else { return Ok(()) };
        shards.change(next.shard, &MemberChange::Copy { id: to, node }).await?;
    }
    match next.from {
        Some(from) => shards.change(next.shard, &MemberChange::Remove { id: from }).await,
        None => Ok(()),
    }
}

/// Given each data shard's voters and the cluster's `brokers`: a copy for the lowest shard
/// with fewer voters than its `factor`, on the broker without one that carries the fewest; else
/// a copy off the lowest shard with more, from the voter that carries the most; else a copy
/// from the broker that carries the most (the highest id among equals) to the one that carries
/// the fewest (the lowest id among equals), of the lowest shard the first carries and the
/// second does not, while they differ by two or more.
pub fn plan(voters: &BTreeMap<u64, Vec<u64>>, brokers: &[u64], factor: impl Fn(u64) -> usize) -> Option<Move> {
    let carried = |id: u64| voters.values().filter(|v| v.contains(&id)).count();
    for (&shard, members) in voters {
        let replicas = factor(shard);
        if members.len() < replicas {
            let to = fewest_carrying(voters, brokers.iter().copied().filter(|b| !members.contains(b))).first().copied();
            if to.is_some() {
                return Some(Move { shard, from: None, to });
            }
        }
        if members.len() > replicas {
            let from = members.iter().copied().max_by_key(|&b| (carried(b), b));
            return Some(Move { shard, from, to: None });
        }
    }
    let most = brokers.iter().copied().max_by_key(|&id| (carried(id), id))?;
    let fewest = *fewest_carrying(voters, brokers.iter().copied()).first()?;
    if carried(most) < carried(fewest) + 2 {
        return None;
    }
    let shard = voters.iter().find(|(_, v)| v.contains(&most) && !v.contains(&fewest)).map(|(s, _)| *s)?;
    Some(Move { shard, from: Some(most), to: Some(fewest) })
}

/// The `candidates` ordered by how many of the shards' `voters` lists name them, fewest first
/// (the lowest id among equals).
pub fn fewest_carrying(voters: &BTreeMap<u64, Vec<u64>>, candidates: impl Iterator<Item = u64>) -> Vec<u64> {
    let mut ordered: Vec<(usize, u64)> =
        candidates.map(|id| (voters.values().filter(|v| v.contains(&id)).count(), id)).collect();
    ordered.sort_unstable();
    ordered.into_iter().map(|(_, id)| id).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn applied(voters: &mut BTreeMap<u64, Vec<u64>>, next: Move) {
        let members = voters.get_mut(&next.shard).expect("shard");
        members.retain(|id| Some(*id) != next.from);
        members.extend(next.to);
    }

    fn moved(shard: u64, from: u64, to: u64) -> Move {
        Move { shard, from: Some(from), to: Some(to) }
    }

    #[test]
    fn a_joiner_takes_copies_until_no_two_brokers_differ_by_two() {
        // Four data shards on three of four brokers; broker 5 joins with none.
        let mut voters: BTreeMap<u64, Vec<u64>> =
            [(1, vec![2, 3, 4]), (2, vec![3, 4, 1]), (3, vec![4, 1, 2]), (4, vec![1, 2, 3])].into();
        let brokers = [1, 2, 3, 4, 5];
        let mut moves = Vec::new();
        while let Some(next) = plan(&voters, &brokers, |_| 3) {
            assert!(moves.len() < 10, "the moves end");
            moves.push(next);
            applied(&mut voters, next);
        }
        assert_eq!(moves, vec![moved(1, 4, 5), moved(2, 3, 5)]);
        let carried: Vec<usize> = brokers.iter().map(|b| voters.values().filter(|v| v.contains(b)).count()).collect();
        assert_eq!(carried, vec![3, 3, 2, 2, 2]);
        assert!(voters.values().all(|v| v.len() == 3), "every shard keeps three copies");
    }

    #[test]
    fn shards_of_several_factors_each_keep_theirs_while_a_joiner_takes_its_share() {
        // Shards 1 to 3 keep two copies, 4 to 6 one; broker 4 joins with none.
        let mut voters: BTreeMap<u64, Vec<u64>> =
            [(1, vec![1, 2]), (2, vec![2, 3]), (3, vec![3, 1]), (4, vec![1]), (5, vec![2]), (6, vec![3])].into();
        let factor = |shard: u64| if shard <= 3 { 2 } else { 1 };
        let brokers = [1, 2, 3, 4];
        let mut moves = 0;
        while let Some(next) = plan(&voters, &brokers, factor) {
            assert!(moves < 10, "the moves end");
            moves += 1;
            applied(&mut voters, next);
        }
        assert_eq!(moves, 2);
        assert!(voters.iter().all(|(shard, v)| v.len() == factor(*shard)), "each shard keeps its factor: {voters:?}");
        let carried: Vec<usize> = brokers.iter().map(|b| voters.values().filter(|v| v.contains(b)).count()).collect();
        assert_eq!(carried.iter().max().zip(carried.iter().min()).map(|(a, b)| a - b), Some(1), "{carried:?}");
    }

    #[test]
    fn even_copies_stay_where_they_are() {
        let voters: BTreeMap<u64, Vec<u64>> = [(1, vec![1, 2]), (2, vec![2, 3]), (3, vec![3, 1])].into();
        assert_eq!(plan(&voters, &[1, 2, 3], |_| 2), None);
        assert_eq!(plan(&BTreeMap::new(), &[], |_| 2), None);
    }

    #[test]
    fn a_shard_short_of_copies_gets_one_and_one_with_too_many_loses_one() {
        let voters: BTreeMap<u64, Vec<u64>> = [(1, vec![1, 2]), (2, vec![1, 2, 3]), (3, vec![2, 3, 4])].into();
        assert_eq!(plan(&voters, &[1, 2, 3, 4], |_| 3), Some(Move { shard: 1, from: None, to: Some(4) }));
        let voters: BTreeMap<u64, Vec<u64>> = [(1, vec![1, 2, 3, 4]), (2, vec![1, 2, 3])].into();
        assert_eq!(plan(&voters, &[1, 2, 3, 4], |_| 3), Some(Move { shard: 1, from: Some(3), to: None }));
        // Too few brokers for another copy: nothing to do.
        let voters: BTreeMap<u64, Vec<u64>> = [(1, vec![1, 2])].into();
        assert_eq!(plan(&voters, &[1, 2], |_| 3), None);
    }
}
