//! The one place where broker errors become gRPC statuses. Each status carries the message
//! (what to fix) and a stable reason in the `strata-reason` metadata key.
use tonic::metadata::MetadataValue;
use tonic::{Code, Status};

use crate::error::Error;

pub const REASON_KEY: &str = "strata-reason";
/// With NOT_LEADER (NOT_COORDINATOR): the leader's (coordinator's) node id and client address,
/// when known.
pub const LEADER_ID_KEY: &str = "strata-leader-id";
pub const LEADER_ADDR_KEY: &str = "strata-leader-addr";

/// Longest status message sent. Messages quote client input (a topic name may be megabytes);
/// an unbounded one would overflow the client's header limits and hide the real error.
pub const MAX_MESSAGE_BYTES: usize = 1024;

impl From<Error> for Status {
    fn from(e: Error) -> Self {
        let code = match &e {
            Error::TopicNotFound(_)
            | Error::PartitionNotFound { .. }
            | Error::GroupNotFound(_)
            | Error::UnknownBroker(_) => Code::NotFound,
            Error::UnknownMember { .. }
            | Error::FencedMember { .. }
            | Error::NotAssigned { .. }
            | Error::GroupNotEmpty { .. }
            | Error::IllegalGeneration { .. }
            | Error::GroupSubscribedToTopic { .. }
            | Error::InconsistentGroupProtocol { .. }
            | Error::UnknownProducerId { .. }
            | Error::ProducerFenced { .. }
            | Error::InvalidProducerEpoch { .. }
            | Error::OutOfOrderSequence { .. }
            | Error::InvalidReplicationFactor(_)
            | Error::MembershipChange(_) => Code::FailedPrecondition,
            Error::TopicExists(_) => Code::AlreadyExists,
            Error::InvalidArgument { .. }
            | Error::CorruptBatch { .. }
            | Error::UnsupportedMessageFormat { .. }
            | Error::InvalidRecord(_)
            | Error::MessageTooLarge(_) => Code::InvalidArgument,
            Error::OffsetOutOfRange { .. } => Code::OutOfRange,
            Error::RebalanceInProgress { .. } => Code::Aborted,
            Error::ShuttingDown
            | Error::NotLeader { .. }
            | Error::NotCoordinator { .. }
            | Error::OffsetNotAvailable { .. }
            | Error::MembershipChanging(_) => Code::Unavailable,
            Error::Overloaded(_) | Error::DiskFull => Code::ResourceExhausted,
            Error::Corrupt { .. } => Code::DataLoss,
            // Details were logged where the error arose; the client gets no internals.
            Error::WriteFailed | Error::Storage(_) => Code::Internal,
        };
        let mut status = Status::new(code, bounded(e.to_string()));
        status.metadata_mut().insert(REASON_KEY, MetadataValue::from_static(e.reason()));
        if let Error::NotLeader { leader_id: id, leader_addr: addr }
        | Error::NotCoordinator { coordinator_id: id, coordinator_addr: addr } = &e
        {
            let hint = [(LEADER_ID_KEY, id.map(|id| id.to_string())), (LEADER_ADDR_KEY, addr.clone())];
            for (key, value) in hint {
                if let Some(value) = value.and_then(|v| MetadataValue::try_from(v).ok()) {
                    status.metadata_mut().insert(key, value);
                }
            }
        }
        status
    }
}

fn bounded(mut message: String) -> String {
    if message.len() > MAX_MESSAGE_BYTES {
        let mut cut = MAX_MESSAGE_BYTES;
        while !message.is_char_boundary(cut) {
            cut -= 1;
        }
        message.truncate(cut);
        message.push_str("… (truncated)");
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_quoting_huge_input_are_cut_on_a_char_boundary() {
        let status = Status::from(Error::TopicNotFound("é".repeat(1 << 20)));
        assert!(status.message().len() <= MAX_MESSAGE_BYTES + 20, "{}", status.message().len());
        assert!(status.message().ends_with("(truncated)"));
        assert_eq!(Status::from(Error::TopicNotFound("t".into())).message(), "topic \"t\" not found");
    }

    #[test]
    fn out_of_range_names_both_bounds_and_the_reason() {
        let e =
            Error::OffsetOutOfRange { topic: "t".into(), partition: 1, offset: 99, log_start: 5, high_watermark: 42 };
        let status = Status::from(e);
        assert_eq!(status.code(), Code::OutOfRange);
        assert!(status.message().contains("5..=42"), "{}", status.message());
        assert_eq!(status.metadata().get(REASON_KEY).and_then(|v| v.to_str().ok()), Some("OFFSET_OUT_OF_RANGE"));
    }
}
