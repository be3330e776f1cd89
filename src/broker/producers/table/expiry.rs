//! Forgetting producers: expiry of idle ids, eviction of the least recently used over the
//! memory limit, and a deleted topic's states.
use std::collections::HashMap;

use super::{Dropped, ProducerTable, STATE_BYTES, StateKey, id_bytes};

impl ProducerTable {
    /// Drops ids idle since before `now_ms - expiry_ms`, then, while the table is over
    /// `max_bytes`, the least recently used down to 9/10 of it; with them their partition
    /// states (and states whose id is gone).
    pub fn expire(&mut self, now_ms: i64, expiry_ms: i64, max_bytes: usize) -> Dropped {
        let cutoff = now_ms.saturating_sub(expiry_ms);
        if !self.issues_ids {
            // By time only: this table's size may differ between replicas (see `Applier`).
            self.expire_states(cutoff);
            return Dropped::default();
        }
        let dropped = if self.bytes > max_bytes {
            // Evicting down to 9/10 of the limit, not just under it, leaves room for new
            // producers before the next round of eviction.
            self.oldest_first(cutoff, max_bytes / 10 * 9)
        } else {
            let expired = self.live_ids().filter(|(id, _)| self.last_used(*id) < cutoff).map(|(id, _)| id).collect();
            Dropped { expired, evicted: Vec::new() }
        };
        for &id in dropped.expired.iter().chain(&dropped.evicted) {
            self.pending.ids.insert(id, None);
        }
        if !dropped.expired.is_empty() || !dropped.evicted.is_empty() || std::mem::take(&mut self.orphans) {
            let orphaned: Vec<StateKey> = self.live_states().filter(|k| self.issued(k.producer_id).is_none()).collect();
            for key in orphaned {
                self.pending.states.insert(key, None);
            }
        }
        dropped
    }

    /// Every id idle since before `cutoff`, then the least recently used until the table's
    /// estimated bytes are down to `target`.
    fn oldest_first(&self, cutoff: i64, target: usize) -> Dropped {
        let mut by_age: Vec<(i64, i64, usize)> =
            self.live_ids().map(|(id, i)| (self.last_used(id), id, id_bytes(i))).collect();
        by_age.sort_unstable();
        let mut states_per_id: HashMap<i64, usize> = HashMap::new();
        for key in self.live_states() {
            *states_per_id.entry(key.producer_id).or_default() += 1;
        }
        let cost = |id: i64, bytes: usize| bytes + states_per_id.get(&id).copied().unwrap_or(0) * STATE_BYTES;
        let mut total: usize = by_age.iter().map(|&(_, id, bytes)| cost(id, bytes)).sum();
        let mut dropped = Dropped::default();
        for &(used, id, bytes) in &by_age {
            if used < cutoff {
                dropped.expired.push(id);
            } else if total > target {
                dropped.evicted.push(id);
            } else {
                continue;
            }
            total -= cost(id, bytes);
        }
        dropped
    }

    /// A data shard's expiry: the states unused since before `cutoff`.
    fn expire_states(&mut self, cutoff: i64) {
        let idle: Vec<StateKey> =
            self.live_states().filter(|key| self.state(*key).is_some_and(|s| s.last_append_ms < cutoff)).collect();
        for key in idle {
            self.pending.states.insert(key, None);
        }
    }

    /// Forgets every producer's state in a deleted topic (its keys went with the topic).
    pub fn forget_topic(&mut self, topic_id: u64) {
        let keys: Vec<StateKey> = self.live_states().filter(|k| k.topic_id == topic_id).collect();
        for key in keys {
            self.pending.states.insert(key, None);
        }
    }
}
