//! The `strata.v1.Broker` service: thin handlers that convert, call the broker, convert back.
use std::pin::Pin;
use std::sync::Arc;

use futures::{Stream, StreamExt};
use tonic::{Request, Response, Status};
use tracing::instrument;

use super::convert;
use super::forward::{Forwarder, onward};
use crate::broker::Broker;
use crate::proto::{self, broker_server};

pub struct BrokerService {
    pub(super) broker: Arc<Broker>,
    /// Sends admin calls on to the leader when this broker does not lead.
    pub(super) forward: Forwarder,
    /// This broker's client address, for a single broker's Metadata (a cluster member's comes
    /// from the cluster's membership).
    pub(super) advertised: String,
}

impl BrokerService {
    pub fn new(broker: Arc<Broker>, advertised: String) -> Self {
        BrokerService { broker, forward: Forwarder::default(), advertised }
    }
}

type FetchStream = Pin<Box<dyn Stream<Item = Result<proto::FetchResponse, Status>> + Send>>;

#[tonic::async_trait]
impl broker_server::Broker for BrokerService {
    #[instrument(skip_all, fields(topic = %request.get_ref().name))]
    async fn create_topic(
        &self,
        request: Request<proto::CreateTopicRequest>,
    ) -> Result<Response<proto::CreateTopicResponse>, Status> {
        let (metadata, _, req) = request.into_parts();
        let config = convert::topic_config(req.config);
        let created =
            self.broker.create_topic_with_copies(&req.name, req.partitions, config, req.replication_factor).await;
        let created = created.map(|info| proto::CreateTopicResponse { topic: Some(convert::topic(info)) });
        let forwarded = self
            .forward
            .at_leader(created, &metadata, |mut leader| async move { leader.create_topic(onward(req)).await });
        let mut response = forwarded.await?;
        response.topic = Some(self.placed(response.topic.unwrap_or_default(), &metadata).await);
        Ok(Response::new(response))
    }

    #[instrument(skip_all, fields(topic = %request.get_ref().name))]
    async fn delete_topic(
        &self,
        request: Request<proto::DeleteTopicRequest>,
    ) -> Result<Response<proto::DeleteTopicResponse>, Status> {
        let (metadata, _, req) = request.into_parts();
        let deleted = self.broker.delete_topic(&req.name).await.map(|()| proto::DeleteTopicResponse {});
        let response = self
            .forward
            .at_leader(deleted, &metadata, |mut leader| async move { leader.delete_topic(onward(req)).await });
        Ok(Response::new(response.await?))
    }

    async fn list_topics(
        &self,
        request: Request<proto::ListTopicsRequest>,
    ) -> Result<Response<proto::ListTopicsResponse>, Status> {
        let topics = self.broker.list_topics().into_iter().map(convert::topic).collect();
        let topics = self.placed_all(topics, request.metadata()).await;
        Ok(Response::new(proto::ListTopicsResponse { topics }))
    }

    #[instrument(skip_all, fields(topic = %request.get_ref().name))]
    async fn describe_topic(
        &self,
        request: Request<proto::DescribeTopicRequest>,
    ) -> Result<Response<proto::DescribeTopicResponse>, Status> {
        let topic = convert::topic(self.broker.describe_topic(&request.get_ref().name)?);
        let topic = self.placed(topic, request.metadata()).await;
        Ok(Response::new(proto::DescribeTopicResponse { topic: Some(topic) }))
    }

    #[instrument(skip_all, fields(topic = %request.get_ref().name))]
    async fn alter_topic_config(
        &self,
        request: Request<proto::AlterTopicConfigRequest>,
    ) -> Result<Response<proto::AlterTopicConfigResponse>, Status> {
        let (metadata, _, req) = request.into_parts();
        let config = convert::topic_config(req.config);
        let altered = self.broker.alter_topic_config(&req.name, config, &req.reset).await;
        let altered = altered.map(|info| proto::AlterTopicConfigResponse { topic: Some(convert::topic(info)) });
        let response = self
            .forward
            .at_leader(altered, &metadata, |mut leader| async move { leader.alter_topic_config(onward(req)).await });
        Ok(Response::new(response.await?))
    }

