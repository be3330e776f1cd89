//! The classic group protocol: JoinGroup, SyncGroup, Heartbeat and LeaveGroup on the broker's
//! classic groups (the leader client assigns), plus DescribeGroups, ListGroups and DeleteGroups
//! over every group, classic or strata's own.
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use kafka_protocol::messages::delete_groups_request::DeleteGroupsRequest;
use kafka_protocol::messages::delete_groups_response::{DeletableGroupResult, DeleteGroupsResponse};
use kafka_protocol::messages::describe_groups_request::DescribeGroupsRequest;
use kafka_protocol::messages::describe_groups_response::{
    DescribeGroupsResponse, DescribedGroup, DescribedGroupMember,
};
use kafka_protocol::messages::heartbeat_request::HeartbeatRequest;
use kafka_protocol::messages::heartbeat_response::HeartbeatResponse;
use kafka_protocol::messages::join_group_request::JoinGroupRequest;
use kafka_protocol::messages::join_group_response::{JoinGroupResponse, JoinGroupResponseMember};
use kafka_protocol::messages::leave_group_request::LeaveGroupRequest;
use kafka_protocol::messages::leave_group_response::{LeaveGroupResponse, MemberResponse};
use kafka_protocol::messages::list_groups_request::ListGroupsRequest;
use kafka_protocol::messages::list_groups_response::{ListGroupsResponse, ListedGroup};
use kafka_protocol::messages::sync_group_request::SyncGroupRequest;
use kafka_protocol::messages::sync_group_response::SyncGroupResponse;
use kafka_protocol::messages::{ConsumerProtocolAssignment, GroupId};
use kafka_protocol::protocol::{Decodable, StrBytes};

use super::{Context, errors, text};
use crate::broker::classic::{Assignment, JoinRequest, partitions_by_topic};
use crate::broker::groups::GroupState;

pub(super) async fn join(context: Arc<Context>, request: JoinGroupRequest, version: i16) -> JoinGroupResponse {
    let group = request.group_id.0.to_string();
    let session = Duration::from_millis(u64::try_from(request.session_timeout_ms).unwrap_or(0));
    // v0 has no rebalance timeout: Kafka uses the session timeout.
    let rebalance = match request.rebalance_timeout_ms {
        ms if ms > 0 => Duration::from_millis(ms as u64),
        _ => session,
    };
    let join = JoinRequest {
        member_id: request.member_id.to_string(),
        client_id: String::new(),
        client_host: String::new(),
        session_timeout: session,
        rebalance_timeout: rebalance,
        protocol_type: request.protocol_type.to_string(),
        protocols: request.protocols.iter().map(|p| (p.name.to_string(), p.metadata.clone())).collect(),
    };
    let mut response = JoinGroupResponse::default();
    match context.broker.join_classic(&group, join).await {
        Ok(joined) => {
            response.generation_id = joined.generation;
            response.protocol_type = Some(text(&joined.protocol_type));
            response.protocol_name = Some(text(&joined.protocol));
            response.leader = text(&joined.leader);
            response.member_id = text(&joined.member_id);
            response.members = joined
                .members
                .into_iter()
                .map(|(id, metadata)| {
                    let mut member = JoinGroupResponseMember::default();
                    member.member_id = text(&id);
                    member.metadata = metadata;
                    member
                })
                .collect();
        }
        Err(e) => {
            response.error_code = errors::code(&e);
            response.generation_id = -1;
            response.member_id = request.member_id;
            // Null in v7+, where the field is nullable; empty before.
            response.protocol_name = (version < 7).then(StrBytes::default);
        }
    }
    response
}

pub(super) async fn sync(context: Arc<Context>, request: SyncGroupRequest, _version: i16) -> SyncGroupResponse {
    let group = request.group_id.0.to_string();
    let assignments =
        request.assignments.iter().map(|a| (a.member_id.to_string(), assignment(&a.assignment))).collect();
    let synced = context.broker.sync_classic(&group, request.generation_id, &request.member_id, assignments).await;
    let mut response = SyncGroupResponse::default();
    match synced {
        Ok(assignment) => {
            response.assignment = assignment;
            response.protocol_type = request.protocol_type;
            response.protocol_name = request.protocol_name;
        }
        Err(e) => response.error_code = errors::code(&e),
    }
    response
}

