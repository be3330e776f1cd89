//! Fetch: many partitions in one request, their stored batches sent as they are on disk. Waits
//! up to `max_wait_ms` until `min_bytes` are there over all partitions. Sessionless (session id
//! 0): every requested partition is in every answer, as kafka-python checks.
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use kafka_protocol::messages::fetch_request::FetchRequest;
use kafka_protocol::messages::fetch_response::{FetchResponse, FetchableTopicResponse, PartitionData};

use super::{Context, errors};
use crate::broker::{FetchedBatches, ManyFetch, PartitionFetch};
use crate::error::Result;

pub(super) async fn handle(context: Arc<Context>, request: FetchRequest, _version: i16) -> FetchResponse {
    let mut partitions = Vec::new();
    for topic in &request.topics {
        for p in &topic.partitions {
            partitions.push(PartitionFetch {
                topic: topic.topic.0.to_string(),
                // A negative partition matches none: the broker answers it unknown.
                partition: u32::try_from(p.partition).unwrap_or(u32::MAX),
                offset: p.fetch_offset,
                max_bytes: usize::try_from(p.partition_max_bytes).unwrap_or(0),
            });
        }
    }
    let fetch = ManyFetch {
        partitions,
        min_bytes: usize::try_from(request.min_bytes).unwrap_or(0),
        max_bytes: usize::try_from(request.max_bytes).unwrap_or(0),
        max_wait: Duration::from_millis(u64::try_from(request.max_wait_ms).unwrap_or(0)),
    };
    let mut answers = context.broker.fetch_batches(&fetch).await.into_iter();
    let mut response = FetchResponse::default();
    for topic in request.topics {
        let mut answered = FetchableTopicResponse::default();
        answered.partitions = topic
            .partitions
            .iter()
            .map(|p| partition(p.partition, answers.next().unwrap_or_else(|| Err(crate::error::Error::ShuttingDown))))
            .collect();
        answered.topic = topic.topic;
        response.responses.push(answered);
    }
    response
}

fn partition(index: i32, answer: Result<FetchedBatches>) -> PartitionData {
    let mut data = PartitionData::default();
    data.partition_index = index;
    match answer {
        Ok(fetched) => {
            data.high_watermark = fetched.high_watermark;
            // No transactions: everything below the high watermark is stable.
            data.last_stable_offset = fetched.high_watermark;
            data.log_start_offset = fetched.log_start_offset;
            data.records = Some(concat(&fetched.batches));
        }
        Err(e) => {
            data.error_code = errors::code(&e);
            data.high_watermark = -1;
            // Never null: librdkafka reads a null record set as a broken response.
            data.records = Some(Bytes::new());
        }
    }
    data
}

fn concat(batches: &[Bytes]) -> Bytes {
    match batches {
        [] => Bytes::new(),
        [one] => one.clone(),
        many => {
            let mut all = BytesMut::with_capacity(many.iter().map(Bytes::len).sum());
            for batch in many {
                all.extend_from_slice(batch);
            }
            all.freeze()
        }
    }
}
