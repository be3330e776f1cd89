//! Metadata and DescribeCluster: the brokers clients should talk to, and each topic's partitions
//! with their leader, replicas, in-sync replicas and leader epoch (`brokers.rs`). A topic that
//! does not exist is created only with `--auto-create-topics` (off by default, as in Redpanda)
//! and when the client allows it.
use std::sync::Arc;

use kafka_protocol::messages::BrokerId;
use kafka_protocol::messages::describe_cluster_request::DescribeClusterRequest;
use kafka_protocol::messages::describe_cluster_response::{DescribeClusterBroker, DescribeClusterResponse};
use kafka_protocol::messages::metadata_request::MetadataRequest;
use kafka_protocol::messages::metadata_response::{
    MetadataResponse, MetadataResponseBroker, MetadataResponsePartition, MetadataResponseTopic,
};
use kafka_protocol::protocol::StrBytes;

use super::brokers::View;
use super::{Context, errors};
use crate::broker::Placement;
use crate::error::Error;

pub(super) async fn handle(context: Arc<Context>, request: MetadataRequest, version: i16) -> MetadataResponse {
    let view = View::of(&context);
    let mut unknown_ids = Vec::new();
    let names: Vec<String> = match request.topics {
        // v0 asks for every topic with an empty list, later versions with null.
        Some(topics) if !(version == 0 && topics.is_empty()) => topics
            .into_iter()
            .filter_map(|t| match t.name.filter(|n| !n.is_empty() || t.topic_id.is_nil()) {
                Some(name) => Some(name.0.to_string()),
                // v10+ may name a topic by id alone (KIP-848 clients resolve assignments so).
                None => super::topic_ids::topic_name(&context, t.topic_id).or_else(|| {
                    unknown_ids.push(t.topic_id);
                    None
                }),
            })
            .collect(),
        _ => context.broker.topics_snapshot().iter().map(|t| t.name().to_string()).collect(),
    };
    // Before v4 a client could not say; Kafka then allowed it.
    let may_create = context.broker.config().auto_create_topics && (version < 4 || request.allow_auto_topic_creation);
    let mut response = MetadataResponse::default();
    response.brokers = view
        .brokers
        .iter()
        .map(|b| {
            let mut broker = MetadataResponseBroker::default();
            (broker.node_id, broker.host, broker.port) = (b.id, super::text(&b.host), b.port);
            broker
        })
        .collect();
    response.cluster_id = Some(StrBytes::from_string(context.broker.identity().cluster_id.clone()));
    // The Raft leader decides catalog changes, as Kafka's controller does.
    response.controller_id = view.meta_leader().map_or(BrokerId(-1), |l| l.id);
    for name in names {
        let refused = match may_create && context.broker.topic(&name).is_err() {
            true => create(&context, &name).await,
            false => None,
        };
        response.topics.push(topic(&context, name, &view, refused));
    }
    for id in unknown_ids {
        let mut unknown = MetadataResponseTopic::default();
        unknown.topic_id = id;
        unknown.error_code = kafka_protocol::error::ResponseError::UnknownTopicId.code();
        response.topics.push(unknown);
    }
    response
}

/// Creates a topic a client named; returns why not, for the topic's answer (a concurrent
/// creation of the same topic is no failure).
async fn create(context: &Context, name: &str) -> Option<Error> {
    match context.broker.create_topic(name, 0, Default::default()).await {
        Ok(_) => {
            tracing::info!(topic = name, "topic created for a Kafka client (--auto-create-topics)");
            None
        }
        Err(Error::TopicExists(_)) => None,
        Err(e) => Some(e),
    }
}

fn topic(context: &Context, name: String, view: &View, refused: Option<Error>) -> MetadataResponseTopic {
    let mut topic = MetadataResponseTopic::default();
    topic.name = Some(super::topic_name(&name));
    match context.broker.topic(&name) {
        Ok(found) => {
            topic.topic_id = super::topic_ids::topic_uuid(context, found.meta.id);
            let placed = |p: u32| partition(p, view, &view.placement(found.meta.id, p));
            topic.partitions = (0..found.meta.partitions).map(placed).collect();
        }
        Err(e) => topic.error_code = errors::code(&refused.unwrap_or(e)),
    }
    topic
}

fn partition(index: u32, view: &View, placement: &Placement) -> MetadataResponsePartition {
    let mut partition = MetadataResponsePartition::default();
    partition.partition_index = index as i32;
    match view.leader(placement) {
        Some(leader) => partition.leader_id = leader.id,
        // An election is under way: clients ask again shortly.
        None => {
            partition.leader_id = BrokerId(-1);
            partition.error_code = kafka_protocol::error::ResponseError::LeaderNotAvailable.code();
        }
    }
    partition.leader_epoch = View::leader_epoch(placement);
    partition.replica_nodes = View::replicas(placement);
    partition.isr_nodes = view.in_sync(placement);
    partition
}

pub(super) async fn describe_cluster(
    context: Arc<Context>,
    _request: DescribeClusterRequest,
    _version: i16,
) -> DescribeClusterResponse {
    let view = View::of(&context);
    let mut response = DescribeClusterResponse::default();
    response.cluster_id = super::text(&context.broker.identity().cluster_id);
    response.controller_id = view.meta_leader().map_or(BrokerId(-1), |l| l.id);
    response.brokers = view
        .brokers
        .iter()
        .map(|b| {
            let mut broker = DescribeClusterBroker::default();
            (broker.broker_id, broker.host, broker.port) = (b.id, super::text(&b.host), b.port);
            broker
        })
        .collect();
    response
}
