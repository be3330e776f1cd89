//! CreateTopics and DeleteTopics. Topic settings are Kafka's config names; every one strata has
//! is accepted, any other is refused with INVALID_CONFIG naming it.
use std::sync::Arc;

use kafka_protocol::messages::create_topics_request::{CreatableTopic, CreateTopicsRequest};
use kafka_protocol::messages::create_topics_response::{CreatableTopicResult, CreateTopicsResponse};
use kafka_protocol::messages::delete_topics_request::DeleteTopicsRequest;
use kafka_protocol::messages::delete_topics_response::{DeletableTopicResult, DeleteTopicsResponse};

use super::{Context, errors};
use crate::broker::{TopicConfig, TopicInfo, validate_topic_name};
use crate::error::{Error, Result};

pub(super) async fn create_topics(
    context: Arc<Context>,
    request: CreateTopicsRequest,
    _version: i16,
) -> CreateTopicsResponse {
    let mut response = CreateTopicsResponse::default();
    for topic in request.topics {
        let mut result = CreatableTopicResult::default();
        result.name = topic.name.clone();
        result.configs = Some(Vec::new());
        match create(&context, topic, request.validate_only).await {
            Ok((partitions, replicas)) => {
                result.num_partitions = partitions;
                result.replication_factor = replicas;
            }
            Err(e) => {
                result.error_code = errors::code(&e);
                result.error_message = errors::message(&e);
                result.num_partitions = -1;
                result.replication_factor = -1;
            }
        }
        response.topics.push(result);
    }
    response
}

/// Creates one topic (or only checks it, for `validate_only`); returns its partition count
/// and replication factor.
async fn create(context: &Context, topic: CreatableTopic, validate_only: bool) -> Result<(i32, i16)> {
    let name = topic.name.0.to_string();
    validate_topic_name(&name)?;
    if !topic.assignments.is_empty() {
        return Err(Error::invalid("assignments", "manual replica assignment is not supported: leave it empty"));
    }
    let mut config = TopicConfig::default();
    for entry in &topic.configs {
        set(&mut config, entry.name.as_str(), entry.value.as_ref().map(|v| v.as_str()))?;
    }
    let partitions = match topic.num_partitions {
        -1 => 0, // the broker's default
        n if n > 0 => n as u32,
        n => return Err(Error::invalid("partitions", format!("{n}: a topic needs at least one partition"))),
    };
    let replication_factor = match topic.replication_factor {
        -1 => None,
        n if n > 0 => Some(n as u32),
        n => return Err(Error::InvalidReplicationFactor(format!("{n}: a topic needs at least one copy"))),
    };
    context.broker.check_replication_factor(replication_factor)?;
    let replicas = context.broker.cluster_status().placement().replicas.len().max(1) as i16;
    if validate_only {
        return match context.broker.topic(&name) {
            Ok(_) => Err(Error::TopicExists(name)),
            Err(_) => Ok((partitions.max(context.broker.config().default_partitions) as i32, replicas)),
        };
    }
    let TopicInfo { partition_count, .. } = context.broker.create_topic(&name, partitions, config).await?;
    Ok((partition_count as i32, replicas))
}

/// Applies one Kafka topic config to `config`.
fn set(config: &mut TopicConfig, key: &str, value: Option<&str>) -> Result<()> {
    let number = |value: Option<&str>| -> Result<Option<i64>> {
        match value {
            None => Ok(None),
            Some(v) => v.parse::<i64>().map(Some).map_err(|_| {
                Error::invalid("config", format!("{key}={v}: a whole number (or -1 for no limit) was expected"))
            }),
        }
    };
    match key {
        "retention.ms" => config.retention_ms = number(value)?,
        "retention.bytes" => config.retention_bytes = number(value)?,
        // Deletion by retention is what strata does; compaction does not exist.
        "cleanup.policy" if value.is_none_or(|v| v == "delete") => {}
        "cleanup.policy" => {
            return Err(Error::invalid("config", "cleanup.policy: only \"delete\" is supported (no compaction)"));
        }
        other => {
            return Err(Error::invalid(
                "config",
                format!(
                    "unknown topic config \"{other}\": strata supports retention.ms, retention.bytes and cleanup.policy=delete"
                ),
            ));
        }
    }
    Ok(())
}

pub(super) async fn delete_topics(
    context: Arc<Context>,
    request: DeleteTopicsRequest,
    version: i16,
) -> DeleteTopicsResponse {
    // v6 names topics in `topics` (by name or id), earlier versions in `topic_names`.
    let names: Vec<Option<String>> = if version >= 6 {
        request.topics.into_iter().map(|t| t.name.map(|n| n.0.to_string())).collect()
    } else {
        request.topic_names.into_iter().map(|n| Some(n.0.to_string())).collect()
    };
    let mut response = DeleteTopicsResponse::default();
    for name in names {
        let mut result = DeletableTopicResult::default();
        let deleted = match &name {
            Some(name) => context.broker.delete_topic(name).await,
            None => Err(Error::invalid("topic", "topics are deleted by name: strata has no topic ids yet")),
        };
        result.name = name.as_deref().map(super::topic_name);
        if let Err(e) = deleted {
            result.error_code = errors::code(&e);
            result.error_message = errors::message(&e);
        }
        response.responses.push(result);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topic_configs_are_kafkas_names_and_unknown_ones_are_named_in_the_error() {
        let mut config = TopicConfig::default();
        set(&mut config, "retention.ms", Some("60000")).expect("retention.ms");
        set(&mut config, "retention.bytes", Some("-1")).expect("retention.bytes");
        set(&mut config, "cleanup.policy", Some("delete")).expect("delete policy");
        assert_eq!((config.retention_ms, config.retention_bytes), (Some(60_000), Some(-1)));
        let unknown = set(&mut config, "segment.bytes", Some("1")).expect_err("unknown");
        assert!(unknown.to_string().contains("segment.bytes"), "{unknown}");
        assert_eq!(errors::code(&unknown), 40, "INVALID_CONFIG");
        assert!(set(&mut config, "cleanup.policy", Some("compact")).is_err());
        assert!(set(&mut config, "retention.ms", Some("soon")).is_err());
    }
}
