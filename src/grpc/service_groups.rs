//! The consumer-group half of `strata.v1.Broker`: thin handlers, called from `service.rs`.
use tonic::{Request, Response, Status};

use super::convert_groups as convert;
use super::service::BrokerService;
use crate::proto;

impl BrokerService {
    pub(super) async fn join_group_impl(
        &self,
        request: Request<proto::JoinGroupRequest>,
    ) -> Result<Response<proto::JoinGroupResponse>, Status> {
        let req = request.into_inner();
        let membership = self.broker.join_group(&req.group, req.topics, req.session_timeout_ms, &req.client_id)?;
        Ok(Response::new(convert::join_response(membership)))
    }

    pub(super) async fn heartbeat_impl(
        &self,
        request: Request<proto::HeartbeatRequest>,
    ) -> Result<Response<proto::HeartbeatResponse>, Status> {
        let req = request.into_inner();
        let owned = convert::owned(req.owned);
        let membership = self.broker.heartbeat(&req.group, &req.member_id, req.member_epoch, &owned)?;
        Ok(Response::new(convert::heartbeat_response(membership)))
    }

    pub(super) async fn leave_group_impl(
        &self,
        request: Request<proto::LeaveGroupRequest>,
    ) -> Result<Response<proto::LeaveGroupResponse>, Status> {
        let req = request.into_inner();
        self.broker.leave_group(&req.group, &req.member_id)?;
        Ok(Response::new(proto::LeaveGroupResponse {}))
    }

    pub(super) async fn list_groups_impl(&self) -> Result<Response<proto::ListGroupsResponse>, Status> {
        Ok(Response::new(convert::list_groups(self.broker.list_groups().await?)))
    }

    pub(super) async fn describe_group_impl(
        &self,
        request: Request<proto::DescribeGroupRequest>,
    ) -> Result<Response<proto::DescribeGroupResponse>, Status> {
        let description = self.broker.describe_group(&request.get_ref().group).await?;
        Ok(Response::new(convert::describe_group(description)))
    }

    pub(super) async fn delete_group_impl(
        &self,
        request: Request<proto::DeleteGroupRequest>,
    ) -> Result<Response<proto::DeleteGroupResponse>, Status> {
        self.broker.delete_group(&request.get_ref().group).await?;
        Ok(Response::new(proto::DeleteGroupResponse {}))
    }
}
