//! ListOffsets: the earliest offset (-2), the latest (-1), or the first record at or after a
//! time, per partition.
use std::sync::Arc;

use kafka_protocol::messages::list_offsets_request::ListOffsetsRequest;
use kafka_protocol::messages::list_offsets_response::{
    ListOffsetsPartitionResponse, ListOffsetsResponse, ListOffsetsTopicResponse,
};

use super::{Context, errors};
use crate::broker::OffsetSpec;
use crate::error::Error;

const LATEST: i64 = -1;
const EARLIEST: i64 = -2;

pub(super) async fn handle(context: Arc<Context>, request: ListOffsetsRequest, version: i16) -> ListOffsetsResponse {
    let mut response = ListOffsetsResponse::default();
    for topic in request.topics {
        let name = topic.name.0.to_string();
        let mut answered = ListOffsetsTopicResponse::default();
        for p in topic.partitions {
            answered.partitions.push(partition(&context, &name, p.partition_index, p.timestamp, version).await);
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
    version: i16,
) -> ListOffsetsPartitionResponse {
    let mut answer = ListOffsetsPartitionResponse::default();
    answer.partition_index = index;
    let spec = match timestamp {
        LATEST => Ok(OffsetSpec::Latest),
        EARLIEST => Ok(OffsetSpec::Earliest),
        t if t >= 0 => Ok(OffsetSpec::Timestamp(t)),
        other => Err(Error::invalid("timestamp", format!("{other} is not -1 (latest), -2 (earliest) or a time"))),
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
            if version >= 4 {
                answer.leader_epoch = 0; // the epoch a single broker's batches carry
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
