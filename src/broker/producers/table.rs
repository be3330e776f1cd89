//! The idempotent producers the broker knows: issued ids with their epochs and names, and per
//! producer and partition the window of recent batches. Owned by the commit loop (the only
//! writer of partitions), so checks and updates need no lock and run in queue order.
//!
//! Changes made while a group is staged go to `pending`, read through by every lookup, and
//! become the table's state only when the group's write succeeded ([`ProducerTable::commit`]);
//! a failed write drops them ([`ProducerTable::rollback`]), so memory never says more than disk.
//! [`ProducerTable::pending_writes`] lists what the group must persist alongside.
use std::collections::HashMap;

use super::window::{OutOfOrder, SequencedBatch, Verdict, Window, last_sequence};

mod expiry;

/// A producer's partition state: which partition, which producer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StateKey {
    pub topic_id: u64,
    pub partition: u32,
    pub producer_id: i64,
}

/// An issued producer id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedId {
    pub epoch: i16,
    pub name: Option<String>,
    pub initialized_ms: i64,
}

/// One producer's recent batches in one partition, for its latest epoch there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionProducer {
    pub epoch: i16,
    pub window: Window,
    pub last_append_ms: i64,
}

/// The producer instance InitProducerId answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Identity {
    pub id: i64,
    pub epoch: i16,
}

/// Why a sequenced batch is refused; nothing of it is appended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    /// Never issued, or expired.
    UnknownId,
    /// A newer instance of the producer (a higher epoch) exists.
    Fenced {
        current: i16,
    },
    /// An epoch the broker never issued.
    FutureEpoch {
        current: i16,
    },
    OutOfOrder {
        expected: i32,
    },
}

