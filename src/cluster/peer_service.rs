//! The receiving side of `strata.peer.v1.Peer`: the handshake, and Raft's messages handed to
//! the local Raft node of the group they name.
use tonic::{Request, Response, Status};

use super::codec;
use super::types::Raft;
use crate::proto::peer::{self as pb, peer_server};
use crate::storage::FORMAT_VERSION;

pub struct PeerService {
    pub raft: Raft,
    pub group: u64,
    /// What this broker answers to Hello.
    pub hello: pb::HelloResponse,
}

impl PeerService {
    fn check_group(&self, group: u64) -> Result<(), Status> {
        if group == self.group { Ok(()) } else { Err(Status::not_found(format!("no Raft group {group} here"))) }
    }
}

fn malformed(e: codec::Malformed) -> Status {
    Status::invalid_argument(e.to_string())
}

/// The local Raft node stopped or failed: the sender should treat this peer as down.
fn stopped(e: impl std::fmt::Display) -> Status {
    Status::unavailable(format!("Raft node unavailable: {e}"))
}

#[tonic::async_trait]
impl peer_server::Peer for PeerService {
    async fn hello(&self, request: Request<pb::HelloRequest>) -> Result<Response<pb::HelloResponse>, Status> {
        let asking = request.into_inner();
        if asking.format_version != FORMAT_VERSION {
            return Err(Status::failed_precondition(format!(
                "node {} speaks format {}, this broker (node {}) format {FORMAT_VERSION}: run one strata version",
                asking.node_id, asking.format_version, self.hello.node_id
            )));
        }
        Ok(Response::new(self.hello.clone()))
    }

    async fn append_entries(
        &self,
        request: Request<pb::AppendEntriesRequest>,
    ) -> Result<Response<pb::AppendEntriesResponse>, Status> {
        let request = request.into_inner();
        self.check_group(request.group)?;
        let rpc = codec::from_append_request(request).map_err(malformed)?;
        let response = self.raft.append_entries(rpc).await.map_err(stopped)?;
        Ok(Response::new(codec::append_response(&response)))
    }

    async fn vote(&self, request: Request<pb::VoteRequest>) -> Result<Response<pb::VoteResponse>, Status> {
        let request = request.into_inner();
        self.check_group(request.group)?;
        let rpc = codec::from_vote_request(request).map_err(malformed)?;
        let response = self.raft.vote(rpc).await.map_err(stopped)?;
        Ok(Response::new(codec::vote_response(&response)))
    }

    async fn pre_vote(&self, request: Request<pb::VoteRequest>) -> Result<Response<pb::VoteResponse>, Status> {
        let request = request.into_inner();
        self.check_group(request.group)?;
        let rpc = codec::from_vote_request(request).map_err(malformed)?;
        let response = self.raft.pre_vote(rpc).await.map_err(stopped)?;
        Ok(Response::new(codec::vote_response(&response)))
    }

    async fn transfer_leader(
        &self,
        request: Request<pb::TransferLeaderRequest>,
    ) -> Result<Response<pb::TransferLeaderResponse>, Status> {
        let request = request.into_inner();
        self.check_group(request.group)?;
        let rpc = codec::from_transfer_request(request).map_err(malformed)?;
        let response = self.raft.handle_transfer_leader(rpc).await.map_err(stopped)?;
        metrics::counter!(super::watch::RAFT_TRANSFERS_RECEIVED, "shard" => self.group.to_string()).increment(1);
        Ok(Response::new(codec::transfer_response(&response)))
    }
}
