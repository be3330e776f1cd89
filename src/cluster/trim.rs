//! Trimming the Raft log: entries every member holds are dropped, on every member, so the log
//! does not keep a second copy of every record forever.
//!
//! The leader, which knows how far each member got, proposes a trim point below what all of them
//! hold (`Command.trim_raft_log_upto`); each replica applies that entry like any other and then
//! trims its own log there. So no member ever drops an entry another member still lacks: a
//! follower that was down catches up from the leader's log, whoever leads. The price: a member
//! that stays down holds the trim point back until it returns. Only a broker added to a shard
//! later needs what was trimmed (or, under `--fsync interval` or `never`, a member whose log
//! lost its unsynced end in a power loss, beyond the entries kept); it gets a copy of the
//! shard's rows (`shard_snapshot`).
//!
//! openraft purges only what a snapshot covers. Here a snapshot is a mark, not a copy: the state
//! it stands for is the data dir itself, at the applied log id recorded with it. openraft's own
//! purging after a snapshot is off (`max_in_snapshot_log_to_keep`), so only these trims purge.
use std::time::Duration;

use bytes::Bytes;
use openraft::async_runtime::WatchReceiver;
use prost::Message;
use tokio::sync::mpsc;

use super::types::{LogCommand, Raft};
use crate::proto::log as pb;

/// How often the leader considers a trim. Often enough that trimmed entries are still in the
/// `raftlog` memtable (24 to 40 MiB: about 3 s of 10 MiB/s), so they never reach an SST file.
const EVERY: Duration = Duration::from_millis(500);

/// The leader's side: proposes a trim when every member holds entries far enough past the last
/// one. `keep` entries are kept below the point every member holds (`--raft-log-keep-entries`):
/// a member whose log lost its unsynced end (power loss under `--fsync interval` or `never`)
/// still catches up from the log, and the log is trimmed in steps, not after every entry. A
/// member that is merely behind holds the trim point back itself. Runs until the Raft node stops.
pub async fn propose(raft: Raft, me: u64, keep: u64) {
    let mut ticks = tokio::time::interval(EVERY);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        ticks.tick().await;
        let metrics = raft.metrics().borrow_watched().clone();
        if metrics.running_state.is_err() {
            return;
        }
        if metrics.current_leader != Some(me) {
            continue;
        }
        let held = metrics.replication.as_ref().and_then(|replication| {
            // Every member's matched index; one not known yet (just elected) means no trim.
            let matched: Option<Vec<u64>> = replication.values().map(|m| m.as_ref().map(|m| m.index)).collect();
            matched.and_then(|m| m.into_iter().min())
        });
        let Some(upto) = held.map(|held| held.saturating_sub(keep)) else { continue };
        let purged = metrics.purged.map_or(0, |p| p.index + 1);
        if upto < purged + keep {
            continue;
        }
        let command = pb::Command { trim_raft_log_upto: Some(upto), ..Default::default() };
        if let Err(e) = raft.client_write(LogCommand(Bytes::from(command.encode_to_vec()))).await {
            tracing::debug!(error = %e, "proposing a Raft log trim");
        }
    }
}

/// Every replica's side: after applying a trim entry, marks a snapshot at its applied state and
/// purges its log up to the trim point.
pub async fn apply(raft: Raft, mut trims: mpsc::UnboundedReceiver<u64>) {
    while let Some(upto) = trims.recv().await {
        if let Err(e) = trim(&raft, upto).await {
            tracing::warn!(error = %e, upto, "trimming the Raft log");
        }
    }
}

async fn trim(raft: &Raft, upto: u64) -> anyhow::Result<()> {
    raft.trigger().snapshot().await?;
    let covered = |m: &openraft::RaftMetrics<super::types::TypeConfig>| m.snapshot.is_some_and(|s| s.index >= upto);
    raft.wait(Some(Duration::from_secs(30))).metrics(covered, "a snapshot mark covering the trim").await?;
    raft.trigger().purge_log(upto).await?;
    Ok(())
}
