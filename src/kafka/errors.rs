//! The one place where broker errors become Kafka error codes. Each code is the one a Kafka
//! broker answers in the same case, so clients retry, refresh metadata or give up as they would
//! against Kafka. Messages (where a response has a field for them) carry strata's text.
use kafka_protocol::error::ResponseError as Code;

use crate::error::Error;

/// The Kafka error code for `e`, counted by name for the dashboards.
pub fn code(e: &Error) -> i16 {
    let kind = kind(e);
    metrics::counter!(crate::metrics::KAFKA_ERRORS, "error" => error_name(kind)).increment(1);
    kind.code()
}

/// The error's name as Kafka's documentation spells it in CamelCase (`NotLeaderOrFollower`).
fn error_name(kind: Code) -> String {
    format!("{kind:?}")
}

fn kind(e: &Error) -> Code {
    match e {
        Error::TopicNotFound(_) | Error::PartitionNotFound { .. } => Code::UnknownTopicOrPartition,
        Error::TopicExists(_) => Code::TopicAlreadyExists,
        Error::InvalidArgument { field: "name" | "topic", .. } => Code::InvalidTopicException,
        Error::InvalidArgument { field: "partitions", .. } => Code::InvalidPartitions,
        Error::InvalidArgument { field: "group", .. } => Code::InvalidGroupId,
        Error::InvalidArgument { field, .. } if field.starts_with("config") => Code::InvalidConfig,
        Error::InvalidArgument { .. } => Code::InvalidRequest,
        Error::OffsetOutOfRange { .. } => Code::OffsetOutOfRange,
        Error::UnknownMember { .. } | Error::NotAssigned { .. } => Code::UnknownMemberId,
        Error::FencedMember { .. } => Code::FencedMemberEpoch,
        Error::GroupNotFound(_) => Code::GroupIdNotFound,
        Error::IllegalGeneration { .. } => Code::IllegalGeneration,
        Error::GroupSubscribedToTopic { .. } => Code::GroupSubscribedToTopic,
        Error::RebalanceInProgress { .. } => Code::RebalanceInProgress,
        Error::InconsistentGroupProtocol { .. } => Code::InconsistentGroupProtocol,
        Error::GroupNotEmpty { .. } => Code::NonEmptyGroup,
        Error::UnknownProducerId { .. } => Code::UnknownProducerId,
        Error::ProducerFenced { .. } => Code::ProducerFenced,
        Error::InvalidProducerEpoch { .. } => Code::InvalidProducerEpoch,
        Error::OutOfOrderSequence { .. } => Code::OutOfOrderSequenceNumber,
        Error::NotLeader { .. } => Code::NotLeaderOrFollower,
        Error::NotCoordinator { .. } => Code::NotCoordinator,
        Error::InvalidReplicationFactor(_) => Code::InvalidReplicationFactor,
        // Not reachable from Kafka's API (members change through strata's own).
        Error::UnknownBroker(_) | Error::MembershipChange(_) | Error::MembershipChanging(_) => Code::InvalidRequest,
        Error::OffsetNotAvailable { .. } => Code::OffsetNotAvailable,
        Error::CorruptBatch { .. } => Code::CorruptMessage,
        Error::UnsupportedMessageFormat { .. } => Code::UnsupportedForMessageFormat,
        Error::InvalidRecord(_) => Code::InvalidRecord,
        Error::MessageTooLarge(_) => Code::MessageTooLarge,
        // Retriable in every client: it goes to another broker or tries again later.
        Error::ShuttingDown => Code::BrokerNotAvailable,
        Error::Overloaded(_) => Code::ThrottlingQuotaExceeded,
        Error::DiskFull | Error::Corrupt { .. } => Code::KafkaStorageError,
        Error::WriteFailed | Error::Storage(_) => Code::UnknownServerError,
    }
}

/// The message for a response's error-message field: strata's text, except for internal
/// errors (their detail is in the broker log).
pub fn message(e: &Error) -> Option<kafka_protocol::protocol::StrBytes> {
    Some(kafka_protocol::protocol::StrBytes::from_string(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_match_what_kafka_answers() {
        assert_eq!(code(&Error::TopicNotFound("t".into())), 3);
        assert_eq!(code(&Error::NotLeader { leader_id: None, leader_addr: None }), 6);
        assert_eq!(code(&Error::CorruptBatch { topic: "t".into(), partition: 0, reason: "crc".into() }), 2);
        assert_eq!(code(&Error::invalid("name", "bad")), 17);
        assert_eq!(code(&Error::invalid("config.retention_ms", "bad")), 40);
        assert_eq!(
            code(&Error::OutOfOrderSequence {
                topic: "t".into(),
                partition: 0,
                producer_id: 1,
                epoch: 0,
                expected: 1,
                got: 3
            }),
            45
        );
        assert_eq!(code(&Error::WriteFailed), -1);
    }
}
