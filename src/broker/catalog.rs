//! The catalog: which topics exist, with their settings and partitions. Every change goes
//! through one seam, a [`CatalogOp`] applied in order ([`apply`]): admin requests validate
//! what they can and submit an op; apply decides against the current state (a name already
//! taken, a topic already gone) and updates the store and the topic registry together.
//!
//! One broker applies ops at once, under the admin lock. In a cluster the same ops are entries
//! of the Raft group's log (one group carries the catalog and every partition for now),
//! applied by every broker; what is local to one broker (column family slots, background
//! reclaim) stays a side effect of its own apply.
use std::sync::Arc;

use super::partition::{PartitionExtent, PartitionState};
use super::storage_errors;
use super::topic::Topic;
use super::topics::Topics;
use crate::error::{Error, Result};
use crate::proto::log as pb;
use crate::proto::meta::TopicMeta;
use crate::storage::Store;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CatalogOp {
    /// `id`: the topic's id when the log chooses it (a replicated log uses the entry's index,
    /// the same on every broker, with the shard class: `shards::topic_id`); `None`: the store's
    /// counter hands one out. `shard_class`: which data shards carry its partitions (0: those
    /// of the cluster's default replication factor).
    CreateTopic {
        name: String,
        partitions: u32,
        retention_ms: Option<i64>,
        retention_bytes: Option<i64>,
        created_ms: i64,
        shard_class: u8,
        id: Option<u64>,
    },
    DeleteTopic {
        name: String,
    },
    /// Sets the overrides given, then drops those named in `reset` ("retention_ms",
    /// "retention_bytes") back to the broker default.
    AlterTopic {
        name: String,
        retention_ms: Option<i64>,
        retention_bytes: Option<i64>,
        reset: Vec<String>,
    },
    /// Grows a topic to `count` partitions in total.
    AddPartitions {
        name: String,
        count: u32,
    },
}

impl From<CatalogOp> for pb::CatalogOp {
    fn from(op: CatalogOp) -> Self {
        use pb::catalog_op::Op as P;
        let op = match op {
            CatalogOp::CreateTopic {
                name,
                partitions,
                retention_ms,
                retention_bytes,
                created_ms,
                shard_class,
                id: _,
            } => P::CreateTopic(pb::CreateTopic {
                name,
                partitions,
                retention_ms,
                retention_bytes,
                created_ms,
                shard_class: u32::from(shard_class),
            }),
            CatalogOp::DeleteTopic { name } => P::DeleteTopic(pb::DeleteTopic { name }),
            CatalogOp::AlterTopic { name, retention_ms, retention_bytes, reset } => {
                P::AlterTopic(pb::AlterTopic { name, retention_ms, retention_bytes, reset })
            }
            CatalogOp::AddPartitions { name, count } => P::AddPartitions(pb::AddPartitions { name, count }),
        };
        pb::CatalogOp { op: Some(op) }
    }
}

impl CatalogOp {
    /// The op an entry carries; a created topic gets the id `index` (the entry's), with its
    /// shard class.
    pub fn from_entry(op: pb::CatalogOp, index: u64) -> Option<Self> {
        use pb::catalog_op::Op as P;
        Some(match op.op? {
            P::CreateTopic(c) => CatalogOp::CreateTopic {
                name: c.name,
                partitions: c.partitions,
                retention_ms: c.retention_ms,
                retention_bytes: c.retention_bytes,
                created_ms: c.created_ms,
                shard_class: c.shard_class as u8,
                id: Some(super::shards::topic_id(index, c.shard_class as u8)),
            },
            P::DeleteTopic(d) => CatalogOp::DeleteTopic { name: d.name },
            P::AlterTopic(a) => CatalogOp::AlterTopic {
                name: a.name,
                retention_ms: a.retention_ms,
                retention_bytes: a.retention_bytes,
                reset: a.reset,
            },
            P::AddPartitions(a) => CatalogOp::AddPartitions { name: a.name, count: a.count },
        })
    }
}

/// What an op did.
#[derive(Debug, Clone)]
pub enum CatalogApplied {
    /// The topic as it is now; `new_families`: it took partition families (create, grow).
    Topic { topic: Arc<Topic>, new_families: bool },
    /// The topic is gone; its emptied family slots wait to be reclaimed.
    Deleted { topic_id: u64, emptied: Vec<u32> },
}

