//! Idempotent producers' sequence numbers, per producer and partition: the broker checks them
//! and the client assigns them with the same arithmetic (Kafka's: they wrap after `i32::MAX`).

/// The sequence `count - 1` records after `first`, wrapping after `i32::MAX`.
pub fn last_sequence(first: i32, count: i32) -> i32 {
    let increment = count - 1;
    if first > i32::MAX - increment { increment - (i32::MAX - first) - 1 } else { first + increment }
}

/// The sequence that follows `last`.
pub fn next_sequence(last: i32) -> i32 {
    if last == i32::MAX { 0 } else { last + 1 }
}

/// The sequence a producer's next batch in a partition starts at, after a batch of `count`
/// records starting at `first`.
pub fn sequence_after(first: i32, count: i32) -> i32 {
    next_sequence(last_sequence(first, count))
}
