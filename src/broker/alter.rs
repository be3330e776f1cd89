//! Changing a topic after creation: retention overrides (AlterTopicConfig) and more partitions
//! (AddPartitions). Both replace the topic's in-memory entry; partitions keep their state.
use super::Broker;
use super::admin::{TopicConfig, TopicInfo, validate_limit};
use super::catalog::CatalogOp;
use super::retention::RetentionLimits;
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
        self.catalog_topic(CatalogOp::AlterTopic {
            name: name.to_string(),
            retention_ms: config.retention_ms,
            retention_bytes: config.retention_bytes,
            reset: reset.to_vec(),
        })
        .await
    }

    /// Grows `name` to `count` partitions in total; new partitions start empty.
    pub async fn add_partitions(&self, name: &str, count: u32) -> Result<TopicInfo> {
        self.ensure_open()?;
        let current = self.topic(name)?.meta.partitions;
        if count <= current || count > MAX_PARTITIONS {
            let reason = format!(
                "topic \"{name}\" has {current} partitions; count is the new total and must be within {}..={MAX_PARTITIONS} (partitions are never removed)",
                current + 1
            );
            return Err(Error::invalid("count", reason));
        }
        self.catalog_topic(CatalogOp::AddPartitions { name: name.to_string(), count }).await
    }
}