/// A change the staged group must write to `meta`; `None` deletes.
#[derive(Debug, PartialEq, Eq)]
pub enum ProducerWrite<'a> {
    NextId(i64),
    Id(i64, Option<&'a IssuedId>),
    State(StateKey, Option<&'a PartitionProducer>),
}

/// Heap bytes of one issued id (its map entries) and one partition state (key and inline window
/// of five batches in a hash map bucket), for the memory limit and the size metric. Measured:
/// 10,000 ids with 40,000 full windows held 9.1 MiB (`benches/producer_recovery.rs`, which
/// prints both); a hash map's spare buckets make the real figure move with its fill.
pub const ID_BYTES: usize = 128;
pub const STATE_BYTES: usize = 224;

/// Ids dropped by [`ProducerTable::expire`].
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Dropped {
    /// Idle past the expiry.
    pub expired: Vec<i64>,
    /// The least recently used, to bring memory under its limit.
    pub evicted: Vec<i64>,
}

#[derive(Debug, Default)]
struct Pending {
    next_id: Option<i64>,
    ids: HashMap<i64, Option<IssuedId>>,
    states: HashMap<StateKey, Option<PartitionProducer>>,
}

#[derive(Debug)]
pub struct ProducerTable {
    next_id: i64,
    ids: HashMap<i64, IssuedId>,
    names: HashMap<String, i64>,
    states: HashMap<StateKey, PartitionProducer>,
    /// Broker time each id was last initialized or appended with (derived, never persisted).
    last_used: HashMap<i64, i64>,
    /// Estimated heap bytes of `ids`, `names` and `states`, kept up to date by `commit`.
    bytes: usize,
    /// Partition states may exist whose id is gone (loaded at open, or left by an exhausted
    /// epoch): the next expiry pass looks for them.
    orphans: bool,
    /// This table issues ids and checks batches against them (a single broker's, a cluster's
    /// metadata shard's). A data shard's table keeps only its partitions' states and decides
    /// from them alone, as a Kafka partition leader does: ids are issued in another shard,
    /// whose state a replica may have applied further or less far.
    issues_ids: bool,
    pending: Pending,
}

/// The first id issued in a new data dir. Not 0: a client that leaves a proto3 field at its
/// default then gets UNKNOWN_PRODUCER_ID instead of someone else's producer.
pub const FIRST_ID: i64 = 1;

impl ProducerTable {
    /// The table as persisted: the next id to issue, the issued ids and the partition states.
    pub fn recover(
        next_id: i64,
        ids: impl IntoIterator<Item = (i64, IssuedId)>,
        states: impl IntoIterator<Item = (StateKey, PartitionProducer)>,
    ) -> Self {
        let ids: HashMap<i64, IssuedId> = ids.into_iter().collect();
        let mut last_used: HashMap<i64, i64> = ids.iter().map(|(id, i)| (*id, i.initialized_ms)).collect();
        // States of ids no longer issued stay until the next expiry pass deletes them (from
        // memory and `meta` alike); no batch can use them meanwhile.
        let states: HashMap<StateKey, PartitionProducer> = states.into_iter().collect();
        for (key, state) in &states {
            if let Some(used) = last_used.get_mut(&key.producer_id) {
                *used = (*used).max(state.last_append_ms);
            }
        }
        let mut names: HashMap<String, i64> = HashMap::new();
        for (id, issued) in &ids {
            if let Some(name) = &issued.name {
                // Two ids with one name cannot be written by one group's commit; if they were,
                // the newer id is the name's.
                let newest = names.get(name).map_or(*id, |other| (*id).max(*other));
                names.insert(name.clone(), newest);
            }
        }
        // Never below an id seen anywhere, even if `meta` lost the counter.
        let seen = ids.keys().chain(states.keys().map(|key| &key.producer_id));
        let next_id = seen.map(|id| id + 1).fold(next_id.max(FIRST_ID), i64::max);
        let orphans = states.keys().any(|key| !ids.contains_key(&key.producer_id));
        let mut table = ProducerTable {
            next_id,
            ids,
            names,
            states,
            last_used,
            bytes: 0,
            orphans,
            issues_ids: true,
            pending: Pending::default(),
        };
        table.bytes = table.ids.values().map(id_bytes).sum::<usize>() + table.states.len() * STATE_BYTES;
        table
    }

    pub fn empty() -> Self {
        Self::recover(FIRST_ID, [], [])
    }

    /// A data shard's table: partition states only, each batch decided by its partition's
    /// state (see `issues_ids`).
    pub fn partition_states(states: impl IntoIterator<Item = (StateKey, PartitionProducer)>) -> Self {
        let mut table = Self::recover(FIRST_ID, [], states);
        table.issues_ids = false;
        table.orphans = false;
        table.last_used.clear();
        table
    }

    /// Whether this table issues ids (see the field).
    pub fn issues_ids(&self) -> bool {
        self.issues_ids
    }

    /// Issues a producer instance: a new anonymous id, or for a known name its id with the epoch
    /// bumped (fencing older instances). `renewing` is an instance asking for a new epoch of
    /// its own id (Kafka's KIP-360), after a batch whose outcome it could not learn: its old
    /// epoch is fenced, so a late copy of that batch is refused rather than stored out of
    /// order. An exhausted epoch gives a new id, as in Kafka.
    pub fn init(&mut self, name: Option<&str>, renewing: Option<Identity>, now_ms: i64) -> Result<Identity, Rejection> {
        let current = match (name, renewing) {
            (Some(name), _) => self.id_for_name(name),
            (None, Some(instance)) => Some(instance.id).filter(|id| self.issued(*id).is_some()),
            (None, None) => None,
        };
        let identity = match current.and_then(|id| Some((id, self.issued(id)?.clone()))) {
            Some((id, issued)) => {
                if let Some(instance) = renewing {
                    match (instance.id == id, instance.epoch.cmp(&issued.epoch)) {
                        (true, std::cmp::Ordering::Equal) => {}
                        // An anonymous id has one holder: this is its renewal again, whose
                        // answer was lost. The old epoch is fenced already.
                        (true, std::cmp::Ordering::Less) if name.is_none() && instance.epoch == issued.epoch - 1 => {
                            self.touch(id, now_ms);
                            return Ok(Identity { id, epoch: issued.epoch });
                        }
                        (true, std::cmp::Ordering::Greater) => {
                            return Err(Rejection::FutureEpoch { current: issued.epoch });
                        }
                        _ => return Err(Rejection::Fenced { current: issued.epoch }),
                    }
                }
                if issued.epoch < i16::MAX {
                    let bumped = IssuedId { epoch: issued.epoch + 1, initialized_ms: now_ms, ..issued };
                    self.pending.ids.insert(id, Some(bumped));
                    Identity { id, epoch: issued.epoch + 1 }
                } else {
                    self.pending.ids.insert(id, None);
                    self.orphans = true;
                    self.issue(name, now_ms)
                }
            }
            None => self.issue(name, now_ms),
        };
        self.touch(identity.id, now_ms);
        Ok(identity)
    }

    /// Stages a new id at epoch 0.
    fn issue(&mut self, name: Option<&str>, now_ms: i64) -> Identity {
        let id = self.pending.next_id.unwrap_or(self.next_id);
        self.pending.next_id = Some(id + 1);
        let issued = IssuedId { epoch: 0, name: name.map(str::to_string), initialized_ms: now_ms };
        self.pending.ids.insert(id, Some(issued));
        Identity { id, epoch: 0 }
    }

    /// Decides on a batch of `count` records starting at sequence `first` (changes nothing).
    pub fn check(&self, key: StateKey, epoch: i16, first: i32, count: i32) -> Result<Verdict, Rejection> {
        if !self.issues_ids {
            return self.check_in_partition(key, epoch, first, count);
        }
        let issued = self.issued(key.producer_id).ok_or(Rejection::UnknownId)?;
        if epoch < issued.epoch {
            return Err(Rejection::Fenced { current: issued.epoch });
        }
        if epoch > issued.epoch {
            return Err(Rejection::FutureEpoch { current: issued.epoch });
        }
        let last = last_sequence(first, count);
        let verdict = match self.state(key) {
            Some(state) if state.epoch == epoch => state.window.check(first, last),
            // A new epoch, or the producer's first batch here, starts at 0.
            _ if first == 0 => Ok(Verdict::Append),
            _ => Err(OutOfOrder { expected: 0 }),
        };
        verdict.map_err(|e| Rejection::OutOfOrder { expected: e.expected })
    }

    /// [`check`](Self::check) by the partition's state alone: an older epoch than the one it
    /// holds is fenced; a new epoch or producer starts at sequence 0.
    fn check_in_partition(&self, key: StateKey, epoch: i16, first: i32, count: i32) -> Result<Verdict, Rejection> {
        let verdict = match self.state(key) {
            Some(state) if state.epoch > epoch => return Err(Rejection::Fenced { current: state.epoch }),
            Some(state) if state.epoch == epoch => state.window.check(first, last_sequence(first, count)),
            _ if first == 0 => Ok(Verdict::Append),
            _ => Err(OutOfOrder { expected: 0 }),
        };
        verdict.map_err(|e| Rejection::OutOfOrder { expected: e.expected })
    }

    /// Remembers a batch that [`check`](Self::check) allowed and that was staged at `base_offset`.
    pub fn record(&mut self, key: StateKey, epoch: i16, first: i32, count: i32, base_offset: i64, now_ms: i64) {
        let batch = SequencedBatch { first, last: last_sequence(first, count), base_offset };
        let committed = &self.states;
        let state = self.pending.states.entry(key).or_insert_with(|| committed.get(&key).cloned());
        match state {
            Some(s) if s.epoch == epoch => {
                s.window.push(batch);
                s.last_append_ms = now_ms;
            }
            _ => {
                *state =
                    Some(PartitionProducer { epoch, window: Window::from_batches([batch]), last_append_ms: now_ms })
            }
        }
        self.touch(key.producer_id, now_ms);
    }

    /// What the staged changes need written, each key once.
    pub fn pending_writes(&self) -> Vec<ProducerWrite<'_>> {
        let next = self.pending.next_id.map(ProducerWrite::NextId);
        let ids = self.pending.ids.iter().map(|(id, i)| ProducerWrite::Id(*id, i.as_ref()));
        let states = self.pending.states.iter().map(|(k, s)| ProducerWrite::State(*k, s.as_ref()));
        next.into_iter().chain(ids).chain(states).collect()
    }

    pub fn has_pending(&self) -> bool {
        self.pending.next_id.is_some() || !self.pending.ids.is_empty() || !self.pending.states.is_empty()
    }

    /// The staged changes were written: they become the table's state.
    pub fn commit(&mut self) {
        let pending = std::mem::take(&mut self.pending);
        if let Some(next) = pending.next_id {
            self.next_id = next;
        }
        for (id, issued) in pending.ids {
            if let Some(old) = self.ids.remove(&id) {
                self.bytes -= id_bytes(&old);
                // The name may already belong to a newer id issued in the same group.
                if let Some(name) = old.name.filter(|name| self.names.get(name) == Some(&id)) {
                    self.names.remove(&name);
                }
            }
            match issued {
                Some(issued) => {
                    self.bytes += id_bytes(&issued);
                    if let Some(name) = &issued.name {
                        let newest = self.names.get(name).map_or(id, |other| id.max(*other));
                        self.names.insert(name.clone(), newest);
                    }
                    self.ids.insert(id, issued);
                }
                None => {
                    self.last_used.remove(&id);
                }
            }
        }
        for (key, state) in pending.states {
            let before = self.states.contains_key(&key);
            match state {
                Some(state) => self.states.insert(key, state),
                None => self.states.remove(&key),
            };
            match (before, self.states.contains_key(&key)) {
                (false, true) => self.bytes += STATE_BYTES,
                (true, false) => self.bytes -= STATE_BYTES,
                _ => {}
            }
        }
    }

    /// The staged changes were not written: forget them.
    pub fn rollback(&mut self) {
        self.pending = Pending::default();
    }

    /// Issued ids, partition states and estimated bytes (committed state).
    pub fn size(&self) -> (usize, usize, usize) {
        (self.ids.len(), self.states.len(), self.bytes)
    }

    fn issued(&self, id: i64) -> Option<&IssuedId> {
        match self.pending.ids.get(&id) {
            Some(staged) => staged.as_ref(),
            None => self.ids.get(&id),
        }
    }

    fn state(&self, key: StateKey) -> Option<&PartitionProducer> {
        match self.pending.states.get(&key) {
            Some(staged) => staged.as_ref(),
            None => self.states.get(&key),
        }
    }

    fn id_for_name(&self, name: &str) -> Option<i64> {
        let staged = self.pending.ids.iter().find(|(_, i)| i.as_ref().and_then(|i| i.name.as_deref()) == Some(name));
        staged.map(|(id, _)| *id).or_else(|| self.names.get(name).copied()).filter(|id| self.issued(*id).is_some())
    }

    fn live_ids(&self) -> impl Iterator<Item = (i64, &IssuedId)> {
        let staged = self.pending.ids.iter().filter_map(|(id, i)| Some((*id, i.as_ref()?)));
        staged.chain(self.ids.iter().filter(|(id, _)| !self.pending.ids.contains_key(id)).map(|(id, i)| (*id, i)))
    }

    fn live_states(&self) -> impl Iterator<Item = StateKey> + '_ {
        let staged = self.pending.states.iter().filter(|(_, s)| s.is_some()).map(|(k, _)| *k);
        staged.chain(self.states.keys().filter(|k| !self.pending.states.contains_key(k)).copied())
    }

    fn last_used(&self, id: i64) -> i64 {
        self.last_used.get(&id).copied().unwrap_or(0)
    }

    fn touch(&mut self, id: i64, now_ms: i64) {
        if !self.issues_ids {
            return; // states carry their own last use
        }
        let used = self.last_used.entry(id).or_default();
        *used = (*used).max(now_ms);
    }
}

fn id_bytes(issued: &IssuedId) -> usize {
    ID_BYTES + issued.name.as_ref().map_or(0, |n| 2 * n.len())
}
