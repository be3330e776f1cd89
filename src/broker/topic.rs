//! A topic as the broker holds it in memory.
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use super::partition::PartitionState;
use crate::error::{Error, Result};
use crate::proto::meta::TopicMeta;

#[derive(Debug)]
pub struct Topic {
    pub meta: TopicMeta,
    pub partitions: Vec<Arc<PartitionState>>,
    /// Where the next request's unkeyed records go (sticky per request, rotating across requests).
    next_sticky: AtomicU32,
}

impl Topic {
    pub fn new(meta: TopicMeta, partitions: Vec<Arc<PartitionState>>) -> Self {
        Topic { meta, partitions, next_sticky: AtomicU32::new(0) }
    }

    pub fn name(&self) -> &str {
        &self.meta.name
    }

    pub fn partition(&self, partition: u32) -> Result<&Arc<PartitionState>> {
        self.partitions.get(partition as usize).ok_or_else(|| Error::PartitionNotFound {
            topic: self.meta.name.clone(),
            partition,
            partitions: self.meta.partitions,
        })
    }

    /// The partition for this request's unkeyed records.
    pub fn sticky_partition(&self) -> u32 {
        self.next_sticky.fetch_add(1, Ordering::Relaxed) % self.meta.partitions
    }
}
