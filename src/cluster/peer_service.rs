//! The receiving side of `strata.peer.v1.Peer`: the handshake, and Raft's messages handed to
//! the local Raft node of the group they name.
use std::sync::Arc;

use openraft::async_runtime::WatchReceiver;
use tonic::{Request, Response, Status};

use super::codec;
use super::data_dir_copy::{self, Chunks};
use super::directory;
use super::membership::{MemberChange, change_members};
use super::shard_snapshot;
use super::types::{CLUSTER_ID_KEY, ClusterId, Raft, formed};
use super::watch::ShardWatch;
use crate::broker::shards::META_SHARD;
use crate::proto::peer::{self as pb, peer_server};
use crate::storage::{FORMAT_VERSION, Store};

pub struct PeerService {
    /// This broker's Raft node of each shard, indexed by shard.
    pub rafts: Vec<Raft>,
    /// What this broker knows of each shard (its in-sync replicas, where it leads).
    pub watches: Vec<Arc<ShardWatch>>,
    /// What this broker answers to Hello (its cluster id is filled in per answer).
    pub hello: pb::HelloResponse,
    pub cluster_id: ClusterId,
    /// This broker's --seeds, sorted.
    pub seeds: Vec<String>,
    /// Where an adopted cluster id is recorded.
    pub store: Arc<Store>,
    /// How many shards, from the metadata shard on, a joiner becomes a member of
    /// (`Shards::joined_by_newcomers`).
    pub joined_by_newcomers: usize,
}

impl PeerService {
    /// A call for this group, from a broker of this cluster. While this broker's group has not
    /// formed, the first caller's cluster id is adopted: a seed that initialized the group
    /// agreed on it with every seed first, and this broker may not have heard from all seeds
    /// yet (one may have died since).
    async fn check<T>(&self, request: &Request<T>, group: u64) -> Result<&Raft, Status> {
        let Some(raft) = self.rafts.get(group as usize) else {
            return Err(Status::not_found(format!("no Raft group {group} here")));
        };
        let sender = request.metadata().get(CLUSTER_ID_KEY).and_then(|v| v.to_str().ok()).map(str::to_string);
        let mine = self.cluster_id.get();
        match sender {
            Some(theirs) if theirs != mine && self.forming() => match self.cluster_id.adopt(&self.store, &theirs).await
            {
                Ok(()) => {
                    tracing::info!(cluster_id = %theirs, "joined the cluster a seed formed");
                    Ok(raft)
                }
                Err(e) => {
                    tracing::error!(error = %e, "recording the cluster id failed");
                    Err(Status::unavailable("recording the cluster id failed; retry"))
                }
            },
            Some(theirs) if theirs != mine => Err(Status::failed_precondition(format!(
                "a broker of cluster {theirs} called broker {} of cluster {mine}: a data dir belongs to the \
                 cluster that formed it; give that broker its own cluster's data dir, or an empty one",
                self.hello.node_id
            ))),
            _ => Ok(raft),
        }
    }

    /// No membership yet: the group has not formed here.
    fn forming(&self) -> bool {
        !formed(&self.rafts[META_SHARD as usize].metrics().borrow_watched())
    }

    /// A broker of another format is refused: the two would not read each other's data.
    fn same_format(&self, node_id: u64, format_version: u32) -> Result<(), Status> {
        if format_version == FORMAT_VERSION {
            return Ok(());
        }
        Err(Status::failed_precondition(format!(
            "node {node_id} speaks format {format_version}, this broker (node {}) format {FORMAT_VERSION}: run one \
             strata version",
            self.hello.node_id
        )))
    }

    /// The shards a joiner becomes a member of: every shard, or where data shards are on some
    /// of the brokers, the metadata shard.
    fn joined_shards(&self) -> &[Raft] {
        &self.rafts[..self.joined_by_newcomers.min(self.rafts.len())]
    }

    /// A broker may join with a copy of this one's data dir if the cluster formed, this broker
    /// is a voter of every shard the joiner joins (a removed one would hand out a stale copy)
    /// and no shard has the joiner's node id as a voter (a learner may: a joiner trying again
    /// after its copy was cut short).
    fn may_join(&self, node_id: u64) -> Result<(), Status> {
        if self.forming() {
            return Err(Status::unavailable("this broker's cluster has not formed yet; retry"));
        }
        for (shard, raft) in self.joined_shards().iter().enumerate() {
            let metrics = raft.metrics().borrow_watched().clone();
            let voters: Vec<u64> = metrics.membership_config.membership().voter_ids().collect();
            if voters.contains(&node_id) {
                return Err(Status::failed_precondition(format!(
                    "node {node_id} is a member of this cluster already (shard {shard}): give the new broker its own \
                     --node-id, or remove broker {node_id} first (`strata cluster remove-broker {node_id}`)"
                )));
            }
            if !voters.contains(&self.hello.node_id) {
                return Err(Status::failed_precondition(format!(
                    "this broker (node {}) is not a member of shard {shard}: join through a broker that is a member \
                     of every shard the joiner joins",
                    self.hello.node_id
                )));
            }
        }
        Ok(())
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
        self.same_format(asking.node_id, asking.format_version)?;
        if asking.seeds != self.seeds {
            return Err(Status::failed_precondition(format!(
                "node {} has --seeds {}, this broker (node {}) {}: give every seed the same --seeds",
                asking.node_id,
                asking.seeds.join(","),
                self.hello.node_id,
                self.seeds.join(",")
            )));
        }
        Ok(Response::new(pb::HelloResponse { cluster_id: self.cluster_id.get(), ..self.hello.clone() }))
    }