/// The leader's bytes for one member, with the partitions they name when they are Kafka's
/// consumer protocol (anything else is kept opaque).
fn assignment(bytes: &Bytes) -> Assignment {
    let mut buf = bytes.clone();
    let decoded = (buf.len() >= 2).then(|| i16::from_be_bytes([buf[0], buf[1]])).and_then(|version| {
        let _ = buf.split_to(2);
        ConsumerProtocolAssignment::decode(&mut buf, version.clamp(0, 3)).ok()
    });
    let partitions = decoded.map_or_else(Default::default, |a| {
        partitions_by_topic(a.assigned_partitions.into_iter().flat_map(|tp| {
            let topic = tp.topic.0.to_string();
            tp.partitions.into_iter().filter_map(move |p| u32::try_from(p).ok().map(|p| (topic.clone(), p)))
        }))
    });
    Assignment { bytes: bytes.clone(), partitions }
}

pub(super) async fn heartbeat(context: Arc<Context>, request: HeartbeatRequest, _version: i16) -> HeartbeatResponse {
    let beat = context.broker.heartbeat_classic(&request.group_id.0, request.generation_id, &request.member_id);
    let mut response = HeartbeatResponse::default();
    response.error_code = beat.err().as_ref().map_or(0, errors::code);
    response
}

pub(super) async fn leave(context: Arc<Context>, request: LeaveGroupRequest, version: i16) -> LeaveGroupResponse {
    // v3+ names several members; earlier versions one.
    let ids: Vec<String> = if version >= 3 {
        request.members.iter().map(|m| m.member_id.to_string()).collect()
    } else {
        vec![request.member_id.to_string()]
    };
    let mut response = LeaveGroupResponse::default();
    match context.broker.leave_classic(&request.group_id.0, &ids) {
        Ok(results) if version >= 3 => {
            response.members = ids
                .iter()
                .zip(results)
                .map(|(id, left)| {
                    let mut member = MemberResponse::default();
                    member.member_id = text(id);
                    member.error_code = left.err().as_ref().map_or(0, errors::code);
                    member
                })
                .collect();
        }
        Ok(mut results) => response.error_code = results.pop().and_then(Result::err).as_ref().map_or(0, errors::code),
        Err(e) => response.error_code = errors::code(&e),
    }
    response
}

/// Kafka's name for a group state.
fn state_name(state: GroupState) -> &'static str {
    match state {
        GroupState::Empty => "Empty",
        GroupState::Stable => "Stable",
        _ => "PreparingRebalance",
    }
}

pub(super) async fn describe(
    context: Arc<Context>,
    request: DescribeGroupsRequest,
    _version: i16,
) -> DescribeGroupsResponse {
    let mut response = DescribeGroupsResponse::default();
    for group in request.groups {
        let mut described = DescribedGroup::default();
        match context.broker.classic_group(&group.0) {
            Some(view) => {
                described.group_state = text(state_name(view.state));
                described.protocol_type = text(&view.protocol_type);
                described.protocol_data = text(&view.protocol);
                described.members = view
                    .members
                    .into_iter()
                    .map(|(id, client_id, host, assignment)| {
                        let mut member = DescribedGroupMember::default();
                        member.member_id = text(&id);
                        member.client_id = text(&client_id);
                        member.client_host = text(&host);
                        member.member_assignment = assignment.bytes;
                        member
                    })
                    .collect();
            }
            None => match context.broker.describe_group(&group.0).await {
                Ok(strata_group) => {
                    described.group_state = text(state_name(strata_group.state));
                    described.protocol_type = text("consumer");
                }
                // Kafka describes a group it does not know as Dead, without an error.
                Err(crate::error::Error::GroupNotFound(_)) => described.group_state = text("Dead"),
                Err(e) => described.error_code = errors::code(&e),
            },
        }
        described.group_id = group;
        response.groups.push(described);
    }
    response
}

pub(super) async fn list(context: Arc<Context>, _request: ListGroupsRequest, _version: i16) -> ListGroupsResponse {
    let mut response = ListGroupsResponse::default();
    match context.broker.list_groups().await {
        Ok(groups) => {
            response.groups = groups
                .into_iter()
                .map(|g| {
                    let mut listed = ListedGroup::default();
                    listed.group_id = GroupId(text(&g.group));
                    listed.protocol_type = text("consumer");
                    listed.group_state = text(state_name(g.state));
                    listed
                })
                .collect();
        }
        Err(e) => response.error_code = errors::code(&e),
    }
    response
}

pub(super) async fn delete(context: Arc<Context>, request: DeleteGroupsRequest, _version: i16) -> DeleteGroupsResponse {
    let mut response = DeleteGroupsResponse::default();
    for group in request.groups_names {
        let mut result = DeletableGroupResult::default();
        result.error_code = context.broker.delete_group(&group.0).await.err().as_ref().map_or(0, errors::code);
        result.group_id = group;
        response.results.push(result);
    }
    response
}
