//! A shard's Raft node that stops without being asked to. openraft stops a node on a storage
//! error (anything but a full disk, which the log store and the apply wait out) or a panic, and
//! the broker would otherwise go on with that shard's copy dead and nothing to tell.
//!
//! What follows depends on what failed, as Kafka's log-dir failure handling does:
//! - **The Raft log or vote** (`Shutdown::Broker`): the log of every shard lives in the one
//!   RocksDB of the data dir, so the data dir is failing. The broker stops (its other
//!   leaderships handed over), as a Kafka broker does when its last log dir fails, for its
//!   supervisor to restart it or an operator to replace the disk.
//! - **A data shard's state machine, or a panic** (`Shutdown::Shard`): only this copy stopped.
//!   (The metadata shard's stops the broker: every broker leans on it for the catalog, the
//!   groups and its views of the others.) Stopping the broker would not help: an entry that every copy fails to apply would then
//!   take every broker down, at every restart. The broker goes on serving its other shards, the
//!   shard's other copies elect a leader among themselves, and `strata_raft_shard_stopped`
//!   tells the operator. A restart starts the copy again. openraft applies the committed
//!   entries the state machine lacks before a node starts; if one cannot be applied, the copy
//!   starts without that step (`shard::Member::start_raft_past_a_bad_entry`) and stops again
//!   when it applies that entry, so the restarted broker still serves its other shards.
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use openraft::async_runtime::WatchReceiver;
use openraft::errors::Fatal;

use super::types::{Raft, TypeConfig};
use super::watch::{RAFT_SHARD_STOPPED, ShardWatch};
use crate::broker::shards::META_SHARD;

/// What a Raft node that stopped on its own takes down with it.
#[derive(Debug, PartialEq, Eq)]
pub enum Shutdown {
    /// The whole broker: its data dir (a Raft log) or its metadata shard failed.
    Broker(String),
    /// This shard's copy only.
    Shard(String),
}

/// How often the gauge is set again: series not updated for `--metrics-idle-timeout` are
/// dropped, and a stopped copy must stay visible.
const REFRESH_EVERY: Duration = Duration::from_secs(1);

/// Waits until a Raft node of `watches` (indexed by shard) stops in a way that takes the broker
/// down; the error to stop it with. A shard-local stop is marked on the shard's watch (the
/// broker then asks the others who leads it), logged and exported meanwhile.
pub async fn broker_stopping(watches: Vec<Arc<ShardWatch>>) -> anyhow::Error {
    if watches.is_empty() {
        return std::future::pending().await;
    }
    let watching = watches.into_iter().enumerate().map(|(shard, watch)| Box::pin(watch_one(shard, watch)));
    let (error, ..) = futures::future::select_all(watching).await;
    error
}

/// Watches one shard's node, exporting whether it stopped: returns the broker's stop error, or
/// never.
async fn watch_one(shard: usize, watch: Arc<ShardWatch>) -> anyhow::Error {
    let gauge = metrics::gauge!(RAFT_SHARD_STOPPED, "shard" => shard.to_string());
    let mut refresh = tokio::time::interval(REFRESH_EVERY);
    refresh.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let stopping = stopped_on_its_own(&watch.raft);
    tokio::pin!(stopping);
    let stopped = loop {
        tokio::select! {
            stopped = &mut stopping => break stopped,
            _ = refresh.tick() => gauge.set(0.0),
        }
    };
    match of_shard(shard, stopped) {
        Some(Shutdown::Broker(why)) => {
            tracing::error!(shard, error = %why, "a shard's Raft node stopped; this broker stops");
            anyhow::anyhow!(
                "the Raft node of shard {shard} stopped ({why}); this broker stops (the other brokers lead its \
                 shards meanwhile). A failed Raft log means a failing disk: check it, then start the broker again"
            )
        }
        Some(Shutdown::Shard(why)) => {
            watch.stopped.store(true, Ordering::Relaxed);
            tracing::error!(
                shard,
                error = %why,
                "this broker's copy of the shard stopped; its other copies serve it. Restart this broker to start \
                 the copy again"
            );
            loop {
                gauge.set(1.0);
                refresh.tick().await;
            }
        }
        None => std::future::pending().await,
    }
}

/// What a stop of `shard` judged `stopped` takes down: the metadata shard's, the broker. Every
/// broker carries that shard and leans on it for the catalog, the groups and its views of the
/// others; without it, it would serve on stale ones.
fn of_shard(shard: usize, stopped: Option<Shutdown>) -> Option<Shutdown> {
    match stopped {
        Some(Shutdown::Shard(why)) if shard == META_SHARD as usize => Some(Shutdown::Broker(why)),
        stopped => stopped,
    }
}