    #[instrument(skip_all, fields(topic = %request.get_ref().name))]
    async fn add_partitions(
        &self,
        request: Request<proto::AddPartitionsRequest>,
    ) -> Result<Response<proto::AddPartitionsResponse>, Status> {
        let (metadata, _, req) = request.into_parts();
        let grown = self.broker.add_partitions(&req.name, req.count).await;
        let grown = grown.map(|info| proto::AddPartitionsResponse { topic: Some(convert::topic(info)) });
        let response = self
            .forward
            .at_leader(grown, &metadata, |mut leader| async move { leader.add_partitions(onward(req)).await });
        Ok(Response::new(response.await?))
    }

    #[instrument(skip_all, fields(topic = %request.get_ref().topic, partition = request.get_ref().partition))]
    async fn delete_records(
        &self,
        request: Request<proto::DeleteRecordsRequest>,
    ) -> Result<Response<proto::DeleteRecordsResponse>, Status> {
        let (metadata, _, req) = request.into_parts();
        let deleted = self.broker.delete_records(&req.topic, req.partition, req.before_offset).await;
        let deleted = deleted.map(|log_start_offset| proto::DeleteRecordsResponse { log_start_offset });
        let response = self
            .forward
            .at_leader(deleted, &metadata, |mut leader| async move { leader.delete_records(onward(req)).await });
        Ok(Response::new(response.await?))
    }

    #[instrument(skip_all, fields(topic = %request.get_ref().topic, partition = ?request.get_ref().partition))]
    async fn produce(
        &self,
        request: Request<proto::ProduceRequest>,
    ) -> Result<Response<proto::ProduceResponse>, Status> {
        let req = convert::produce_request(request.into_inner())?;
        let results = self.broker.produce(req).await?;
        Ok(Response::new(convert::produce_response(results)))
    }

    #[instrument(skip_all, fields(producer_name = ?request.get_ref().producer_name))]
    async fn init_producer_id(
        &self,
        request: Request<proto::InitProducerIdRequest>,
    ) -> Result<Response<proto::InitProducerIdResponse>, Status> {
        let (metadata, _, req) = request.into_parts();
        let (name, renewing) = convert::init_producer_id(req.clone())?;
        let issued = self.broker.init_producer_id(name, renewing).await.map(convert::producer_identity);
        let response = self
            .forward
            .at_leader(issued, &metadata, |mut leader| async move { leader.init_producer_id(onward(req)).await });
        Ok(Response::new(response.await?))
    }

    #[instrument(skip_all, fields(topic = %request.get_ref().topic, partition = request.get_ref().partition))]
    async fn fetch(&self, request: Request<proto::FetchRequest>) -> Result<Response<proto::FetchResponse>, Status> {
        let req = convert::fetch_request(request.into_inner());
        let resp = self.broker.fetch(&req).await?;
        Ok(Response::new(convert::fetch_response(resp)))
    }

    type SubscribeStream = FetchStream;

    #[instrument(skip_all, fields(topic = %request.get_ref().topic, partition = request.get_ref().partition))]
    async fn subscribe(&self, request: Request<proto::SubscribeRequest>) -> Result<Response<FetchStream>, Status> {
        let req = convert::subscribe_request(request.into_inner());
        // Fail fast on a bad topic/partition/offset instead of opening a stream that errors.
        self.broker.check_position(&req)?;
        let stream = self.broker.subscribe(req).map(|item| item.map(convert::fetch_response).map_err(Status::from));
        Ok(Response::new(Box::pin(stream)))
    }

