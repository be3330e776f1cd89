//! ConsumerGroupHeartbeat (KIP-848, `group.protocol=consumer`): the broker assigns and the
//! client heartbeats what it holds. strata's own groups work this way already, so the heartbeat
//! maps onto them: epoch 0 joins (under the member id the client chose, v1), a positive epoch
//! heartbeats with the partitions still held (null: unchanged), -1 and -2 leave. Topics travel
//! by Kafka topic id (`topic_ids.rs`).
use std::collections::BTreeSet;
use std::sync::Arc;

use kafka_protocol::messages::consumer_group_heartbeat_request::ConsumerGroupHeartbeatRequest;
use kafka_protocol::messages::consumer_group_heartbeat_response::{
    Assignment, ConsumerGroupHeartbeatResponse, TopicPartitions,
};

use super::topic_ids::{topic_name, topic_uuid};
use super::{Context, errors, text};
use crate::broker::groups::Membership;
use crate::error::{Error, Result};

/// Epochs with which a member leaves (-2: a static member, which strata treats alike).
const LEAVE: i32 = -1;
const STATIC_LEAVE: i32 = -2;

pub(super) async fn heartbeat(
    context: Arc<Context>,
    request: ConsumerGroupHeartbeatRequest,
    _version: i16,
) -> ConsumerGroupHeartbeatResponse {
    let mut response = ConsumerGroupHeartbeatResponse::default();
    match beat(&context, &request) {
        Ok(None) => {
            response.member_id = Some(request.member_id.clone());
            response.member_epoch = request.member_epoch;
        }
        Ok(Some(membership)) => {
            response.member_id = Some(text(&membership.member_id));
            response.member_epoch = membership.member_epoch;
            response.heartbeat_interval_ms = membership.heartbeat_interval.as_millis().min(i32::MAX as u128) as i32;
            response.assignment = Some(assignment(&context, &membership));
        }
        Err(e) => {
            response.error_code = errors::code(&e);
            response.error_message = errors::message(&e);
        }
    }
    response
}

/// Joins, heartbeats or leaves; `None` after leaving.
fn beat(context: &Context, request: &ConsumerGroupHeartbeatRequest) -> Result<Option<Membership>> {
    let group = request.group_id.0.as_str();
    let member = request.member_id.as_str();
    match request.member_epoch {
        LEAVE | STATIC_LEAVE => context.broker.leave_group(group, member).map(|()| None),
        0 => {
            if request.subscribed_topic_regex.as_ref().is_some_and(|r| !r.is_empty()) {
                return Err(Error::invalid(
                    "subscribed_topic_regex",
                    "subscribe to topic names: patterns are not supported yet",
                ));
            }
            let topics: Vec<String> =
                request.subscribed_topic_names.iter().flatten().map(|t| t.0.to_string()).collect();
            // v0 clients leave the id to the broker; v1 clients choose it.
            let chosen = (!member.is_empty()).then_some(member);
            context.broker.join_group_as(group, chosen, topics, 0, "").map(Some)
        }
        epoch => {
            let owned = match &request.topic_partitions {
                Some(held) => held
                    .iter()
                    .filter_map(|tp| Some((topic_name(context, tp.topic_id)?, tp)))
                    .flat_map(|(name, tp)| {
                        tp.partitions.iter().filter_map(move |p| Some((name.clone(), u32::try_from(*p).ok()?)))
                    })
                    .collect::<BTreeSet<_>>(),
                // Unchanged since the last heartbeat.
                None => context.broker.owned_by(group, member).unwrap_or_default(),
            };
            context.broker.heartbeat(group, member, epoch, &owned).map(Some)
        }
    }
}

fn assignment(context: &Context, membership: &Membership) -> Assignment {
    let mut assignment = Assignment::default();
    assignment.topic_partitions = membership
        .assignment
        .iter()
        .filter_map(|(topic, partitions)| {
            let id = context.broker.topic(topic).ok()?.meta.id;
            let mut tp = TopicPartitions::default();
            tp.topic_id = topic_uuid(context, id);
            tp.partitions = partitions.iter().filter_map(|p| i32::try_from(*p).ok()).collect();
            Some(tp)
        })
        .collect();
    assignment
}
