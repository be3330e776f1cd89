//! Consecutive data entries applied as one write.
//!
//! Each applied entry cost a RocksDB write of its own (a WAL append, a memtable insert, a trip
//! off the async runtime). At 10 MiB/s most entries carry one produce request, and an apply
//! call usually holds several of them once a follower's answer commits a run of entries: here
//! a data shard's run of op entries is gathered and applied in one write, which records the
//! last one applied. The stored rows are the same as entry by entry (each op is its own row at
//! its own offsets; partition metas and producer states end at the same values), so replicas
//! that cut their runs differently still hold the same bytes.
use openraft::storage::ApplyResponder;

use super::types::{LogId, TypeConfig};
use crate::broker::apply::{Applied, Op};
use crate::error::Result;

/// A run takes no more entries once it holds this many bytes of ops (it may pass it by one
/// entry), so one write never holds the apply long.
const MAX_BATCH_BYTES: usize = 16 << 20;

/// Whether an op may share a write with the ops of other entries: its outcome depends only on
/// the state published before the write and on the ops staged ahead of it. Not so
/// `DeleteGroupOffsets`, which reads the stored offsets and would miss a commit staged in the
/// same write (data shards are never sent it, nor commits, nor producer ids: all of those are
/// the metadata shard's, which applies entry by entry).
pub fn joins_a_run(op: &Op) -> bool {
    match op {
        Op::Append { .. } | Op::Truncate { .. } | Op::ExpireProducers { .. } | Op::ForgetTopic { .. } => true,
        Op::CommitOffsets { .. } | Op::InitProducer { .. } | Op::DeleteGroupOffsets { .. } => false,
    }
}

/// A run of op entries of one term, waiting to be applied together.
#[derive(Default)]
pub struct ApplyBatch {
    ops: Vec<Op>,
    /// Each entry: how many of `ops` are its own, and who waits for their results.
    entries: Vec<(usize, Option<ApplyResponder<TypeConfig>>)>,
    last: Option<LogId>,
    bytes: usize,
}

impl ApplyBatch {
    /// Whether an entry of `log_id` may join the run: same term (ops are stamped with the
    /// term as their leader epoch) and room left.
    pub fn takes(&self, log_id: &LogId) -> bool {
        self.last.is_none_or(|last| last.leader_id == log_id.leader_id) && self.bytes < MAX_BATCH_BYTES
    }

    pub fn push(&mut self, log_id: LogId, ops: Vec<Op>, responder: Option<ApplyResponder<TypeConfig>>) {
        self.bytes += ops.iter().map(Op::bytes).sum::<usize>();
        self.entries.push((ops.len(), responder));
        self.ops.extend(ops);
        self.last = Some(log_id);
    }

    /// The run's ops and the id of its last entry, to apply; `None` if empty. [`Answers`] then
    /// hands each entry its own results.
    pub fn take(&mut self) -> Option<(LogId, Vec<Op>, Answers)> {
        let last = self.last.take()?;
        self.bytes = 0;
        Some((last, std::mem::take(&mut self.ops), Answers(std::mem::take(&mut self.entries))))
    }
}

/// The entries of a run taken for applying.
pub struct Answers(Vec<(usize, Option<ApplyResponder<TypeConfig>>)>);

impl Answers {
    /// Sends each entry the results of its own ops, in order.
    pub fn send(self, results: Vec<Result<Applied>>) {
        for (results, responder) in split(results, self.0) {
            if let Some(responder) = responder {
                responder.send(crate::broker::ApplyResults::Ops(results));
            }
        }
    }
}

/// `results` cut into consecutive pieces of each entry's count.
fn split<T, R>(results: Vec<T>, entries: Vec<(usize, R)>) -> Vec<(Vec<T>, R)> {
    let mut results = results.into_iter();
    entries.into_iter().map(|(count, who)| (results.by_ref().take(count).collect(), who)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_are_cut_by_each_entrys_count_in_order() {
        let pieces = split(vec![1, 2, 3, 4, 5, 6], vec![(2, 'a'), (0, 'b'), (3, 'c'), (1, 'd')]);
        assert_eq!(pieces, vec![(vec![1, 2], 'a'), (vec![], 'b'), (vec![3, 4, 5], 'c'), (vec![6], 'd')]);
    }

    fn log_id(term: u64, index: u64) -> LogId {
        LogId::new(openraft::impls::leader_id_adv::LeaderId { term, node_id: 1 }, index)
    }

    #[test]
    fn a_run_keeps_one_term_and_records_its_last_entry() {
        let mut batch = ApplyBatch::default();
        assert!(batch.takes(&log_id(3, 10)));
        batch.push(log_id(3, 10), vec![Op::ForgetTopic { topic_id: 1 }], None);
        batch.push(log_id(3, 11), vec![Op::ForgetTopic { topic_id: 2 }, Op::ForgetTopic { topic_id: 3 }], None);
        assert!(batch.takes(&log_id(3, 12)));
        assert!(!batch.takes(&log_id(4, 12)), "a new term starts a new run");
        let (last, ops, answers) = batch.take().expect("a run");
        assert_eq!(
            (last, ops.len(), answers.0.iter().map(|(n, _)| *n).collect::<Vec<_>>()),
            (log_id(3, 11), 3, vec![1, 2])
        );
        assert!(batch.take().is_none(), "taking empties the run");
        assert!(batch.takes(&log_id(4, 12)));
    }
}