    #[instrument(skip_all, fields(topic = %request.get_ref().topic, partition = request.get_ref().partition))]
    async fn list_offsets(
        &self,
        request: Request<proto::ListOffsetsRequest>,
    ) -> Result<Response<proto::ListOffsetsResponse>, Status> {
        let req = request.into_inner();
        let spec = convert::offset_spec(&req)?;
        let (offset, timestamp_ms) = self.broker.list_offsets(&req.topic, req.partition, spec).await?;
        Ok(Response::new(proto::ListOffsetsResponse { offset, timestamp_ms }))
    }

    #[instrument(skip_all, fields(group = %request.get_ref().group, topic = %request.get_ref().topic))]
    async fn commit_offsets(
        &self,
        request: Request<proto::CommitOffsetsRequest>,
    ) -> Result<Response<proto::CommitOffsetsResponse>, Status> {
        let req = request.into_inner();
        let member = req.member_id.as_deref().map(|id| (id, req.member_epoch.unwrap_or(0)));
        self.broker.commit_offsets(&req.group, &req.topic, convert::offset_commits(req.offsets), member).await?;
        Ok(Response::new(proto::CommitOffsetsResponse {}))
    }

    #[instrument(skip_all, fields(group = %request.get_ref().group, topic = %request.get_ref().topic))]
    async fn fetch_committed_offsets(
        &self,
        request: Request<proto::FetchCommittedOffsetsRequest>,
    ) -> Result<Response<proto::FetchCommittedOffsetsResponse>, Status> {
        let req = request.into_inner();
        let offsets = self.broker.committed_offsets(&req.group, &req.topic, req.partitions).await?;
        Ok(Response::new(convert::committed_offsets(offsets)))
    }

    #[instrument(skip_all, fields(group = %request.get_ref().group))]
    async fn join_group(
        &self,
        request: Request<proto::JoinGroupRequest>,
    ) -> Result<Response<proto::JoinGroupResponse>, Status> {
        self.join_group_impl(request).await
    }

    #[instrument(skip_all, fields(group = %request.get_ref().group, member = %request.get_ref().member_id))]
    async fn heartbeat(
        &self,
        request: Request<proto::HeartbeatRequest>,
    ) -> Result<Response<proto::HeartbeatResponse>, Status> {
        self.heartbeat_impl(request).await
    }

    #[instrument(skip_all, fields(group = %request.get_ref().group, member = %request.get_ref().member_id))]
    async fn leave_group(
        &self,
        request: Request<proto::LeaveGroupRequest>,
    ) -> Result<Response<proto::LeaveGroupResponse>, Status> {
        self.leave_group_impl(request).await
    }

    async fn list_groups(
        &self,
        _: Request<proto::ListGroupsRequest>,
    ) -> Result<Response<proto::ListGroupsResponse>, Status> {
        self.list_groups_impl().await
    }

    #[instrument(skip_all, fields(group = %request.get_ref().group))]
    async fn describe_group(
        &self,
        request: Request<proto::DescribeGroupRequest>,
    ) -> Result<Response<proto::DescribeGroupResponse>, Status> {
        self.describe_group_impl(request).await
    }

    #[instrument(skip_all, fields(group = %request.get_ref().group))]
    async fn delete_group(
        &self,
        request: Request<proto::DeleteGroupRequest>,
    ) -> Result<Response<proto::DeleteGroupResponse>, Status> {
        self.delete_group_impl(request).await
    }

    async fn metadata(
        &self,
        request: Request<proto::MetadataRequest>,
    ) -> Result<Response<proto::MetadataResponse>, Status> {
        self.metadata_impl(request).await
    }

    async fn cluster_status(
        &self,
        request: Request<proto::ClusterStatusRequest>,
    ) -> Result<Response<proto::ClusterStatusResponse>, Status> {
        self.cluster_status_impl(request).await
    }

    async fn remove_broker(
        &self,
        request: Request<proto::RemoveBrokerRequest>,
    ) -> Result<Response<proto::RemoveBrokerResponse>, Status> {
        self.broker.remove_broker(request.into_inner().node_id).await?;
        Ok(Response::new(proto::RemoveBrokerResponse {}))
    }
}