/// Applies one op to the store and the registry. Blocking (RocksDB); ops must be applied one
/// at a time, in order.
pub fn apply(store: &Store, topics: &Topics, op: CatalogOp) -> Result<CatalogApplied> {
    match op {
        CatalogOp::CreateTopic { name, partitions, retention_ms, retention_bytes, created_ms, id, .. } => {
            if let Some(existing) = topics.by_name(&name) {
                // Applied again after a crash between its writes and the applied mark: done.
                if id == Some(existing.meta.id) {
                    return Ok(CatalogApplied::Topic { topic: existing, new_families: false });
                }
                return Err(Error::TopicExists(name));
            }
            let id = match id {
                Some(id) => id,
                None => store.next_topic_id().map_err(storage_errors::internal)?,
            };
            let requested =
                TopicMeta { id, name, partitions, retention_ms, retention_bytes, created_ms, slots: Vec::new() };
            let meta = store.create_topic(requested).map_err(storage_errors::internal)?;
            let topic = with_partitions(meta, Vec::new());
            topics.insert(topic.clone());
            tracing::info!(topic = topic.name(), partitions, "topic created");
            Ok(CatalogApplied::Topic { topic, new_families: true })
        }
        CatalogOp::DeleteTopic { name } => {
            let topic = topics.remove(&name).ok_or_else(|| Error::TopicNotFound(name.clone()))?;
            match store.delete_topic(&topic.meta) {
                Ok(emptied) => {
                    tracing::info!(topic = name, "topic deleted");
                    Ok(CatalogApplied::Deleted { topic_id: topic.meta.id, emptied })
                }
                Err(e) => {
                    // The delete is one atomic write: it failed whole, so the topic stays.
                    topics.insert(topic);
                    tracing::error!(topic = name, "deleting topic failed");
                    Err(storage_errors::internal(e))
                }
            }
        }
        CatalogOp::AlterTopic { name, retention_ms, retention_bytes, reset } => {
            let topic = topics.by_name(&name).ok_or(Error::TopicNotFound(name))?;
            let mut meta = topic.meta.clone();
            let kept = |field: &str, current: Option<i64>| current.filter(|_| !reset.iter().any(|r| r == field));
            // A value given wins over a reset of the same field.
            meta.retention_ms = retention_ms.or(kept("retention_ms", meta.retention_ms));
            meta.retention_bytes = retention_bytes.or(kept("retention_bytes", meta.retention_bytes));
            store.update_topic(&meta).map_err(storage_errors::internal)?;
            let topic = Arc::new(Topic::new(meta, topic.partitions.clone()));
            topics.insert(topic.clone());
            Ok(CatalogApplied::Topic { topic, new_families: false })
        }
        CatalogOp::AddPartitions { name, count } => {
            let topic = topics.by_name(&name).ok_or_else(|| Error::TopicNotFound(name.clone()))?;
            let current = topic.meta.partitions;
            if count <= current {
                let reason = format!("topic \"{name}\" already has {current} partitions; partitions are never removed");
                return Err(Error::invalid("count", reason));
            }
            let meta = store
                .add_partitions(TopicMeta { partitions: count, ..topic.meta.clone() }, current)
                .map_err(storage_errors::internal)?;
            let grown = with_partitions(meta, topic.partitions.clone());
            topics.insert(grown.clone());
            tracing::info!(topic = name, from = current, to = count, "partitions added");
            Ok(CatalogApplied::Topic { topic: grown, new_families: true })
        }
    }
}

/// The topic with `existing` partition states, and new empty ones up to its partition count.
fn with_partitions(meta: TopicMeta, mut existing: Vec<Arc<PartitionState>>) -> Arc<Topic> {
    let name: Arc<str> = meta.name.as_str().into();
    let from = existing.len() as u32;
    existing.extend(
        (from..meta.partitions)
            .map(|p| Arc::new(PartitionState::new(meta.id, name.clone(), p, PartitionExtent::default()))),
    );
    Arc::new(Topic::new(meta, existing))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::StoreOptions;

    fn create(name: &str, partitions: u32) -> CatalogOp {
        CatalogOp::CreateTopic {
            name: name.into(),
            partitions,
            retention_ms: Some(1_000),
            retention_bytes: None,
            created_ms: 5,
            shard_class: 0,
            id: None,
        }
    }

    fn topic(applied: Result<CatalogApplied>) -> Arc<Topic> {
        match applied.expect("applied") {
            CatalogApplied::Topic { topic, .. } => topic,
            CatalogApplied::Deleted { .. } => panic!("a topic was expected"),
        }
    }

    #[test]
    fn ops_are_decided_against_the_state_earlier_ops_left() {
        let dir = tempfile::tempdir().expect("dir");
        let store = Store::open(dir.path(), &StoreOptions::default()).expect("open");
        let topics = Topics::default();
        let first = topic(apply(&store, &topics, create("t", 2)));
        assert!(matches!(apply(&store, &topics, create("t", 1)), Err(Error::TopicExists(_))));
        let grown = topic(apply(&store, &topics, CatalogOp::AddPartitions { name: "t".into(), count: 3 }));
        assert_eq!(grown.partitions.len(), 3);
        assert!(Arc::ptr_eq(&grown.partitions[0], &first.partitions[0]), "partitions keep their state");
        let shrink = CatalogOp::AddPartitions { name: "t".into(), count: 3 };
        assert!(matches!(apply(&store, &topics, shrink), Err(Error::InvalidArgument { .. })));

        // A value given wins over a reset of the same field; a reset alone drops the override.
        let alter = |retention_bytes, reset: &[&str]| CatalogOp::AlterTopic {
            name: "t".into(),
            retention_ms: None,
            retention_bytes,
            reset: reset.iter().map(|r| r.to_string()).collect(),
        };
        let altered = topic(apply(&store, &topics, alter(Some(64), &["retention_bytes", "retention_ms"])));
        assert_eq!((altered.meta.retention_ms, altered.meta.retention_bytes), (None, Some(64)));

        let deleted = apply(&store, &topics, CatalogOp::DeleteTopic { name: "t".into() }).expect("deleted");
        assert!(matches!(deleted, CatalogApplied::Deleted { topic_id, .. } if topic_id == first.meta.id));
        assert!(topics.by_name("t").is_none());
        let again = topic(apply(&store, &topics, create("t", 1)));
        assert_ne!(again.meta.id, first.meta.id, "a recreated name is a new topic");
        assert_eq!(store.load_topics().expect("topics").len(), 1);
    }
}
