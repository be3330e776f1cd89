//! Topic configs under Kafka's names: DescribeConfigs, AlterConfigs (replaces a topic's
//! overrides) and IncrementalAlterConfigs (SET and DELETE one by one). strata's topic settings
//! are retention.ms, retention.bytes and cleanup.policy (always delete); any other name is
//! refused with INVALID_CONFIG naming it.
use std::sync::Arc;

use kafka_protocol::messages::alter_configs_request::AlterConfigsRequest;
use kafka_protocol::messages::alter_configs_response::{AlterConfigsResourceResponse, AlterConfigsResponse};
use kafka_protocol::messages::describe_configs_request::DescribeConfigsRequest;
use kafka_protocol::messages::describe_configs_response::{
    DescribeConfigsResourceResult, DescribeConfigsResponse, DescribeConfigsResult,
};
use kafka_protocol::messages::incremental_alter_configs_request::IncrementalAlterConfigsRequest;
use kafka_protocol::messages::incremental_alter_configs_response::{
    AlterConfigsResourceResponse as IncrementalResult, IncrementalAlterConfigsResponse,
};
use kafka_protocol::protocol::StrBytes;

use super::{Context, errors, text};
use crate::broker::{ConfigSource, Effective, TopicConfig};
use crate::error::{Error, Result};

/// Kafka's resource types.
const TOPIC: i8 = 2;
const BROKER: i8 = 4;
/// Kafka's config sources and types.
const DYNAMIC_TOPIC_CONFIG: i8 = 1;
const STATIC_BROKER_CONFIG: i8 = 4;
const DEFAULT_CONFIG: i8 = 5;
const STRING: i8 = 2;
const LONG: i8 = 5;
/// IncrementalAlterConfigs operations.
const SET: i8 = 0;
const DELETE: i8 = 1;

/// Applies one Kafka topic config to `config` (`None` value: back to the broker default).
pub(super) fn set(config: &mut TopicConfig, reset: &mut Vec<String>, key: &str, value: Option<&str>) -> Result<()> {
    let number = |value: &str| -> Result<i64> {
        value.parse::<i64>().map_err(|_| {
            Error::invalid("config", format!("{key}={value}: a whole number (or -1 for no limit) was expected"))
        })
    };
    match (key, value) {
        ("retention.ms", Some(v)) => config.retention_ms = Some(number(v)?),
        ("retention.bytes", Some(v)) => config.retention_bytes = Some(number(v)?),
        ("retention.ms", None) => reset.push("retention_ms".into()),
        ("retention.bytes", None) => reset.push("retention_bytes".into()),
        // Deletion by retention is what strata does; compaction does not exist.
        ("cleanup.policy", v) if v.is_none_or(|v| v == "delete") => {}
        ("cleanup.policy", _) => {
            return Err(Error::invalid("config", "cleanup.policy: only \"delete\" is supported (no compaction)"));
        }
        (other, _) => {
            return Err(Error::invalid(
                "config",
                format!(
                    "unknown topic config \"{other}\": strata supports retention.ms, retention.bytes and \
                     cleanup.policy=delete"
                ),
            ));
        }
    }
    Ok(())
}

pub(super) async fn describe(
    context: Arc<Context>,
    request: DescribeConfigsRequest,
    _version: i16,
) -> DescribeConfigsResponse {
    let mut response = DescribeConfigsResponse::default();
    for resource in request.resources {
        let mut result = DescribeConfigsResult::default();
        let wanted = |name: &str| {
            resource.configuration_keys.as_ref().is_none_or(|keys| keys.iter().any(|k| k.as_str() == name))
        };
        match resource.resource_type {
            TOPIC => match context.broker.describe_topic(&resource.resource_name) {
                Ok(topic) => {
                    let entries = [
                        ("retention.ms", config_value(topic.effective.retention_ms), LONG),
                        ("retention.bytes", config_value(topic.effective.retention_bytes), LONG),
                        ("cleanup.policy", ("delete".to_string(), DEFAULT_CONFIG), STRING),
                    ];
                    result.configs = entries
                        .into_iter()
                        .filter(|(name, _, _)| wanted(name))
                        .map(|(name, (value, source), kind)| entry(name, value, source, kind))
                        .collect();
                }
                Err(e) => {
                    result.error_code = errors::code(&e);
                    result.error_message = errors::message(&e);
                }
            },
            // No broker setting is exposed (nor changeable) over Kafka yet.
            BROKER => {}
            other => {
                let e =
                    Error::invalid("resource_type", format!("{other}: only topics (2) and brokers (4) have configs"));
                result.error_code = errors::code(&e);
                result.error_message = errors::message(&e);
            }
        }
        result.resource_type = resource.resource_type;
        result.resource_name = resource.resource_name;
        response.results.push(result);
    }
    response
}

fn config_value(effective: Effective) -> (String, i8) {
    let source = match effective.source {
        ConfigSource::Topic => DYNAMIC_TOPIC_CONFIG,
        ConfigSource::BrokerDefault => STATIC_BROKER_CONFIG,
    };
    (effective.value.to_string(), source)
}

