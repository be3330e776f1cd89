//! proto ⇄ domain conversions for consumer groups.
use std::collections::{BTreeMap, BTreeSet};

use crate::broker::groups::{GroupDescription, GroupListing, GroupState, Membership};
use crate::proto;

fn topic_partitions(map: BTreeMap<String, Vec<u32>>) -> Vec<proto::TopicPartitions> {
    map.into_iter().map(|(topic, partitions)| proto::TopicPartitions { topic, partitions }).collect()
}

pub fn owned(owned: Vec<proto::TopicPartitions>) -> BTreeSet<(String, u32)> {
    owned.into_iter().flat_map(|tp| tp.partitions.into_iter().map(move |p| (tp.topic.clone(), p))).collect()
}

fn state(state: GroupState) -> i32 {
    (match state {
        GroupState::Empty => proto::GroupState::Empty,
        GroupState::Stable => proto::GroupState::Stable,
        GroupState::Reconciling => proto::GroupState::Reconciling,
    }) as i32
}

pub fn join_response(m: Membership) -> proto::JoinGroupResponse {
    proto::JoinGroupResponse {
        heartbeat_interval_ms: m.heartbeat_interval.as_millis() as u32,
        member_epoch: m.member_epoch,
        assignment: topic_partitions(m.assignment),
        member_id: m.member_id,
    }
}

pub fn heartbeat_response(m: Membership) -> proto::HeartbeatResponse {
    proto::HeartbeatResponse {
        member_epoch: m.member_epoch,
        assignment: topic_partitions(m.assignment),
        heartbeat_interval_ms: m.heartbeat_interval.as_millis() as u32,
    }
}

pub fn list_groups(listings: Vec<GroupListing>) -> proto::ListGroupsResponse {
    let groups = listings
        .into_iter()
        .map(|l| proto::GroupListing { group: l.group, state: state(l.state), members: l.members as u32 })
        .collect();
    proto::ListGroupsResponse { groups }
}

pub fn describe_group(d: GroupDescription) -> proto::DescribeGroupResponse {
    proto::DescribeGroupResponse {
        group: d.group,
        state: state(d.state),
        group_epoch: d.group_epoch,
        members: d
            .members
            .into_iter()
            .map(|m| proto::GroupMember {
                member_id: m.member_id,
                client_id: m.client_id,
                member_epoch: m.member_epoch,
                assignment: topic_partitions(m.assignment),
            })
            .collect(),
        offsets: d
            .offsets
            .into_iter()
            .map(|o| proto::GroupOffset {
                topic: o.topic,
                partition: o.partition,
                committed_offset: o.committed_offset,
                high_watermark: o.high_watermark,
                lag: o.lag,
            })
            .collect(),
    }
}
