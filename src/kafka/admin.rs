//! CreateTopics (with configs, see `configs.rs`), DeleteTopics, CreatePartitions and
//! DeleteRecords.
use std::sync::Arc;

use kafka_protocol::messages::create_partitions_request::CreatePartitionsRequest;
use kafka_protocol::messages::create_partitions_response::{CreatePartitionsResponse, CreatePartitionsTopicResult};
use kafka_protocol::messages::create_topics_request::{CreatableTopic, CreateTopicsRequest};
use kafka_protocol::messages::create_topics_response::{CreatableTopicResult, CreateTopicsResponse};
use kafka_protocol::messages::delete_records_request::DeleteRecordsRequest;
use kafka_protocol::messages::delete_records_response::{
    DeleteRecordsPartitionResult, DeleteRecordsResponse, DeleteRecordsTopicResult,
};
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
    context.broker.refuse_existing_topic(&name)?;
    if !topic.assignments.is_empty() {
        return Err(Error::invalid("assignments", "manual replica assignment is not supported: leave it empty"));
    }
    let mut config = TopicConfig::default();
    let mut reset = Vec::new(); // nothing to reset on a new topic
    for entry in &topic.configs {
        super::configs::set(&mut config, &mut reset, entry.name.as_str(), entry.value.as_ref().map(|v| v.as_str()))?;
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
    let replicas = replication_factor.unwrap_or_else(|| context.broker.replication_factor()) as i16;
    if validate_only {
        // An existing topic is told first, before its replication factor, as Kafka's controller
        // answers (and as a create that is carried out is).
        if context.broker.topic(&name).is_ok() {
            return Err(Error::TopicExists(name));
        }
        context.broker.shard_class(replication_factor)?;
        let count = if partitions == 0 { context.broker.config().default_partitions } else { partitions };
        return Ok((count as i32, replicas));
    }
    let created = context.broker.create_topic_with_copies(&name, partitions, config, replication_factor).await?;
    let TopicInfo { partition_count, .. } = created;
    Ok((partition_count as i32, replicas))
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

pub(super) async fn create_partitions(
    context: Arc<Context>,
    request: CreatePartitionsRequest,
    _version: i16,
) -> CreatePartitionsResponse {
    let mut response = CreatePartitionsResponse::default();
    for topic in request.topics {
        let grown = match (u32::try_from(topic.count), topic.assignments.as_ref().is_some_and(|a| !a.is_empty())) {
            (_, true) => {
                Err(Error::invalid("assignments", "manual replica assignment is not supported: leave it null"))
            }
            (Err(_), _) => Err(Error::invalid("count", format!("{} partitions", topic.count))),
            (Ok(count), _) if request.validate_only => context.broker.topic(&topic.name).and_then(|t| {
                if count > t.meta.partitions {
                    Ok(())
                } else {
                    Err(Error::invalid(
                        "count",
                        format!("{count}: the topic has {} partitions already", t.meta.partitions),
                    ))
                }
            }),
            (Ok(count), _) => context.broker.add_partitions(&topic.name, count).await.map(|_| ()),
        };
        let mut result = CreatePartitionsTopicResult::default();
        if let Err(e) = grown {
            // Kafka's code for a count that does not grow the topic.
            result.error_code = if matches!(e, Error::InvalidArgument { field: "count", .. }) {
                kafka_protocol::error::ResponseError::InvalidPartitions.code()
            } else {
                errors::code(&e)
            };
            result.error_message = errors::message(&e);
        }
        result.name = topic.name;
        response.results.push(result);
    }
    response
}

pub(super) async fn delete_records(
    context: Arc<Context>,
    request: DeleteRecordsRequest,
    _version: i16,
) -> DeleteRecordsResponse {
    let mut response = DeleteRecordsResponse::default();
    for topic in request.topics {
        let mut result = DeleteRecordsTopicResult::default();
        for p in topic.partitions {
            let mut partition = DeleteRecordsPartitionResult::default();
            partition.partition_index = p.partition_index;
            let index = u32::try_from(p.partition_index).unwrap_or(u32::MAX);
            // -1 deletes up to the high watermark, as in Kafka.
            let before = match p.offset {
                -1 => context.broker.partition(&topic.name, index).map(|(_, state)| state.high_watermark()),
                offset => Ok(offset),
            };
            match before {
                Ok(before) => match context.broker.delete_records(&topic.name, index, before).await {
                    Ok(low_watermark) => partition.low_watermark = low_watermark,
                    Err(e) => (partition.error_code, partition.low_watermark) = (errors::code(&e), -1),
                },
                Err(e) => (partition.error_code, partition.low_watermark) = (errors::code(&e), -1),
            }
            result.partitions.push(partition);
        }
        result.name = topic.name;
        response.topics.push(result);
    }
    response
}