fn entry(name: &str, value: String, source: i8, kind: i8) -> DescribeConfigsResourceResult {
    let mut entry = DescribeConfigsResourceResult::default();
    entry.name = text(name);
    entry.value = Some(text(&value));
    entry.read_only = name == "cleanup.policy";
    entry.config_source = source;
    entry.config_type = kind;
    entry
}

pub(super) async fn alter(context: Arc<Context>, request: AlterConfigsRequest, _version: i16) -> AlterConfigsResponse {
    let mut response = AlterConfigsResponse::default();
    for resource in request.resources {
        // AlterConfigs replaces: what is not named goes back to the broker default.
        let changes: Vec<(String, Option<String>)> =
            resource.configs.iter().map(|c| (c.name.to_string(), c.value.as_ref().map(|v| v.to_string()))).collect();
        let mut reset: Vec<String> = ["retention.ms", "retention.bytes"]
            .into_iter()
            .filter(|name| !changes.iter().any(|(n, _)| n == name))
            .map(|name| name.replace('.', "_"))
            .collect();
        let altered = apply(
            &context,
            resource.resource_type,
            &resource.resource_name,
            changes,
            &mut reset,
            request.validate_only,
        )
        .await;
        let mut result = AlterConfigsResourceResponse::default();
        (result.error_code, result.error_message) = outcome(altered);
        result.resource_type = resource.resource_type;
        result.resource_name = resource.resource_name;
        response.responses.push(result);
    }
    response
}

pub(super) async fn alter_incrementally(
    context: Arc<Context>,
    request: IncrementalAlterConfigsRequest,
    _version: i16,
) -> IncrementalAlterConfigsResponse {
    let mut response = IncrementalAlterConfigsResponse::default();
    for resource in request.resources {
        let mut changes = Vec::new();
        let mut refused = None;
        for c in &resource.configs {
            match c.config_operation {
                SET => changes
                    .push((c.name.to_string(), Some(c.value.as_ref().map(|v| v.to_string()).unwrap_or_default()))),
                DELETE => changes.push((c.name.to_string(), None)),
                op => {
                    let reason =
                        format!("{}: operation {op} (APPEND or SUBTRACT) needs a list config", c.name.as_str());
                    refused = Some(Error::invalid("config", reason));
                }
            }
        }
        let altered = match refused {
            Some(e) => Err(e),
            None => {
                apply(
                    &context,
                    resource.resource_type,
                    &resource.resource_name,
                    changes,
                    &mut Vec::new(),
                    request.validate_only,
                )
                .await
            }
        };
        let mut result = IncrementalResult::default();
        (result.error_code, result.error_message) = outcome(altered);
        result.resource_type = resource.resource_type;
        result.resource_name = resource.resource_name;
        response.responses.push(result);
    }
    response
}

/// Sets `changes` (a `None` value resets) and resets `reset` on a topic.
async fn apply(
    context: &Context,
    resource_type: i8,
    name: &StrBytes,
    changes: Vec<(String, Option<String>)>,
    reset: &mut Vec<String>,
    validate_only: bool,
) -> Result<()> {
    if resource_type != TOPIC {
        return Err(Error::invalid("resource_type", format!("{resource_type}: only topic configs (2) can be changed")));
    }
    let mut config = TopicConfig::default();
    for (key, value) in &changes {
        set(&mut config, reset, key, value.as_deref())?;
    }
    context.broker.topic(name)?;
    if validate_only {
        return Ok(());
    }
    context.broker.alter_topic_config(name, config, reset).await.map(|_| ())
}

fn outcome(altered: Result<()>) -> (i16, Option<StrBytes>) {
    match altered {
        Ok(()) => (0, None),
        Err(e) => (errors::code(&e), errors::message(&e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topic_configs_are_kafkas_names_and_unknown_ones_are_named_in_the_error() {
        let (mut config, mut reset) = (TopicConfig::default(), Vec::new());
        set(&mut config, &mut reset, "retention.ms", Some("60000")).expect("retention.ms");
        set(&mut config, &mut reset, "retention.bytes", Some("-1")).expect("retention.bytes");
        set(&mut config, &mut reset, "cleanup.policy", Some("delete")).expect("delete policy");
        assert_eq!((config.retention_ms, config.retention_bytes), (Some(60_000), Some(-1)));
        set(&mut config, &mut reset, "retention.ms", None).expect("reset");
        assert_eq!(reset, vec!["retention_ms".to_string()]);
        let unknown = set(&mut config, &mut reset, "segment.bytes", Some("1")).expect_err("unknown");
        assert!(unknown.to_string().contains("segment.bytes"), "{unknown}");
        assert_eq!(errors::code(&unknown), 40, "INVALID_CONFIG");
        assert!(set(&mut config, &mut reset, "cleanup.policy", Some("compact")).is_err());
        assert!(set(&mut config, &mut reset, "retention.ms", Some("soon")).is_err());
    }
}
