//! ListOffsets: the earliest offset (-2), the latest (-1), the record with the largest
//! timestamp (-3, v7+), or the first record at or after a time, per partition. OffsetForLeaderEpoch: where an epoch's records end (KIP-320).
use std::sync::Arc;

use kafka_protocol::messages::list_offsets_request::ListOffsetsRequest;
use kafka_protocol::messages::list_offsets_response::{
    ListOffsetsPartitionResponse, ListOffsetsResponse, ListOffsetsTopicResponse,
};
use kafka_protocol::messages::offset_for_leader_epoch_request::OffsetForLeaderEpochRequest;
use kafka_protocol::messages::offset_for_leader_epoch_response::{
    EpochEndOffset, OffsetForLeaderEpochResponse, OffsetForLeaderTopicResult,
};

use super::brokers::View;
use super::{Context, errors};
use crate::broker::OffsetSpec;
use crate::error::Error;

const LATEST: i64 = -1;
const EARLIEST: i64 = -2;
const MAX_TIMESTAMP: i64 = -3;

pub(super) async fn handle(context: Arc<Context>, request: ListOffsetsRequest, version: i16) -> ListOffsetsResponse {
    let view = View::of(&context);
    let mut response = ListOffsetsResponse::default();
    for topic in request.topics {
        let name = topic.name.0.to_string();
        let mut answered = ListOffsetsTopicResponse::default();
        for p in topic.partitions {
            // The partition's leader epoch (v4+).
            let index = u32::try_from(p.partition_index).unwrap_or(u32::MAX);
            let leader_epoch = (version >= 4).then(|| view.leader_epoch_of(&context, &name, index));
            answered.partitions.push(partition(&context, &name, p.partition_index, p.timestamp, leader_epoch).await);
        }
        answered.name = topic.name;
        response.topics.push(answered);
    }
    response
}

async fn partition(
    context: &Context,
    topic: &str,
    index: i32,
    timestamp: i64,
    leader_epoch: Option<i32>,
) -> ListOffsetsPartitionResponse {
    let mut answer = ListOffsetsPartitionResponse::default();
    answer.partition_index = index;
    let spec = match timestamp {
        LATEST => Ok(OffsetSpec::Latest),
        EARLIEST => Ok(OffsetSpec::Earliest),
        MAX_TIMESTAMP => Ok(OffsetSpec::MaxTimestamp),
        t if t >= 0 => Ok(OffsetSpec::Timestamp(t)),
        other => Err(Error::invalid(
            "timestamp",
            format!("{other} is not -1 (latest), -2 (earliest), -3 (max timestamp) or a time"),
        )),
    };
    let partition = u32::try_from(index).unwrap_or(u32::MAX);
    let found = match spec {
        Ok(spec) => context.broker.list_offsets(topic, partition, spec).await,
        Err(e) => Err(e),
    };
    match found {
        Ok((offset, timestamp)) => {
            answer.offset = offset;
            answer.timestamp = timestamp;
            if let Some(epoch) = leader_epoch {
                answer.leader_epoch = epoch;
            }
        }
        Err(e) => {
            answer.error_code = errors::code(&e);
            answer.offset = -1;
            answer.timestamp = -1;
        }
    }
    answer
}

/// Where an epoch's records end. Only committed records are ever served (Raft never takes
/// them back), so no consumer position is past the high watermark: every epoch up to the
/// current one is answered with it, and a consumer validating its position after a leader
/// change (KIP-320) always finds it valid.
pub(super) async fn leader_epoch_ends(
    context: Arc<Context>,
    request: OffsetForLeaderEpochRequest,
    _version: i16,
) -> OffsetForLeaderEpochResponse {
    let view = View::of(&context);
    let mut response = OffsetForLeaderEpochResponse::default();
    for topic in request.topics {
        let mut result = OffsetForLeaderTopicResult::default();
        for p in topic.partitions {
            let mut end = EpochEndOffset::default();
            end.partition = p.partition;
            let index = u32::try_from(p.partition).unwrap_or(u32::MAX);
            let current = view.leader_epoch_of(&context, &topic.topic, index);
            match context.broker.list_offsets(&topic.topic, index, OffsetSpec::Latest).await {
                Ok((high_watermark, _)) if p.leader_epoch >= 0 => {
                    (end.leader_epoch, end.end_offset) = (p.leader_epoch.min(current), high_watermark)
                }
                Ok(_) => (end.leader_epoch, end.end_offset) = (-1, -1),
                Err(e) => (end.error_code, end.leader_epoch, end.end_offset) = (errors::code(&e), -1, -1),
            }
            result.partitions.push(end);
        }
        result.topic = topic.topic;
        response.topics.push(result);
    }
    response
}
