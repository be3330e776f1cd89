//! Topic administration: create, delete, list, describe.
use super::Broker;
use super::alter::EffectiveConfig;
use super::apply::Op;
use super::catalog::{self, CatalogApplied, CatalogOp};
use super::commit_loop::{Job, Reply};
use super::produce::now_ms;
use super::topic::Topic;
use crate::config::MAX_PARTITIONS;
use crate::error::{Error, Result};

/// Per-topic overrides; `None` = the broker default, `-1` = unlimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TopicConfig {
    pub retention_ms: Option<i64>,
    pub retention_bytes: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartitionInfo {
    pub partition: u32,
    pub log_start_offset: i64,
    pub high_watermark: i64,
    pub size_bytes: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicInfo {
    pub name: String,
    pub partition_count: u32,
    /// The topic's own overrides.
    pub config: TopicConfig,
    /// What is enforced, and where each value comes from.
    pub effective: EffectiveConfig,
    /// Filled by describe; empty in listings.
    pub partitions: Vec<PartitionInfo>,
}

impl Broker {
    /// Creates a topic (`partitions == 0` takes `--default-partitions`) at the cluster's
    /// default replication factor.
    pub async fn create_topic(&self, name: &str, partitions: u32, config: TopicConfig) -> Result<TopicInfo> {
        self.create_topic_with_copies(name, partitions, config, None).await
    }

    /// Creates a topic whose partitions keep `replication_factor` copies (unset: the
    /// cluster's default), in the shards of that factor's class.
    pub async fn create_topic_with_copies(
        &self,
        name: &str,
        partitions: u32,
        config: TopicConfig,
        replication_factor: Option<u32>,
    ) -> Result<TopicInfo> {
        self.ensure_open()?;
        validate_topic_name(name)?;
        self.refuse_existing_topic(name)?;
        let shard_class = self.shard_class(replication_factor)?;
        let partitions = if partitions == 0 { self.config.default_partitions } else { partitions };
        if partitions > MAX_PARTITIONS {
            return Err(Error::invalid("partitions", format!("{partitions} is over the limit of {MAX_PARTITIONS}")));
        }
        validate_limit("config.retention_ms", config.retention_ms)?;
        validate_limit("config.retention_bytes", config.retention_bytes)?;
        let op = CatalogOp::CreateTopic {
            name: name.to_string(),
            partitions,
            retention_ms: config.retention_ms,
            retention_bytes: config.retention_bytes,
            created_ms: now_ms(),
            shard_class,
            id: None,
        };
        self.catalog_topic(op).await
    }

    /// Deletes a topic with its records and committed offsets. Requests already queued for it
    /// either complete before the deletion or fail with NOT_FOUND.
    pub async fn delete_topic(&self, name: &str) -> Result<()> {
        self.ensure_open()?;
        self.catalog(CatalogOp::DeleteTopic { name: name.to_string() }).await.map(|_| ())
    }

    /// Applies a catalog op that leaves a topic, and describes it.
    pub(super) async fn catalog_topic(&self, op: CatalogOp) -> Result<TopicInfo> {
        match self.catalog(op).await? {
            CatalogApplied::Topic { topic, .. } => Ok(self.describe(&topic)),
            CatalogApplied::Deleted { .. } => Err(Error::WriteFailed),
        }
    }

    /// Applies a catalog op (one at a time), then does this broker's share of the work it
    /// leaves: spare families for the next topic, reclaiming a deleted one's, forgetting its
    /// producers.
    async fn catalog(&self, op: CatalogOp) -> Result<CatalogApplied> {
        if let Some(replication) = &self.replication {
            // Every broker applies it, and does its share from the catalog events.
            return replication.propose_catalog(op).await;
        }
        let _admin = self.admin.lock().await;
        let (store, topics) = (self.store.clone(), self.topics.clone());
        let applied = match tokio::task::spawn_blocking(move || catalog::apply(&store, &topics, op)).await {
            Ok(applied) => applied?,
            Err(join) => std::panic::resume_unwind(join.into_panic()),
        };
        self.after_catalog(&applied);
        if let CatalogApplied::Deleted { topic_id, .. } = &applied {
            // The producers' states went with the topic on disk; now from memory too.
            let forget = Job::new(Op::ForgetTopic { topic_id: *topic_id }, false, Reply::Nobody);
            let _ = self.jobs.send(forget).await;
        }
        Ok(applied)
    }

    /// This broker's own share of an applied catalog change: spare families for the next
    /// topic, reclaiming a deleted one's.
    pub(super) fn after_catalog(&self, applied: &CatalogApplied) {
        match applied {
            CatalogApplied::Topic { new_families: true, .. } => self.top_up_in_background(),
            CatalogApplied::Topic { .. } => {}
            CatalogApplied::Deleted { emptied, .. } => self.reclaim_in_background(emptied.clone()),
        }
    }

    /// Every topic, sorted by name, without per-partition detail.
    pub fn list_topics(&self) -> Vec<TopicInfo> {
        let mut list: Vec<TopicInfo> =
            self.topics_snapshot().iter().map(|t| TopicInfo { partitions: Vec::new(), ..self.describe(t) }).collect();
        list.sort_by(|a, b| a.name.cmp(&b.name));
        list
    }

    /// A topic with each partition's log start, high watermark and size.
    pub fn describe_topic(&self, name: &str) -> Result<TopicInfo> {
        Ok(self.describe(&*self.topic(name)?))
    }

    pub(super) fn describe(&self, topic: &Topic) -> TopicInfo {
        TopicInfo {
            name: topic.name().to_string(),
            partition_count: topic.meta.partitions,
            config: TopicConfig { retention_ms: topic.meta.retention_ms, retention_bytes: topic.meta.retention_bytes },
            effective: self.effective_config(&topic.meta),
            partitions: describe_partitions(topic),
        }
    }
}

fn describe_partitions(topic: &Topic) -> Vec<PartitionInfo> {
    topic
        .partitions
        .iter()
        .map(|p| PartitionInfo {
            partition: p.partition,
            log_start_offset: p.log_start(),
            high_watermark: p.high_watermark(),
            size_bytes: p.size_bytes(),
        })
        .collect()
}

/// Kafka's rules: 1–249 characters of `[a-zA-Z0-9._-]`, and not `.` or `..`.
pub fn validate_topic_name(name: &str) -> Result<()> {
    const RULE: &str = "topic names are 1-249 characters of [a-zA-Z0-9._-], not \".\" or \"..\"";
    let shown: String = name.chars().take(64).collect();
    if name.is_empty() || name.len() > 249 || name == "." || name == ".." {
        return Err(Error::invalid("name", format!("\"{shown}\" ({} bytes): {RULE}", name.len())));
    }
    if let Some(bad) = name.chars().find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))) {
        return Err(Error::invalid("name", format!("\"{shown}\" contains {bad:?}: {RULE}")));
    }
    Ok(())
}

/// A retention limit is unset, -1 (unlimited) or positive.
pub(super) fn validate_limit(field: &'static str, value: Option<i64>) -> Result<()> {
    match value {
        Some(v) if v != -1 && v <= 0 => {
            Err(Error::invalid(field, format!("{v}: use a positive value, or -1 for unlimited")))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topic_names_follow_kafka_rules() {
        for ok in ["a", "orders", "orders.v2", "my_topic-1", &"x".repeat(249)] {
            assert!(validate_topic_name(ok).is_ok(), "{ok}");
        }
        for bad in ["", ".", "..", "has space", "slash/name", "ünïcode", &"x".repeat(250)] {
            assert!(validate_topic_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn retention_limits_are_positive_or_unlimited() {
        assert!(validate_limit("f", None).is_ok());
        assert!(validate_limit("f", Some(-1)).is_ok());
        assert!(validate_limit("f", Some(1)).is_ok());
        assert!(validate_limit("f", Some(0)).is_err());
        assert!(validate_limit("f", Some(-2)).is_err());
    }
}
