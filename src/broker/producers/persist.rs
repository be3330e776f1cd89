//! The producer table ⇄ its `meta` records: staged into a group's write, loaded at open.
use std::collections::HashSet;

use super::table::{IssuedId, PartitionProducer, ProducerTable, ProducerWrite, StateKey};
use super::window::{SequencedBatch, Window};
use crate::proto::meta::{self as pm, ProducerIdMeta, ProducerStateMeta};
use crate::storage::{StoredProducers, WriteGroup};

/// Adds the table's staged changes to the group's write.
pub fn stage_writes(table: &ProducerTable, group: &mut WriteGroup<'_>) {
    if !table.has_pending() {
        return;
    }
    for write in table.pending_writes() {
        match write {
            ProducerWrite::NextId(next) => group.set_next_producer_id(next),
            ProducerWrite::Id(id, issued) => group.set_producer_id(id, issued.map(id_meta).as_ref()),
            ProducerWrite::State(key, state) => {
                group.set_producer_state((key.topic_id, key.partition, key.producer_id), state.map(state_meta).as_ref())
            }
        }
    }
}

/// Rebuilds the table from what was persisted: the states of the partitions `carried` says
/// the table keeps (of topics that still exist), and if it `issues_ids`, the issued ids.
pub fn recover(
    stored: StoredProducers,
    live_topics: &HashSet<u64>,
    carried: impl Fn(u64, u32) -> bool,
    issues_ids: bool,
) -> ProducerTable {
    let states = stored
        .states
        .into_iter()
        .filter(|((topic_id, partition, _), _)| live_topics.contains(topic_id) && carried(*topic_id, *partition))
        .map(|((topic_id, partition, producer_id), meta)| (StateKey { topic_id, partition, producer_id }, state(meta)));
    if !issues_ids {
        return ProducerTable::partition_states(states);
    }
    let ids = stored.ids.into_iter().map(|(id, meta)| (id, issued(meta)));
    ProducerTable::recover(stored.next_id.unwrap_or(super::table::FIRST_ID), ids, states)
}

fn id_meta(issued: &IssuedId) -> ProducerIdMeta {
    ProducerIdMeta { epoch: i32::from(issued.epoch), name: issued.name.clone(), initialized_ms: issued.initialized_ms }
}

fn issued(meta: ProducerIdMeta) -> IssuedId {
    IssuedId { epoch: epoch(meta.epoch), name: meta.name, initialized_ms: meta.initialized_ms }
}

fn state_meta(state: &PartitionProducer) -> ProducerStateMeta {
    let batches = state
        .window
        .batches()
        .map(|b| pm::SequencedBatch { first_sequence: b.first, last_sequence: b.last, base_offset: b.base_offset })
        .collect();
    ProducerStateMeta { epoch: i32::from(state.epoch), batches, last_append_ms: state.last_append_ms }
}

fn state(meta: ProducerStateMeta) -> PartitionProducer {
    let batches = meta.batches.into_iter().map(|b| SequencedBatch {
        first: b.first_sequence,
        last: b.last_sequence,
        base_offset: b.base_offset,
    });
    PartitionProducer {
        epoch: epoch(meta.epoch),
        window: Window::from_batches(batches),
        last_append_ms: meta.last_append_ms,
    }
}

/// Epochs are Kafka's i16; they were written from one.
fn epoch(stored: i32) -> i16 {
    i16::try_from(stored).unwrap_or(i16::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_states_survive_the_round_trip_through_meta() {
        let named = IssuedId { epoch: 3, name: Some("orders-writer".into()), initialized_ms: 1_000 };
        assert_eq!(issued(id_meta(&named)), named);
        let window = Window::from_batches([
            SequencedBatch { first: 0, last: 9, base_offset: 40 },
            SequencedBatch { first: 10, last: 10, base_offset: 57 },
        ]);
        let partition = PartitionProducer { epoch: 3, window, last_append_ms: 2_000 };
        assert_eq!(state(state_meta(&partition)), partition);
    }
}
