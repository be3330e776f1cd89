//! Changing a topic after creation: retention overrides (AlterTopicConfig) and more partitions
//! (AddPartitions). Both replace the topic's in-memory entry; partitions keep their state.
use std::sync::Arc;

use super::Broker;
use super::admin::{TopicConfig, TopicInfo, validate_limit};
use super::partition::{PartitionExtent, PartitionState};
use super::retention::RetentionLimits;
use super::topic::Topic;
use crate::config::MAX_PARTITIONS;
use crate::error::{Error, Result};
use crate::proto::meta::TopicMeta;

/// Where an effective setting comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigSource {
    Topic,
    BrokerDefault,
}

/// A setting as enforced: the value (-1 = unlimited) and its source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Effective {
    pub value: i64,
    pub source: ConfigSource,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EffectiveConfig {
    pub retention_ms: Effective,
    pub retention_bytes: Effective,
}

impl EffectiveConfig {
    pub fn limits(&self) -> RetentionLimits {
        RetentionLimits { ms: self.retention_ms.value, bytes: self.retention_bytes.value }
    }
}

fn effective(topic_value: Option<i64>, default: i64) -> Effective {
    match topic_value {
        Some(value) => Effective { value, source: ConfigSource::Topic },
        None => Effective { value: default, source: ConfigSource::BrokerDefault },
    }
}

/// Overrides AlterTopicConfig may reset to the broker default.
pub const RESETTABLE: [&str; 2] = ["retention_ms", "retention_bytes"];

impl Broker {
    /// The retention a topic gets: its overrides, else the broker's flags.
    pub fn effective_config(&self, meta: &TopicMeta) -> EffectiveConfig {
        let defaults = self.config.retention;
        EffectiveConfig {
            retention_ms: effective(meta.retention_ms, defaults.ms),
            retention_bytes: effective(meta.retention_bytes, defaults.bytes),
        }
    }

    /// Sets the overrides present in `config` and drops those named in `reset`.
    pub async fn alter_topic_config(&self, name: &str, config: TopicConfig, reset: &[String]) -> Result<TopicInfo> {
        self.ensure_open()?;
        validate_limit("config.retention_ms", config.retention_ms)?;
        validate_limit("config.retention_bytes", config.retention_bytes)?;
        if let Some(unknown) = reset.iter().find(|r| !RESETTABLE.contains(&r.as_str())) {
            return Err(Error::invalid("reset", format!("\"{unknown}\" is not one of {RESETTABLE:?}")));
        }
        let _admin = self.admin.lock().await;
        let topic = self.topic(name)?;
        let mut meta = topic.meta.clone();
        for field in reset {
            match field.as_str() {
                "retention_ms" => meta.retention_ms = None,
                _ => meta.retention_bytes = None,
            }
        }
        meta.retention_ms = config.retention_ms.or(meta.retention_ms);
        meta.retention_bytes = config.retention_bytes.or(meta.retention_bytes);
        let stored = meta.clone();
        self.blocking(move |store| store.update_topic(&stored)).await?;
        Ok(self.replace_topic(Topic::new(meta, topic.partitions.clone())))
    }

    /// Grows `name` to `count` partitions in total; new partitions start empty.
    pub async fn add_partitions(&self, name: &str, count: u32) -> Result<TopicInfo> {
        self.ensure_open()?;
        let _admin = self.admin.lock().await;
        let topic = self.topic(name)?;
        let current = topic.meta.partitions;
        if count <= current || count > MAX_PARTITIONS {
            let reason = format!(
                "topic \"{name}\" has {current} partitions; count is the new total and must be within {}..={MAX_PARTITIONS} (partitions are never removed)",
                current + 1
            );
            return Err(Error::invalid("count", reason));
        }
        let grown = TopicMeta { partitions: count, ..topic.meta.clone() };
        let meta = self.blocking(move |store| store.add_partitions(grown, current)).await?;
        let topic_name: Arc<str> = meta.name.as_str().into();
        let mut partitions = topic.partitions.clone();
        partitions.extend(
            (current..count)
                .map(|p| Arc::new(PartitionState::new(meta.id, topic_name.clone(), p, PartitionExtent::default()))),
        );
        tracing::info!(topic = name, from = current, to = count, "partitions added");
        self.top_up_in_background();
        Ok(self.replace_topic(Topic::new(meta, partitions)))
    }

    fn replace_topic(&self, topic: Topic) -> TopicInfo {
        let topic = Arc::new(topic);
        let info = self.describe(&topic);
        self.topics.insert(topic);
        info
    }
}
