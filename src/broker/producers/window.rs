//! One producer's recent batches in one partition, and the sequence rule that decides whether a
//! new batch is the next one, a retry of one already appended, or out of order.
//!
//! Sequences count records, per producer and partition, from 0; after `i32::MAX` comes 0 again
//! (Kafka's `DefaultRecordBatch.incrementSequence`). A batch covers `first..=last`.
/// Batches remembered per producer and partition: Kafka's limit on requests in flight per
/// partition for an idempotent producer, so any retry of an unanswered request is still here.
pub const WINDOW: usize = 5;

pub use crate::records::sequence::{last_sequence, next_sequence};

/// A batch the window remembers: its sequences and where it was appended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SequencedBatch {
    pub first: i32,
    pub last: i32,
    pub base_offset: i64,
}

/// What to do with a batch whose sequences passed the check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The next batch: append it.
    Append,
    /// A retry of a batch already appended: answer with its offsets, append nothing.
    Duplicate { base_offset: i64 },
}

/// The batch is neither the next one nor a retry of a remembered one; `expected` is the
/// sequence the next batch must start at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutOfOrder {
    pub expected: i32,
}

/// The last [`WINDOW`] batches of one producer epoch in one partition, oldest first. Inline,
/// not on the heap: the broker holds one per producer and partition.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Window {
    batches: [SequencedBatch; WINDOW],
    len: usize,
}

impl Window {
    pub fn from_batches(batches: impl IntoIterator<Item = SequencedBatch>) -> Self {
        let mut window = Window::default();
        for batch in batches {
            window.push(batch);
        }
        window
    }

    /// Decides on a batch covering `first..=last` (same epoch as the window).
    pub fn check(&self, first: i32, last: i32) -> Result<Verdict, OutOfOrder> {
        if let Some(original) = self.batches().find(|b| b.first == first && b.last == last) {
            return Ok(Verdict::Duplicate { base_offset: original.base_offset });
        }
        let expected = self.batches().last().map_or(0, |b| next_sequence(b.last));
        if first == expected { Ok(Verdict::Append) } else { Err(OutOfOrder { expected }) }
    }

    /// Remembers an appended batch, forgetting the oldest beyond [`WINDOW`].
    pub fn push(&mut self, batch: SequencedBatch) {
        if self.len == WINDOW {
            self.batches.rotate_left(1);
            self.batches[WINDOW - 1] = batch;
        } else {
            self.batches[self.len] = batch;
            self.len += 1;
        }
    }

    pub fn batches(&self) -> impl DoubleEndedIterator<Item = &SequencedBatch> {
        self.batches[..self.len].iter()
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn appended(window: &mut Window, first: i32, count: i32, base_offset: i64) {
        let last = last_sequence(first, count);
        assert_eq!(window.check(first, last), Ok(Verdict::Append));
        window.push(SequencedBatch { first, last, base_offset });
    }

    #[test]
    fn sequences_wrap_after_i32_max_as_kafka_does() {
        assert_eq!(last_sequence(0, 1), 0);
        assert_eq!(last_sequence(10, 5), 14);
        assert_eq!(last_sequence(i32::MAX, 1), i32::MAX);
        assert_eq!(last_sequence(i32::MAX - 1, 3), 0);
        assert_eq!(last_sequence(i32::MAX, 3), 1);
        assert_eq!(next_sequence(i32::MAX), 0);
        assert_eq!(next_sequence(41), 42);
    }

    #[test]
    fn the_first_batch_starts_at_zero_and_each_next_one_where_the_last_ended() {
        let mut window = Window::default();
        assert_eq!(window.check(1, 1), Err(OutOfOrder { expected: 0 }));
        appended(&mut window, 0, 3, 100);
        appended(&mut window, 3, 2, 103);
        assert_eq!(window.check(6, 6), Err(OutOfOrder { expected: 5 }), "a gap");
        assert_eq!(window.check(4, 4), Err(OutOfOrder { expected: 5 }), "overlaps without matching a batch");
        assert_eq!(window.check(0, 2), Ok(Verdict::Duplicate { base_offset: 100 }));
        assert_eq!(window.check(3, 4), Ok(Verdict::Duplicate { base_offset: 103 }));
    }

    #[test]
    fn a_retry_older_than_the_window_is_out_of_order() {
        let mut window = Window::default();
        for i in 0..=WINDOW as i32 {
            appended(&mut window, i, 1, i64::from(i));
        }
        assert_eq!(window.check(0, 0), Err(OutOfOrder { expected: WINDOW as i32 + 1 }));
        assert_eq!(window.check(1, 1), Ok(Verdict::Duplicate { base_offset: 1 }));
    }

    #[test]
    fn batches_across_the_wrap_are_matched_and_continued() {
        let mut window =
            Window::from_batches([SequencedBatch { first: i32::MAX - 9, last: i32::MAX - 5, base_offset: 0 }]);
        appended(&mut window, i32::MAX - 4, 7, 5); // ..., MAX, 0, 1
        assert_eq!(window.check(i32::MAX - 4, 1), Ok(Verdict::Duplicate { base_offset: 5 }));
        appended(&mut window, 2, 1, 12);
    }

    /// What the window must answer, from the whole history of appended batches.
    fn model_check(history: &[SequencedBatch], first: i32, last: i32) -> Result<Verdict, OutOfOrder> {
        let recent = &history[history.len().saturating_sub(WINDOW)..];
        if let Some(b) = recent.iter().find(|b| b.first == first && b.last == last) {
            return Ok(Verdict::Duplicate { base_offset: b.base_offset });
        }
        let expected = history.last().map_or(0, |b| next_sequence(b.last));
        if first == expected { Ok(Verdict::Append) } else { Err(OutOfOrder { expected }) }
    }

    /// A request: retry the batch this many back (0 = a new batch), of this many records, or
    /// jump the sequence by this much.
    #[derive(Debug, Clone)]
    enum Op {
        New(i32),
        Retry(usize),
        Skip(i32),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            4 => (1i32..50).prop_map(Op::New),
            3 => (0usize..8).prop_map(Op::Retry),
            1 => (-60i32..60).prop_map(Op::Skip),
        ]
    }

    proptest! {
        #[test]
        fn the_window_answers_as_a_model_of_the_whole_history(
            start in prop_oneof![Just(0i32), (i32::MAX - 200)..=i32::MAX],
            ops in proptest::collection::vec(op(), 1..60),
        ) {
            // Start as if `start` records were already sent, possibly just before the wrap.
            let seed = SequencedBatch { first: start, last: start, base_offset: 0 };
            let mut history = vec![seed];
            let mut window = Window::from_batches(history.clone());
            let mut next_offset = 1i64;
            for op in ops {
                let expected_next = next_sequence(history.last().map_or(-1, |b| b.last));
                let (first, last) = match op {
                    Op::New(count) => (expected_next, last_sequence(expected_next, count)),
                    Op::Retry(back) => {
                        let b = history[history.len() - 1 - back.min(history.len() - 1)];
                        (b.first, b.last)
                    }
                    Op::Skip(by) => {
                        let first = expected_next.wrapping_add(by).max(0);
                        (first, last_sequence(first, 1))
                    }
                };
                let verdict = window.check(first, last);
                prop_assert_eq!(verdict, model_check(&history, first, last));
                if verdict == Ok(Verdict::Append) {
                    let batch = SequencedBatch { first, last, base_offset: next_offset };
                    next_offset += 1;
                    window.push(batch);
                    history.push(batch);
                }
            }
        }
    }
}