/// Waits until `raft` stops; what it took down, or `None` if it was asked to stop.
async fn stopped_on_its_own(raft: &Raft) -> Option<Shutdown> {
    let mut metrics = raft.metrics();
    loop {
        if let Err(fatal) = &metrics.borrow_watched().running_state {
            return judge(Some(fatal));
        }
        if metrics.changed().await.is_err() {
            // The node is gone; without a reason recorded, it panicked.
            return judge(metrics.borrow_watched().running_state.as_ref().err());
        }
    }
}

/// Whether `shard`'s node, which failed to start with `fatal`, starts once openraft is told to
/// apply no committed entries first: only a data shard's, and only if an entry failed to apply
/// (an error or a panic), which the running copy then stops on.
pub fn passable_at_start(shard: u64, fatal: &Fatal<TypeConfig>) -> bool {
    shard != META_SHARD
        && match fatal {
            Fatal::Panicked => true,
            Fatal::StorageError(e) => subject(e).starts_with("Apply("),
            _ => false,
        }
}

/// What a node that stopped with `fatal` (`None`: no reason recorded) takes down with it.
fn judge(fatal: Option<&Fatal<TypeConfig>>) -> Option<Shutdown> {
    match fatal {
        Some(Fatal::Stopped) => None,
        None | Some(Fatal::Panicked) => Some(Shutdown::Shard("the Raft node panicked".into())),
        Some(Fatal::StorageError(e)) => {
            let subject = subject(e);
            if ["Apply(", "StateMachine,", "Snapshot("].iter().any(|s| subject.starts_with(s)) {
                Some(Shutdown::Shard(e.to_string()))
            } else {
                Some(Shutdown::Broker(e.to_string()))
            }
        }
    }
}

/// What a storage error is about, as openraft names it: only in the error's Debug form, as its
/// first field (and the text that follows).
fn subject(e: &openraft::StorageError<TypeConfig>) -> String {
    let debug = format!("{e:?}");
    debug.strip_prefix("StorageError { subject: ").unwrap_or_default().to_string()
}

#[cfg(test)]
mod tests {
    use openraft::StorageError;
    use openraft::type_config::TypeConfigExt;
    use openraft::type_config::alias::ErrorSourceOf;

    use super::*;
    use crate::cluster::codec;
    use crate::proto::peer as pb;

    fn source(text: &str) -> ErrorSourceOf<TypeConfig> {
        TypeConfig::err_from_string(text)
    }

    fn judged(e: StorageError<TypeConfig>) -> Option<Shutdown> {
        judge(Some(&Fatal::StorageError(e)))
    }

    #[test]
    fn a_requested_stop_takes_nothing_down() {
        assert_eq!(judge(Some(&Fatal::Stopped)), None);
    }

    #[test]
    fn a_state_machine_failure_or_a_panic_takes_the_shard_down() {
        let log_id = codec::from_log_id(pb::LogId { term: 3, leader_node: 1, index: 7 });
        for e in [
            StorageError::apply(log_id, source("undecodable")),
            StorageError::write_state_machine(source("disk")),
            StorageError::read_snapshot(None, source("disk")),
        ] {
            assert!(matches!(judged(e), Some(Shutdown::Shard(_))));
        }
        assert!(matches!(judge(Some(&Fatal::Panicked)), Some(Shutdown::Shard(_))));
        assert!(matches!(judge(None), Some(Shutdown::Shard(_))));
    }

    #[test]
    fn only_a_data_shards_entry_that_cannot_be_applied_is_got_past_at_start() {
        let log_id = codec::from_log_id(pb::LogId { term: 3, leader_node: 1, index: 7 });
        let apply = || Fatal::StorageError(StorageError::apply(log_id, source("undecodable")));
        assert!(passable_at_start(1, &apply()));
        assert!(passable_at_start(1, &Fatal::Panicked));
        assert!(!passable_at_start(META_SHARD, &apply()), "the metadata shard's start fails");
        for failed in [StorageError::read_logs(source("purged")), StorageError::read_snapshot(None, source("disk"))] {
            assert!(!passable_at_start(1, &Fatal::StorageError(failed)), "the start fails");
        }
        assert!(!passable_at_start(1, &Fatal::Stopped));
    }

    #[test]
    fn the_metadata_shards_stop_takes_the_broker_down() {
        let panicked = || judge(Some(&Fatal::Panicked));
        assert!(matches!(of_shard(0, panicked()), Some(Shutdown::Broker(_))));
        assert!(matches!(of_shard(1, panicked()), Some(Shutdown::Shard(_))));
        assert_eq!(of_shard(0, None), None);
    }

    #[test]
    fn a_log_or_vote_failure_takes_the_broker_down() {
        let misleading = StorageError::write_logs(source("I/O error (subject: Apply(...))"));
        for e in
            [StorageError::write_logs(source("I/O error")), StorageError::write_vote(source("I/O error")), misleading]
        {
            let Some(Shutdown::Broker(why)) = judged(e) else { panic!("the broker stops") };
            assert!(why.contains("I/O error"), "{why}");
        }
    }
}
