//! Every topic the broker holds, by name (for requests) and by id (for the commit loop's apply,
//! which names partitions by topic id, as a replicated log entry must).
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use super::partition::PartitionState;
use super::topic::Topic;

#[derive(Debug, Default)]
pub struct Topics {
    maps: RwLock<Maps>,
}

#[derive(Debug, Default)]
struct Maps {
    by_name: HashMap<String, Arc<Topic>>,
    by_id: HashMap<u64, Arc<Topic>>,
}

impl Topics {
    pub fn by_name(&self, name: &str) -> Option<Arc<Topic>> {
        self.read().by_name.get(name).cloned()
    }

    /// A partition of a live topic, by topic id; `None` once the topic is deleted.
    pub fn partition(&self, topic_id: u64, partition: u32) -> Option<Arc<PartitionState>> {
        self.read().by_id.get(&topic_id)?.partitions.get(partition as usize).cloned()
    }

    /// Adds a topic, or replaces one of the same name (grown by AddPartitions, altered).
    pub fn insert(&self, topic: Arc<Topic>) {
        let mut maps = self.write();
        maps.by_id.insert(topic.meta.id, topic.clone());
        maps.by_name.insert(topic.name().to_string(), topic);
    }

    pub fn remove(&self, name: &str) -> Option<Arc<Topic>> {
        let mut maps = self.write();
        let topic = maps.by_name.remove(name)?;
        maps.by_id.remove(&topic.meta.id);
        Some(topic)
    }

    /// Every topic, at this moment.
    pub fn snapshot(&self) -> Vec<Arc<Topic>> {
        self.read().by_name.values().cloned().collect()
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Maps> {
        self.maps.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Maps> {
        self.maps.write().unwrap_or_else(|p| p.into_inner())
    }
}
