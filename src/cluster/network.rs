//! Raft's messages to other brokers, over one lazily connected HTTP/2 channel per peer (the
//! `strata.peer.v1.Peer` service). A peer that cannot be reached is reported as unreachable, so
//! openraft backs off; a reply that does not decode is a network error.
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use openraft::errors::{NetworkError, RPCError, ReplicationClosed, StreamingError, Unreachable};
use openraft::network::{RPCOption, RaftNetworkFactory, RaftNetworkV2};
use openraft::raft::{
    AppendEntriesRequest, AppendEntriesResponse, SnapshotResponse, TransferLeaderRequest, TransferLeaderResponse,
    VoteRequest, VoteResponse,
};
use tonic::transport::{Channel, Endpoint};

use super::codec;
use super::shard_snapshot::{ShardSnapshot, Snapshot, SnapshotSource};
use super::types::{BrokerNode, ClusterId, TypeConfig, Vote};
use crate::proto::peer::peer_client::PeerClient;

/// Shortest wait for a peer's answer: openraft's own deadline for replication is a heartbeat
/// interval, which a loaded two-core machine misses while the peer is healthy.
const MIN_RPC_TIMEOUT: Duration = Duration::from_secs(1);

/// Channels to peers, by address, shared by every client openraft asks for.
#[derive(Clone)]
pub struct Network {
    group: u64,
    cluster_id: ClusterId,
    channels: Arc<Mutex<HashMap<String, Channel>>>,
    /// A data shard's: where copies of it are read from.
    snapshots: Option<SnapshotSource>,
}

impl Network {
    pub fn new(group: u64, cluster_id: ClusterId, snapshots: Option<SnapshotSource>) -> Self {
        Network { group, cluster_id, channels: Arc::default(), snapshots }
    }

    fn channel(&self, peer_addr: &str) -> Result<Channel, String> {
        let mut channels = self.channels.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(channel) = channels.get(peer_addr) {
            return Ok(channel.clone());
        }
        let endpoint = Endpoint::from_shared(format!("http://{peer_addr}")).map_err(|e| e.to_string())?;
        let channel = endpoint.connect_timeout(MIN_RPC_TIMEOUT).tcp_nodelay(true).connect_lazy();
        channels.insert(peer_addr.to_string(), channel.clone());
        Ok(channel)
    }
}

impl RaftNetworkFactory<TypeConfig> for Network {
    type Network = PeerConnection;

    async fn new_client(&mut self, target: u64, node: &BrokerNode) -> Self::Network {
        let client = self.channel(&node.peer_addr).map(|channel| {
            PeerClient::new(channel).max_decoding_message_size(256 << 20).max_encoding_message_size(256 << 20)
        });
        let (group, cluster_id, snapshots) = (self.group, self.cluster_id.clone(), self.snapshots.clone());
        PeerConnection { group, target, client, cluster_id, snapshots }
    }
}

/// Raft's view of one peer.
pub struct PeerConnection {
    group: u64,
    target: u64,
    cluster_id: ClusterId,
    /// An address that is not a URI makes every call fail as unreachable.
    client: Result<PeerClient<Channel>, String>,
    snapshots: Option<SnapshotSource>,
}

impl PeerConnection {
    /// `message` as a call of this cluster, answered within `option`'s deadline.
    fn request<T>(&self, message: T, option: &RPCOption) -> tonic::Request<T> {
        self.cluster_id.request(message, timeout(option))
    }

    fn client(&self) -> Result<PeerClient<Channel>, RPCError<TypeConfig>> {
        self.client.clone().map_err(|e| RPCError::Unreachable(Unreachable::from_string(e)))
    }
}

/// A failed call: unreachable (openraft backs off) unless the peer answered with something
/// other than a transport failure.
fn failed(target: u64, status: tonic::Status) -> RPCError<TypeConfig> {
    let message = format!("node {target}: {status}");
    match status.code() {
        tonic::Code::Unavailable | tonic::Code::DeadlineExceeded | tonic::Code::Cancelled | tonic::Code::Unknown => {
            RPCError::Unreachable(Unreachable::from_string(message))
        }
        _ => RPCError::Network(NetworkError::from_string(message)),
    }
}

fn timeout(option: &RPCOption) -> Duration {
    option.soft_ttl().max(MIN_RPC_TIMEOUT)
}

impl RaftNetworkV2<TypeConfig> for PeerConnection {
    type SnapshotData = ShardSnapshot;

    async fn append_entries(
        &mut self,
        rpc: AppendEntriesRequest<TypeConfig>,
        option: RPCOption,
    ) -> Result<AppendEntriesResponse<TypeConfig>, RPCError<TypeConfig>> {
        let request = self.request(codec::append_request(self.group, &rpc), &option);
        let response = self.client()?.append_entries(request).await.map_err(|s| failed(self.target, s))?;
        codec::from_append_response(response.into_inner())
            .map_err(|e| RPCError::Network(NetworkError::from_string(e.to_string())))
    }

    async fn vote(
        &mut self,
        rpc: VoteRequest<TypeConfig>,
        option: RPCOption,
    ) -> Result<VoteResponse<TypeConfig>, RPCError<TypeConfig>> {
        let request = self.request(codec::vote_request(self.group, &rpc), &option);
        let response = self.client()?.vote(request).await.map_err(|s| failed(self.target, s))?;
        codec::from_vote_response(response.into_inner())
            .map_err(|e| RPCError::Network(NetworkError::from_string(e.to_string())))
    }

    async fn pre_vote(
        &mut self,
        rpc: VoteRequest<TypeConfig>,
        option: RPCOption,
    ) -> Result<VoteResponse<TypeConfig>, RPCError<TypeConfig>> {
        let request = self.request(codec::vote_request(self.group, &rpc), &option);
        let response = self.client()?.pre_vote(request).await.map_err(|s| failed(self.target, s))?;
        codec::from_vote_response(response.into_inner())
            .map_err(|e| RPCError::Network(NetworkError::from_string(e.to_string())))
    }

    async fn transfer_leader(
        &mut self,
        rpc: TransferLeaderRequest<TypeConfig>,
        option: RPCOption,
    ) -> Result<TransferLeaderResponse<TypeConfig>, RPCError<TypeConfig>> {
        let request = self.request(codec::transfer_request(self.group, &rpc), &option);
        let response = self.client()?.transfer_leader(request).await.map_err(|s| failed(self.target, s))?;
        codec::from_transfer_response(response.into_inner())
            .map_err(|e| RPCError::Network(NetworkError::from_string(e.to_string())))
    }

    async fn full_snapshot(
        &mut self,
        vote: Vote,
        snapshot: Snapshot,
        cancel: impl std::future::Future<Output = ReplicationClosed> + openraft::OptionalSend + 'static,
        _option: RPCOption,
    ) -> Result<SnapshotResponse<TypeConfig>, StreamingError<TypeConfig>> {
        // The metadata shard is on every broker, and its log is trimmed only below what every
        // member holds, learners included: a member always catches up from the log.
        let Some(source) = &self.snapshots else {
            let why = format!("node {}: the metadata shard is never sent as a copy", self.target);
            return Err(StreamingError::Unreachable(Unreachable::from_string(why)));
        };
        let client = self.client().map_err(|e| StreamingError::Unreachable(Unreachable::from_string(e.to_string())))?;
        source.send(client, &self.cluster_id, (self.group, &vote, &snapshot.meta), cancel).await
    }
}