    async fn append_entries(
        &self,
        request: Request<pb::AppendEntriesRequest>,
    ) -> Result<Response<pb::AppendEntriesResponse>, Status> {
        let raft = self.check(&request, request.get_ref().group).await?;
        let request = request.into_inner();
        let rpc = codec::from_append_request(request).map_err(malformed)?;
        let response = raft.append_entries(rpc).await.map_err(stopped)?;
        Ok(Response::new(codec::append_response(&response)))
    }

    async fn vote(&self, request: Request<pb::VoteRequest>) -> Result<Response<pb::VoteResponse>, Status> {
        let raft = self.check(&request, request.get_ref().group).await?;
        let request = request.into_inner();
        let rpc = codec::from_vote_request(request).map_err(malformed)?;
        let response = raft.vote(rpc).await.map_err(stopped)?;
        Ok(Response::new(codec::vote_response(&response)))
    }

    async fn pre_vote(&self, request: Request<pb::VoteRequest>) -> Result<Response<pb::VoteResponse>, Status> {
        let raft = self.check(&request, request.get_ref().group).await?;
        let request = request.into_inner();
        let rpc = codec::from_vote_request(request).map_err(malformed)?;
        let response = raft.pre_vote(rpc).await.map_err(stopped)?;
        Ok(Response::new(codec::vote_response(&response)))
    }

    async fn transfer_leader(
        &self,
        request: Request<pb::TransferLeaderRequest>,
    ) -> Result<Response<pb::TransferLeaderResponse>, Status> {
        let raft = self.check(&request, request.get_ref().group).await?;
        let request = request.into_inner();
        let request_group = request.group;
        let rpc = codec::from_transfer_request(request).map_err(malformed)?;
        let response = raft.handle_transfer_leader(rpc).await.map_err(stopped)?;
        let shard = request_group.to_string();
        metrics::counter!(super::watch::RAFT_TRANSFERS_RECEIVED, "shard" => shard).increment(1);
        Ok(Response::new(codec::transfer_response(&response)))
    }

    type CheckpointStream = Chunks;

    async fn checkpoint(&self, request: Request<pb::CheckpointRequest>) -> Result<Response<Chunks>, Status> {
        let asking = request.into_inner();
        self.same_format(asking.node_id, asking.format_version)?;
        self.may_join(asking.node_id)?;
        // A learner of every shard it joins first: from then on no leader trims its log past what the
        // copy holds, however long the copy takes.
        let node = codec::from_node(asking.node.unwrap_or_default());
        let learn = MemberChange::Learn { id: asking.node_id, node };
        for (group, raft) in self.joined_shards().iter().enumerate() {
            change_members(raft, group as u64, &self.cluster_id, &learn, true).await?;
        }
        let dir = data_dir_copy::checkpoint_dir(self.store.path(), asking.node_id);
        tracing::info!(node_id = asking.node_id, "copying this data dir for a joining broker");
        let chunks = data_dir_copy::send(self.store.clone(), dir, self.seeds.clone()).await?;
        Ok(Response::new(chunks))
    }

    async fn change_members(
        &self,
        request: Request<pb::ChangeMembersRequest>,
    ) -> Result<Response<pb::ChangeMembersResponse>, Status> {
        let raft = self.check(&request, request.get_ref().group).await?;
        let request = request.into_inner();
        let (group, may_forward) = (request.group, !request.forwarded);
        let change = MemberChange::from_request(request);
        change_members(raft, group, &self.cluster_id, &change, may_forward).await?;
        Ok(Response::new(pb::ChangeMembersResponse {}))
    }

    async fn install_snapshot(
        &self,
        request: Request<tonic::Streaming<pb::SnapshotChunk>>,
    ) -> Result<Response<pb::SnapshotReply>, Status> {
        self.check(&request, META_SHARD).await?;
        let reply = shard_snapshot::receive(&self.rafts, self.store.path(), request.into_inner()).await?;
        Ok(Response::new(reply))
    }

    async fn shard_leaders(
        &self,
        request: Request<pb::ShardLeadersRequest>,
    ) -> Result<Response<pb::ShardLeadersResponse>, Status> {
        self.check(&request, META_SHARD).await?;
        Ok(Response::new(pb::ShardLeadersResponse { shards: directory::led_here(&self.watches, self.hello.node_id) }))
    }
}
