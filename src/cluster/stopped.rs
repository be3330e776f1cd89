//! A shard whose Raft node stopped on its own stops the whole broker. openraft stops a node on
//! a storage error (anything but a full disk, which the log store and apply wait out) or a
//! panic. The broker's other shards would go on serving, but its copy of that shard would be
//! dead until a restart, with nothing to tell: a leader's copy stops heartbeating, a follower's
//! stops acknowledging, and the broker still looks alive. Kafka takes a broker down when its
//! only log dir fails, and a strata broker keeps everything in one RocksDB: it stops too, with
//! its other leaderships handed over, for its supervisor to restart it.
use std::time::Duration;

use openraft::async_runtime::WatchReceiver;
use openraft::errors::Fatal;

use super::types::Raft;

/// How often the Raft nodes are looked at.
const EVERY: Duration = Duration::from_secs(1);

/// Waits until a Raft node of `rafts` (indexed by shard) stops other than by being shut down;
/// the error the broker stops with.
pub async fn first_stopped(rafts: Vec<Raft>) -> anyhow::Error {
    let mut ticks = tokio::time::interval(EVERY);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        ticks.tick().await;
        for (shard, raft) in rafts.iter().enumerate() {
            if let Err(fatal) = &raft.metrics().borrow_watched().running_state
                && !matches!(fatal, Fatal::Stopped)
            {
                tracing::error!(shard, error = %fatal, "a Raft node stopped on its own; this broker stops");
                return anyhow::anyhow!(
                    "the Raft node of shard {shard} stopped ({fatal}); this broker stops too, for its supervisor to \
                     restart it (the other brokers lead its shards meanwhile)"
                );
            }
        }
    }
}
