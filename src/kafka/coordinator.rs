//! FindCoordinator, OffsetCommit, OffsetFetch and OffsetDelete: the group coordinator is the leader, and
//! committed offsets are strata's own, shared with gRPC consumers (`strata group describe`
//! shows a Kafka group's positions and lag). A classic group's member commits under its
//! current generation; consumers that assign partitions themselves commit as they come.
use std::sync::Arc;

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::BrokerId;
use kafka_protocol::messages::find_coordinator_request::FindCoordinatorRequest;
use kafka_protocol::messages::find_coordinator_response::FindCoordinatorResponse;
use kafka_protocol::messages::offset_commit_request::OffsetCommitRequest;
use kafka_protocol::messages::offset_commit_response::{
    OffsetCommitResponse, OffsetCommitResponsePartition, OffsetCommitResponseTopic,
};
use kafka_protocol::messages::offset_delete_request::OffsetDeleteRequest;
use kafka_protocol::messages::offset_delete_response::{
    OffsetDeleteResponse, OffsetDeleteResponsePartition, OffsetDeleteResponseTopic,
};
use kafka_protocol::messages::offset_fetch_request::OffsetFetchRequest;
use kafka_protocol::messages::offset_fetch_response::{
    OffsetFetchResponse, OffsetFetchResponsePartition, OffsetFetchResponseTopic,
};

use super::brokers::View;
use super::{Context, errors};
use crate::broker::OffsetCommit;
use crate::error::Error;

/// Kafka's key type of a consumer group (1 is a transactional id).
const GROUP_KEY: i8 = 0;

pub(super) async fn find(
    context: Arc<Context>,
    request: FindCoordinatorRequest,
    _version: i16,
) -> FindCoordinatorResponse {
    let mut response = FindCoordinatorResponse::default();
    if request.key_type != GROUP_KEY {
        response.error_code = ResponseError::CoordinatorNotAvailable.code();
        response.error_message =
            Some(super::text("only consumer groups have coordinators: transactions are not supported"));
        response.node_id = BrokerId(-1);
        return response;
    }
    // The coordinator of every group is the Raft leader.
    match View::of(&context).meta_leader() {
        Some(leader) => {
            response.node_id = leader.id;
            response.host = super::text(&leader.host);
            response.port = leader.port;
        }
        None => {
            response.error_code = ResponseError::CoordinatorNotAvailable.code();
            response.node_id = BrokerId(-1);
        }
    }
    response
}

pub(super) async fn commit(context: Arc<Context>, request: OffsetCommitRequest, _version: i16) -> OffsetCommitResponse {
    let group = request.group_id.0.to_string();
    // A classic group's member commits under its generation; a consumer that assigns itself
    // partitions commits with generation -1 and no member id.
    let member = request.generation_id_or_member_epoch >= 0 || !request.member_id.is_empty();
    // A member of a strata group (KIP-848) commits under its member epoch, checked with the
    // partitions it owns; a classic member under its generation.
    let strata_member = member && context.broker.owned_by(&group, &request.member_id).is_some();
    let refused = if member && !strata_member {
        let checked =
            context.broker.check_classic_member(&group, request.generation_id_or_member_epoch, &request.member_id);
        checked.err().map(|e| errors::code(&e))
    } else {
        None
    };
    let as_member = strata_member.then_some((request.member_id.as_str(), request.generation_id_or_member_epoch));
    let mut response = OffsetCommitResponse::default();
    for topic in request.topics {
        let name = topic.name.0.to_string();
        let commits: Vec<OffsetCommit> = topic
            .partitions
            .iter()
            .map(|p| OffsetCommit {
                partition: u32::try_from(p.partition_index).unwrap_or(u32::MAX),
                offset: p.committed_offset,
                metadata: p.committed_metadata.as_ref().map(|m| m.to_string()).unwrap_or_default(),
            })
            .collect();
        let code = match refused {
            Some(code) => code,
            None => context
                .broker
                .commit_offsets(&group, &name, commits, as_member)
                .await
                .err()
                .as_ref()
                .map_or(0, errors::code),
        };
        let mut answered = OffsetCommitResponseTopic::default();
        answered.partitions = topic
            .partitions
            .iter()
            .map(|p| {
                let mut partition = OffsetCommitResponsePartition::default();
                partition.partition_index = p.partition_index;
                partition.error_code = code;
                partition
            })
            .collect();
        answered.name = topic.name;
        response.topics.push(answered);
    }
    response
}

