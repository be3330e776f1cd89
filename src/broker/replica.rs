//! A replica for tests: a second data dir that applies the commit-log entries a broker applied
//! (handed out by its `commit_log_tap`), as a follower will. Apply must be deterministic, so
//! after the same entries [`Replica::dump`] equals the broker's [`Broker::dump`] byte for byte.
use std::path::Path;
use std::sync::Arc;

use prost::Message;

use super::Broker;
use super::apply::{Applier, Op};
use super::partition::{PartitionExtent, PartitionState};
use super::producers::{ProducerLimits, ProducerTable};
use super::topic::Topic;
use super::topics::Topics;
use crate::proto::log as pb;
use crate::proto::meta::TopicMeta;
use crate::storage::{Store, StoreDump, StoreOptions};

pub struct Replica {
    applier: Applier,
}

impl Replica {
    /// A replica with an empty data dir at `dir`.
    pub fn open(dir: &Path) -> anyhow::Result<Self> {
        let store = Store::open(dir, &StoreOptions::default())?;
        let applier = Applier {
            store,
            topics: Arc::new(Topics::default()),
            producers: ProducerTable::empty(),
            producer_limits: ProducerLimits::default(),
            leader_epoch: 0,
            published: Default::default(),
        };
        Ok(Replica { applier })
    }

    /// Creates the topics of `topics` it lacks, with the same ids (what the metadata log will
    /// carry to replicas).
    pub fn add_topics(&mut self, topics: &[TopicMeta]) -> anyhow::Result<()> {
        for meta in topics.iter().filter(|t| self.applier.topics.by_name(&t.name).is_none()) {
            let meta = self.applier.store.create_topic(TopicMeta { slots: Vec::new(), ..meta.clone() })?;
            let name: Arc<str> = meta.name.as_str().into();
            let partitions = (0..meta.partitions)
                .map(|p| Arc::new(PartitionState::new(meta.id, name.clone(), p, PartitionExtent::default())))
                .collect();
            self.applier.topics.insert(Arc::new(Topic::new(meta, partitions)));
        }
        Ok(())
    }

    /// Applies one entry; every op in it must succeed, as it did on the broker.
    pub fn apply(&mut self, entry: &[u8]) -> anyhow::Result<()> {
        let command = pb::Command::decode(entry)?;
        let mut ops = command.ops.into_iter().map(Op::try_from).collect::<Result<Vec<_>, _>>()?;
        for result in self.applier.apply(&mut ops, &[], |_| false) {
            result.map_err(|e| anyhow::anyhow!("an op the broker applied failed on the replica: {e}"))?;
        }
        Ok(())
    }

    pub fn dump(&self) -> anyhow::Result<StoreDump> {
        Ok(self.applier.store.dump(&metas(&self.applier.topics))?)
    }
}

impl Broker {
    /// Everything apply wrote (see [`StoreDump`]); reads every row. For tests and debugging.
    pub fn dump(&self) -> anyhow::Result<StoreDump> {
        Ok(self.store.dump(&metas(&self.topics))?)
    }
}

/// Every topic's record, by id.
fn metas(topics: &Topics) -> Vec<TopicMeta> {
    let mut metas: Vec<TopicMeta> = topics.snapshot().iter().map(|t| t.meta.clone()).collect();
    metas.sort_by_key(|m| m.id);
    metas
}
