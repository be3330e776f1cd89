//! Produce: each partition's batch is checked and queued while the request is started (so a
//! connection's produces are queued in the order they were sent), then the answer waits for
//! each as acks asks. A bad partition fails alone. acks=0 gets no answer at all.
use kafka_protocol::messages::produce_request::ProduceRequest;
use kafka_protocol::messages::produce_response::{PartitionProduceResponse, ProduceResponse, TopicProduceResponse};
use std::sync::Arc;

use super::{Context, errors};
use crate::broker::{Acks, Queued};
use crate::error::{Error, Result};

/// One partition's batch, queued or refused.
struct Started {
    partition: i32,
    queued: Result<Queued>,
}

/// Queues every partition's batch; the returned future answers once they are stored.
pub(super) async fn start(
    context: &Arc<Context>,
    request: ProduceRequest,
    version: i16,
) -> impl std::future::Future<Output = Option<ProduceResponse>> + Send + 'static {
    let acks = match request.acks {
        -1 => Ok(Acks::All),
        1 => Ok(Acks::Leader),
        0 => Ok(Acks::None),
        other => Err(other),
    };
    let mut topics = Vec::with_capacity(request.topic_data.len());
    for topic in request.topic_data {
        let name = topic.name.0.to_string();
        let mut started = Vec::with_capacity(topic.partition_data.len());
        for data in topic.partition_data {
            let queued = match (acks, u32::try_from(data.index), data.records) {
                _ if version < super::versions::FIRST_REAL_PRODUCE => Err(Error::UnsupportedMessageFormat { magic: 1 }),
                (Err(acks), _, _) => Err(Error::invalid("acks", format!("{acks} is not -1 (all), 1 or 0"))),
                (_, Err(_), _) => Err(Error::invalid("partition", format!("partition {} is negative", data.index))),
                (_, _, None) => Err(Error::invalid("records", "a partition's records are null")),
                (Ok(acks), Ok(partition), Some(records)) => {
                    context.broker.enqueue_batch(&name, partition, records.to_vec(), acks).await
                }
            };
            started.push(Started { partition: data.index, queued });
        }
        topics.push((name, started));
    }
    let context = context.clone();
    let silent = acks == Ok(Acks::None);
    async move {
        let mut responses = Vec::with_capacity(topics.len());
        for (name, started) in topics {
            let mut partitions = Vec::with_capacity(started.len());
            for s in started {
                partitions.push(answer(&context, &name, s).await);
            }
            let mut topic = TopicProduceResponse::default();
            topic.name = super::topic_name(&name);
            topic.partition_responses = partitions;
            responses.push(topic);
        }
        let mut response = ProduceResponse::default();
        response.responses = responses;
        (!silent).then_some(response)
    }
}

async fn answer(context: &Context, topic: &str, started: Started) -> PartitionProduceResponse {
    let mut response = PartitionProduceResponse::default();
    response.index = started.partition;
    let appended = match started.queued {
        Ok(queued) => queued.appended().await,
        Err(e) => Err(e),
    };
    match appended.map(|a| a.first().map_or(-1, |a| a.base_offset)) {
        Ok(base_offset) => {
            response.base_offset = base_offset;
            if let Ok((_, state)) = context.broker.partition(topic, started.partition as u32) {
                response.log_start_offset = state.log_start();
            }
        }
        Err(e) => {
            response.error_code = errors::code(&e);
            response.error_message = errors::message(&e);
        }
    }
    response
}
