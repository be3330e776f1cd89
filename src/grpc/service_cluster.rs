//! The cluster half of `strata.v1.Broker`: Metadata, ClusterStatus, and the placement (leader,
//! replicas, in-sync replicas, leader epoch) every topic description carries. Only a leader
//! knows which replicas are in sync, so a follower asks the leader for its view, and answers
//! with its own when no leader answers within a second.
use std::time::Duration;

use tonic::metadata::MetadataMap;
use tonic::{Request, Response, Status};

use super::convert;
use super::convert_cluster::{cluster_status, place};
use super::forward::{onward, was_forwarded};
use super::service::BrokerService;
use crate::proto;

/// How long a follower waits for the leader's view before answering with its own.
const LEADER_VIEW_TIMEOUT: Duration = Duration::from_secs(1);

impl BrokerService {
    pub(super) async fn metadata_impl(
        &self,
        request: Request<proto::MetadataRequest>,
    ) -> Result<Response<proto::MetadataResponse>, Status> {
        let (metadata, _, req) = request.into_parts();
        let view = self.cluster_view(&metadata).await;
        let names = if req.topics.is_empty() {
            self.broker.list_topics().into_iter().map(|t| t.name).collect()
        } else {
            req.topics
        };
        let mut topics = Vec::with_capacity(names.len());
        for name in names {
            let mut topic = convert::topic(self.broker.describe_topic(&name)?);
            place(&mut topic, &view);
            topics.push(topic);
        }
        let brokers = view.brokers.iter().map(|b| proto::BrokerAddress { id: b.id, address: b.address.clone() });
        Ok(Response::new(proto::MetadataResponse { brokers: brokers.collect(), topics, cluster_id: view.cluster_id }))
    }

    pub(super) async fn cluster_status_impl(
        &self,
        request: Request<proto::ClusterStatusRequest>,
    ) -> Result<Response<proto::ClusterStatusResponse>, Status> {
        Ok(Response::new(self.cluster_view(request.metadata()).await))
    }

    /// `topic` with its partitions' placement filled in.
    pub(super) async fn placed(&self, topic: proto::Topic, metadata: &MetadataMap) -> proto::Topic {
        let mut placed = self.placed_all(vec![topic], metadata).await;
        placed.pop().unwrap_or_default()
    }

    pub(super) async fn placed_all(&self, mut topics: Vec<proto::Topic>, metadata: &MetadataMap) -> Vec<proto::Topic> {
        let view = self.cluster_view(metadata).await;
        for topic in &mut topics {
            place(topic, &view);
        }
        topics
    }

    /// This broker's own view, with the partitions its one group carries.
    fn local_view(&self) -> proto::ClusterStatusResponse {
        let mut local = cluster_status(self.broker.cluster_status(), &self.advertised);
        let partitions: usize = self.broker.topics_snapshot().iter().map(|t| t.partitions.len()).sum();
        for shard in &mut local.shards {
            shard.partitions = partitions as u32;
        }
        local
    }

    /// The leader's view of the cluster when it answers, else this broker's own.
    async fn cluster_view(&self, metadata: &MetadataMap) -> proto::ClusterStatusResponse {
        let local = self.local_view();
        let leader = local.shards.first().and_then(|s| s.leader);
        let leader_addr = local.brokers.iter().find(|b| Some(b.id) == leader).map(|b| b.address.clone());
        let Some(addr) = leader_addr.filter(|_| leader != Some(local.answered_by) && !was_forwarded(metadata)) else {
            return local;
        };
        let asked = async {
            let mut client = self.forward.client(&addr)?;
            client.cluster_status(onward(proto::ClusterStatusRequest {})).await
        };
        match tokio::time::timeout(LEADER_VIEW_TIMEOUT, asked).await {
            Ok(Ok(answer)) => answer.into_inner(),
            _ => local,
        }
    }
}