pub(super) async fn fetch_offsets(
    context: Arc<Context>,
    request: OffsetFetchRequest,
    _version: i16,
) -> OffsetFetchResponse {
    let group = request.group_id.0.to_string();
    // Null topics (v2+) asks for every topic the group committed in.
    let wanted: Vec<(String, Vec<u32>)> = match request.topics {
        Some(topics) => topics
            .into_iter()
            .map(|t| {
                let partitions = t.partition_indexes.iter().map(|p| u32::try_from(*p).unwrap_or(u32::MAX)).collect();
                (t.name.0.to_string(), partitions)
            })
            .collect(),
        None => context.broker.topics_snapshot().iter().map(|t| (t.name().to_string(), Vec::new())).collect(),
    };
    let every_topic = wanted.iter().all(|(_, partitions)| partitions.is_empty());
    let mut response = OffsetFetchResponse::default();
    for (name, partitions) in wanted {
        let asked = partitions.clone();
        let mut answered = OffsetFetchResponseTopic::default();
        answered.name = super::topic_name(&name);
        match context.broker.committed_offsets(&group, &name, partitions).await {
            Ok(offsets) => {
                for committed in offsets.into_iter().filter(|c| !every_topic || c.offset >= 0) {
                    let mut partition = OffsetFetchResponsePartition::default();
                    partition.partition_index = committed.partition as i32;
                    partition.committed_offset = committed.offset;
                    partition.committed_leader_epoch = -1;
                    partition.metadata = Some(super::text(&committed.metadata));
                    answered.partitions.push(partition);
                }
            }
            Err(Error::NotCoordinator { .. }) | Err(Error::NotLeader { .. }) => {
                response.error_code = ResponseError::NotCoordinator.code();
            }
            Err(e) => {
                let code = errors::code(&e);
                answered.partitions = asked
                    .iter()
                    .map(|p| {
                        let mut partition = OffsetFetchResponsePartition::default();
                        partition.partition_index = *p as i32;
                        partition.committed_offset = -1;
                        partition.error_code = code;
                        partition
                    })
                    .collect();
            }
        }
        if !answered.partitions.is_empty() || !every_topic {
            response.topics.push(answered);
        }
    }
    response
}

/// OffsetDelete: a group's committed offsets in some partitions go (refused while the group
/// reads the topic, GROUP_SUBSCRIBED_TO_TOPIC, per partition as Kafka answers).
pub(super) async fn delete_offsets(
    context: Arc<Context>,
    request: OffsetDeleteRequest,
    _version: i16,
) -> OffsetDeleteResponse {
    let group = request.group_id.0.to_string();
    let mut response = OffsetDeleteResponse::default();
    for topic in request.topics {
        let partitions: Vec<u32> =
            topic.partitions.iter().filter_map(|p| u32::try_from(p.partition_index).ok()).collect();
        let deleted = context.broker.delete_committed_offsets(&group, &topic.name, partitions).await;
        let code = match deleted {
            Err(Error::NotCoordinator { .. }) => {
                response.error_code = ResponseError::NotCoordinator.code();
                0
            }
            other => other.err().as_ref().map_or(0, errors::code),
        };
        let mut answered = OffsetDeleteResponseTopic::default();
        answered.partitions = topic
            .partitions
            .iter()
            .map(|p| {
                let mut partition = OffsetDeleteResponsePartition::default();
                (partition.partition_index, partition.error_code) = (p.partition_index, code);
                partition
            })
            .collect();
        answered.name = topic.name;
        response.topics.push(answered);
    }
    response
}
