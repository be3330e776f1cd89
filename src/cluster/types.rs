//! The Raft type configuration of strata's replicated commit log: node ids are the brokers'
//! `--node-id`s, a node is reached at its peer address and serves clients at its client
//! address, an entry's data is an encoded `strata.log.v1.Command`, and applying one produces
//! the results its proposer waits for.
use std::fmt;

use bytes::Bytes;
use openraft::RaftTypeConfig;

use super::state_machine::StateMachine;
use crate::broker::ApplyResults;

/// Whether a group has formed, as its `metrics` show: it has voters.
pub fn formed(metrics: &openraft::RaftMetrics<TypeConfig>) -> bool {
    metrics.membership_config.membership().voter_ids().next().is_some()
}

/// Whether broker `me` is a voter of the group its `metrics` describe: it keeps a copy that
/// counts. A learner is either still catching up, or was taken out of the group (it was kept a
/// learner until it heard so, then dropped: the group's entries no longer reach it), and
/// serves nothing of it either way.
pub fn is_voter_in(metrics: &openraft::RaftMetrics<TypeConfig>, me: u64) -> bool {
    metrics.membership_config.membership().voter_ids().any(|id| id == me)
}

/// How long ago follower or learner `id` last answered the leader whose `metrics` these are
/// (the send time of the last heartbeat it answered); `None` if it has not answered this leader.
pub fn last_answered(metrics: &openraft::RaftMetrics<TypeConfig>, id: u64) -> Option<std::time::Duration> {
    use openraft::Instant as _;
    metrics.heartbeat.as_ref()?.get(&id).cloned().flatten().map(|at| (*at).elapsed())
}

/// The cluster this broker belongs to: its data dir's id until the seeds agree on one when
/// they form the cluster (then every member holds the same). Shared by everything that sends
/// or checks it.
#[derive(Clone, Default)]
pub struct ClusterId(std::sync::Arc<std::sync::RwLock<String>>);

impl ClusterId {
    pub fn new(id: String) -> Self {
        ClusterId(std::sync::Arc::new(std::sync::RwLock::new(id)))
    }

    pub fn get(&self) -> String {
        self.0.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn set(&self, id: &str) {
        *self.0.write().unwrap_or_else(|p| p.into_inner()) = id.to_string();
    }

    /// `message` as a peer call of this cluster, answered within `timeout`: every call but Hello
    /// carries the sender's cluster id (`CLUSTER_ID_KEY`), and peers refuse another.
    pub fn request<T>(&self, message: T, timeout: std::time::Duration) -> tonic::Request<T> {
        let mut request = tonic::Request::new(message);
        request.set_timeout(timeout);
        if let Ok(id) = tonic::metadata::MetadataValue::try_from(self.get()) {
            request.metadata_mut().insert(CLUSTER_ID_KEY, id);
        }
        request
    }

    /// Goes by `id` from now on, recorded durably in the data dir's identity first.
    pub async fn adopt(&self, store: &std::sync::Arc<crate::storage::Store>, id: &str) -> anyhow::Result<()> {
        let (store, adopted) = (store.clone(), id.to_string());
        tokio::task::spawn_blocking(move || store.adopt_cluster_id(&adopted)).await??;
        self.set(id);
        Ok(())
    }
}

/// The metadata key every peer call carries the sender's cluster id in.
pub const CLUSTER_ID_KEY: &str = "strata-cluster-id";

/// A broker as the cluster knows it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BrokerNode {
    /// Where other brokers reach it (`--peer-listen`).
    pub peer_addr: String,
    /// Where clients reach it (`--advertise`).
    pub client_addr: String,
    /// Where Kafka clients reach it (`--kafka-advertise`); empty without a Kafka listener.
    pub kafka_addr: String,
}

/// An entry's application data: an encoded `strata.log.v1.Command`, stored and sent as is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogCommand(pub Bytes);

impl fmt::Display for LogCommand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "command ({} bytes)", self.0.len())
    }
}

/// Hands an applied entry's results to whoever proposed it (the commit loop, an admin call).
pub struct Respond<T>(pub Box<dyn FnOnce(T) + Send>);

impl<C: RaftTypeConfig, T: Send + 'static> openraft::raft::responder::Responder<C, T> for Respond<T> {
    fn on_complete(self, result: T) {
        (self.0)(result)
    }
}

#[derive(Debug, Clone, Copy, Default, Eq, PartialEq, Ord, PartialOrd)]
pub struct TypeConfig;

impl RaftTypeConfig for TypeConfig {
    type D = LogCommand;
    type R = ApplyResults;
    type NodeId = u64;
    type Node = BrokerNode;
    type Term = u64;
    type LeaderId = openraft::impls::leader_id_adv::LeaderId<u64, u64>;
    type Vote = openraft::impls::Vote<Self::LeaderId>;
    type Payload = openraft::EntryPayload<Self::D, Self::NodeId, Self::Node>;
    type Entry = openraft::Entry<<Self::LeaderId as openraft::vote::RaftLeaderId>::Committed, Self::Payload>;
    type AsyncRuntime = openraft::impls::TokioRuntime;
    type Responder<T>
        = Respond<T>
    where
        T: openraft::OptionalSend + 'static;
    type Batch<T>
        = openraft::impls::InlineBatch<T>
    where
        T: openraft::OptionalSend + 'static;
    type ErrorSource = openraft::impls::BoxedErrorSource;
}

pub type Raft = openraft::Raft<TypeConfig, StateMachine>;
pub type Entry = <TypeConfig as RaftTypeConfig>::Entry;
pub type LogId = openraft::type_config::alias::LogIdOf<TypeConfig>;
pub type Vote = openraft::type_config::alias::VoteOf<TypeConfig>;
pub type Membership = openraft::Membership<u64, BrokerNode>;
pub type StoredMembership = openraft::type_config::alias::StoredMembershipOf<TypeConfig>;
