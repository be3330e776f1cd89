//! The commit log behind one interface: the commit loop submits ops, the log orders them,
//! makes them durable and applies them, then reports each op's result. The local log (one
//! broker) applies at once in the caller's thread, with the WAL fsync as its durability; the
//! replicated log (`crate::cluster`'s `RaftLog`) proposes the ops to its Raft group and applies
//! them on every replica once committed, answering from the leader's apply.
use std::sync::Arc;

use prost::Message;

use super::apply::{Applied, Applier, Op};
use crate::config::FsyncPolicy;
use crate::error::Result;
use crate::proto::log as pb;

/// What applying one replicated entry produced, for whoever proposed it.
pub enum ApplyResults {
    /// Each op's result, in order.
    Ops(Vec<Result<Applied>>),
    Catalog(Result<super::catalog::CatalogApplied>),
    /// A blank or membership entry.
    Nothing,
}

/// Called with each submitted op's result, in submission order.
pub type Done = Box<dyn FnOnce(Vec<Result<Applied>>) + Send>;

pub trait CommitLog: Send {
    /// Orders `ops` after everything submitted before, makes them durable (those whose
    /// `durable` flag is set, as the fsync policy says; `Op::must_sync` ones always) and
    /// applies them; then calls `done`.
    fn submit(&mut self, ops: Vec<Op>, durable: Vec<bool>, done: Done);

    /// Makes everything applied so far durable (at shutdown).
    fn sync(&mut self);
}

/// Receives every commit-log entry a broker applied, encoded as a replica would receive it,
/// in order: for tests that replay the log elsewhere and compare ([`super::replica`]).
#[derive(Clone)]
pub struct CommitLogTap(pub Arc<dyn Fn(Vec<u8>) + Send + Sync>);

impl std::fmt::Debug for CommitLogTap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CommitLogTap")
    }
}

/// One broker's log: apply is the write, and the RocksDB WAL is the log.
pub struct LocalLog {
    pub applier: Applier,
    pub fsync: FsyncPolicy,
    pub tap: Option<CommitLogTap>,
}

impl CommitLog for LocalLog {
    fn submit(&mut self, mut ops: Vec<Op>, durable: Vec<bool>, done: Done) {
        let fsync = self.fsync;
        let must_sync: Vec<bool> = ops.iter().map(Op::must_sync).collect();
        let results = self.applier.apply(&mut ops, &[], |results| {
            let applied = |i: usize| results[i].is_ok();
            (0..results.len()).any(|i| applied(i) && (must_sync[i] || (durable[i] && fsync == FsyncPolicy::Always)))
        });
        if let Some(tap) = &self.tap {
            // An op that failed changed nothing, and fails the same way on a replica.
            let applied = ops.into_iter().zip(&results).filter(|(_, r)| r.is_ok()).map(|(op, _)| pb::Op::from(op));
            let command = pb::Command { ops: applied.collect(), ..Default::default() };
            if !command.ops.is_empty() {
                (tap.0)(command.encode_to_vec());
            }
        }
        done(results);
    }

    fn sync(&mut self) {
        if let Err(e) = self.applier.store.sync_wal() {
            tracing::error!(error = %e, "final WAL sync failed");
        }
    }
}
