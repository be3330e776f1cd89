//! Where a consumer starts in a partition: its group's committed offset, or the earliest or
//! latest offset when nothing (usable) is committed.
use tonic::{Code, Status};

use super::Connection;
use super::failover::through_failover;
use super::group_consumer::AutoOffsetReset;
use crate::proto;

/// The offset to fetch `topic`/`partition` from next.
pub async fn starting_offset(
    client: &mut Connection,
    group: &str,
    topic: &str,
    partition: u32,
    reset: AutoOffsetReset,
) -> Result<i64, Status> {
    let request =
        proto::FetchCommittedOffsetsRequest { group: group.into(), topic: topic.into(), partitions: vec![partition] };
    // During a coordinator failover: asked again at the new coordinator.
    let committed = through_failover(|| {
        let (mut client, request) = (client.clone(), request.clone());
        async move { Ok(client.fetch_committed_offsets(request).await?.into_inner()) }
    })
    .await?;
    match committed.offsets.first().map(|o| o.offset) {
        Some(offset) if offset >= 0 => Ok(offset),
        _ => reset_offset(client, topic, partition, reset).await,
    }
}

/// The earliest or latest offset, as `reset` says.
pub async fn reset_offset(
    client: &mut Connection,
    topic: &str,
    partition: u32,
    reset: AutoOffsetReset,
) -> Result<i64, Status> {
    let spec = match reset {
        AutoOffsetReset::Earliest => proto::OffsetSpec::Earliest,
        AutoOffsetReset::Latest => proto::OffsetSpec::Latest,
    };
    let request = proto::ListOffsetsRequest { topic: topic.into(), partition, spec: spec as i32, timestamp_ms: 0 };
    Ok(client.list_offsets(super::for_partition(request, topic, partition)).await?.into_inner().offset)
}

/// True for a fetch below the log start (retention passed the position): reset and go on.
pub fn is_out_of_range(status: &Status) -> bool {
    status.code() == Code::OutOfRange
}
