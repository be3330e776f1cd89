//! openraft's types ⇄ their protobuf form (`proto/strata/v1/peer.proto`), for the Raft log on
//! disk and the messages between brokers. openraft is built without serde, so every field is
//! carried here explicitly; a message that does not decode is an error, never a default.
use std::collections::{BTreeMap, BTreeSet};

use openraft::EntryPayload;
use openraft::raft::{
    AppendEntriesRequest, AppendEntriesResponse, TransferLeaderError, TransferLeaderRequest, TransferLeaderResponse,
    VoteRequest, VoteResponse,
};

use super::types::{BrokerNode, Entry, LogCommand, LogId, Membership, TypeConfig, Vote};
use crate::proto::peer as pb;

/// A peer message or stored entry that does not decode.
#[derive(Debug, thiserror::Error)]
#[error("malformed Raft message: {0}")]
pub struct Malformed(pub &'static str);

type Result<T> = std::result::Result<T, Malformed>;

pub fn log_id(id: &LogId) -> pb::LogId {
    pb::LogId { term: id.leader_id.term, leader_node: id.leader_id.node_id, index: id.index }
}

pub fn from_log_id(id: pb::LogId) -> LogId {
    LogId::new(openraft::impls::leader_id_adv::LeaderId { term: id.term, node_id: id.leader_node }, id.index)
}

pub fn vote(vote: &Vote) -> pb::Vote {
    pb::Vote { term: vote.leader_id.term, node_id: vote.leader_id.node_id, committed: vote.committed }
}

pub fn from_vote(vote: Option<pb::Vote>) -> Result<Vote> {
    let v = vote.ok_or(Malformed("vote missing"))?;
    Ok(if v.committed { Vote::new_committed(v.term, v.node_id) } else { Vote::new(v.term, v.node_id) })
}

pub fn membership(m: &Membership) -> pb::Membership {
    let configs =
        m.get_joint_config().iter().map(|set| pb::VoterSet { voters: set.iter().copied().collect() }).collect();
    let nodes = m.nodes().map(|(id, n)| (*id, node(n))).collect();
    pb::Membership { configs, nodes }
}

pub fn node(node: &BrokerNode) -> pb::Node {
    let (peer_addr, client_addr, kafka_addr) =
        (node.peer_addr.clone(), node.client_addr.clone(), node.kafka_addr.clone());
    pb::Node { peer_addr, client_addr, kafka_addr }
}

pub fn from_node(n: pb::Node) -> BrokerNode {
    BrokerNode { peer_addr: n.peer_addr, client_addr: n.client_addr, kafka_addr: n.kafka_addr }
}

pub fn from_membership(m: pb::Membership) -> Result<Membership> {
    let configs: Vec<BTreeSet<u64>> = m.configs.into_iter().map(|c| c.voters.into_iter().collect()).collect();
    let nodes: BTreeMap<u64, BrokerNode> = m.nodes.into_iter().map(|(id, n)| (id, from_node(n))).collect();
    Membership::new(configs, nodes).map_err(|_| Malformed("membership names a voter without a node"))
}

pub fn entry(entry: &Entry) -> pb::Entry {
    let payload = match &entry.payload {
        EntryPayload::Blank => pb::entry::Payload::Blank(true),
        EntryPayload::Normal(command) => pb::entry::Payload::Command(command.0.clone()),
        EntryPayload::Membership(m) => pb::entry::Payload::Membership(membership(m)),
    };
    pb::Entry { log_id: Some(log_id(&entry.log_id)), payload: Some(payload) }
}

pub fn from_entry(entry: pb::Entry) -> Result<Entry> {
    let log_id = from_log_id(entry.log_id.ok_or(Malformed("entry without log id"))?);
    let payload = match entry.payload.ok_or(Malformed("entry without payload"))? {
        pb::entry::Payload::Blank(_) => EntryPayload::Blank,
        pb::entry::Payload::Command(bytes) => EntryPayload::Normal(LogCommand(bytes)),
        pb::entry::Payload::Membership(m) => EntryPayload::Membership(from_membership(m)?),
    };
    Ok(Entry { log_id, payload })
}

pub fn append_request(group: u64, rpc: &AppendEntriesRequest<TypeConfig>) -> pb::AppendEntriesRequest {
    pb::AppendEntriesRequest {
        group,
        vote: Some(vote(&rpc.vote)),
        prev_log_id: rpc.prev_log_id.as_ref().map(log_id),
        entries: rpc.entries.iter().map(entry).collect(),
        leader_commit: rpc.leader_commit.as_ref().map(log_id),
    }
}

pub fn from_append_request(rpc: pb::AppendEntriesRequest) -> Result<AppendEntriesRequest<TypeConfig>> {
    Ok(AppendEntriesRequest {
        vote: from_vote(rpc.vote)?,
        prev_log_id: rpc.prev_log_id.map(from_log_id),
        entries: rpc.entries.into_iter().map(from_entry).collect::<Result<_>>()?,
        leader_commit: rpc.leader_commit.map(from_log_id),
    })
}

pub fn append_response(response: &AppendEntriesResponse<TypeConfig>) -> pb::AppendEntriesResponse {
    use pb::append_entries_response::Result as R;
    let result = match response {
        AppendEntriesResponse::Success => R::Success(true),
        AppendEntriesResponse::PartialSuccess(matched) => {
            R::PartialSuccess(pb::PartialSuccess { matched: matched.as_ref().map(log_id) })
        }
        AppendEntriesResponse::Conflict => R::Conflict(true),
        AppendEntriesResponse::HigherVote(v) => R::HigherVote(vote(v)),
    };
    pb::AppendEntriesResponse { result: Some(result) }
}

pub fn from_append_response(response: pb::AppendEntriesResponse) -> Result<AppendEntriesResponse<TypeConfig>> {
    use pb::append_entries_response::Result as R;
    Ok(match response.result.ok_or(Malformed("append response without result"))? {
        R::Success(_) => AppendEntriesResponse::Success,
        R::PartialSuccess(p) => AppendEntriesResponse::PartialSuccess(p.matched.map(from_log_id)),
        R::Conflict(_) => AppendEntriesResponse::Conflict,
        R::HigherVote(v) => AppendEntriesResponse::HigherVote(from_vote(Some(v))?),
    })
}

pub fn vote_request(group: u64, rpc: &VoteRequest<TypeConfig>) -> pb::VoteRequest {
    pb::VoteRequest {
        group,
        vote: Some(vote(&rpc.vote)),
        last_log_id: rpc.last_log_id.as_ref().map(log_id),
        leadership_transfer: rpc.leadership_transfer,
    }
}

pub fn from_vote_request(rpc: pb::VoteRequest) -> Result<VoteRequest<TypeConfig>> {
    let mut request = VoteRequest::new(from_vote(rpc.vote)?, rpc.last_log_id.map(from_log_id));
    request.leadership_transfer = rpc.leadership_transfer;
    Ok(request)
}

pub fn vote_response(response: &VoteResponse<TypeConfig>) -> pb::VoteResponse {
    pb::VoteResponse {
        vote: Some(vote(&response.vote)),
        granted: response.vote_granted,
        last_log_id: response.last_log_id.as_ref().map(log_id),
    }
}

pub fn from_vote_response(response: pb::VoteResponse) -> Result<VoteResponse<TypeConfig>> {
    Ok(VoteResponse::new(from_vote(response.vote)?, response.last_log_id.map(from_log_id), response.granted))
}

pub fn transfer_request(group: u64, rpc: &TransferLeaderRequest<TypeConfig>) -> pb::TransferLeaderRequest {
    pb::TransferLeaderRequest {
        group,
        from_leader: Some(vote(rpc.from_leader())),
        to_node_id: *rpc.to_node_id(),
        last_log_id: rpc.last_log_id().map(log_id),
    }
}

pub fn from_transfer_request(rpc: pb::TransferLeaderRequest) -> Result<TransferLeaderRequest<TypeConfig>> {
    Ok(TransferLeaderRequest::new(from_vote(rpc.from_leader)?, rpc.to_node_id, rpc.last_log_id.map(from_log_id)))
}

pub fn transfer_response(response: &TransferLeaderResponse<TypeConfig>) -> pb::TransferLeaderResponse {
    use pb::transfer_leader_response::Result as R;
    let result = match response {
        Ok(()) => R::Ok(true),
        Err(TransferLeaderError::VoteChanged { expected, actual }) => {
            R::VoteChanged(pb::VoteMismatch { expected: Some(vote(expected)), actual: Some(vote(actual)) })
        }
        Err(TransferLeaderError::LogNotFlushed { expected, actual }) => R::LogNotFlushed(pb::LogMismatch {
            expected: expected.as_ref().map(log_id),
            actual: actual.as_ref().map(log_id),
        }),
    };
    pb::TransferLeaderResponse { result: Some(result) }
}

pub fn from_transfer_response(response: pb::TransferLeaderResponse) -> Result<TransferLeaderResponse<TypeConfig>> {
    use pb::transfer_leader_response::Result as R;
    match response.result.ok_or(Malformed("transfer result missing"))? {
        R::Ok(_) => Ok(Ok(())),
        R::VoteChanged(m) => {
            Ok(Err(TransferLeaderError::VoteChanged { expected: from_vote(m.expected)?, actual: from_vote(m.actual)? }))
        }
        R::LogNotFlushed(m) => Ok(Err(TransferLeaderError::LogNotFlushed {
            expected: m.expected.map(from_log_id),
            actual: m.actual.map(from_log_id),
        })),
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;

    fn round_trip(e: &Entry) -> Entry {
        from_entry(entry(e)).expect("decodes")
    }

    #[test]
    fn entries_of_every_kind_survive_the_round_trip() {
        let id = from_log_id(pb::LogId { term: 3, leader_node: 2, index: 41 });
        let nodes: BTreeMap<u64, BrokerNode> = [1, 2]
            .map(|n| {
                (
                    n,
                    BrokerNode {
                        peer_addr: format!("p{n}"),
                        client_addr: format!("c{n}"),
                        kafka_addr: format!("k{n}"),
                    },
                )
            })
            .into_iter()
            .collect();
        let joint = Membership::new(vec![BTreeSet::from([1]), BTreeSet::from([1, 2])], nodes).expect("valid");
        for payload in [
            EntryPayload::Blank,
            EntryPayload::Normal(LogCommand(Bytes::from_static(b"ops"))),
            EntryPayload::Membership(joint),
        ] {
            let e = Entry { log_id: id, payload };
            assert_eq!(round_trip(&e), e);
        }
        assert!(from_entry(pb::Entry { log_id: None, payload: None }).is_err());
        let v = Vote::new_committed(7, 3);
        assert_eq!(from_vote(Some(vote(&v))).expect("vote"), v);
    }
}
