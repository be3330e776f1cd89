//! The broker's error type. Each variant maps to exactly one gRPC status in
//! `grpc::status` (the one mapping point); messages say what to fix.
use crate::storage::StorageError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The topic does not exist (or was deleted while the request was queued).
    #[error("topic \"{0}\" not found")]
    TopicNotFound(String),
    /// The topic exists but has fewer partitions.
    #[error("partition {partition} not found: topic \"{topic}\" has partitions 0..{partitions}")]
    PartitionNotFound { topic: String, partition: u32, partitions: u32 },
    /// CreateTopic for a name already taken.
    #[error("topic \"{0}\" already exists")]
    TopicExists(String),
    /// A request field is malformed or over a limit; `field` names it.
    #[error("invalid {field}: {reason}")]
    InvalidArgument { field: &'static str, reason: String },
    /// An offset outside `[log_start, high_watermark]`.
    #[error(
        "offset {offset} is out of range for {topic}/{partition}: valid offsets are \
         {log_start}..={high_watermark} (log start ..= high watermark)"
    )]
    OffsetOutOfRange { topic: String, partition: u32, offset: i64, log_start: i64, high_watermark: i64 },
    /// The consumer group has no such member (never joined, left, or its session expired).
    #[error(
        "UNKNOWN_MEMBER_ID: member \"{member_id}\" is not in group \"{group}\" (session expired or left); join again"
    )]
    UnknownMember { group: String, member_id: String },
    /// The member's epoch is not current: it is a zombie or missed an assignment change.
    #[error(
        "FENCED_MEMBER_EPOCH: member \"{member_id}\" of group \"{group}\" sent epoch {epoch}, current is {current}; \
         heartbeat to refresh the assignment"
    )]
    FencedMember { group: String, member_id: String, epoch: i32, current: i32 },
    /// The member committed a partition it does not own.
    #[error("NOT_ASSIGNED: {topic}/{partition} is not assigned to member \"{member_id}\" of group \"{group}\"")]
    NotAssigned { group: String, member_id: String, topic: String, partition: u32 },
    /// No such consumer group (no members and no committed offsets).
    #[error("ILLEGAL_GENERATION: group \"{group}\" is at generation {current}, not {generation}; rejoin the group")]
    IllegalGeneration { group: String, generation: i32, current: i32 },
    #[error("REBALANCE_IN_PROGRESS: group \"{group}\" is rebalancing; rejoin the group")]
    RebalanceInProgress { group: String },
    #[error("INCONSISTENT_GROUP_PROTOCOL: group \"{group}\": {reason}")]
    InconsistentGroupProtocol { group: String, reason: String },
    #[error(
        "GROUP_SUBSCRIBED_TO_TOPIC: group \"{group}\" has members reading \"{topic}\"; its offsets there can be \
         deleted once they stop"
    )]
    GroupSubscribedToTopic { group: String, topic: String },
    #[error("group \"{0}\" not found")]
    GroupNotFound(String),
    /// DeleteGroup on a group that still has members.
    #[error("group \"{group}\" still has {members} members; they must leave before it can be deleted")]
    GroupNotEmpty { group: String, members: usize },
    /// An idempotent produce named a producer id never issued, or forgotten after expiry.
    #[error(
        "UNKNOWN_PRODUCER_ID: producer id {producer_id} is not known to this broker (never issued, or \
         forgotten after --producer-id-expiry without use); call InitProducerId for a new one"
    )]
    UnknownProducerId { producer_id: i64 },
    /// A newer instance of a named producer took over its id (InitProducerId bumped the epoch).
    #[error(
        "PRODUCER_FENCED: producer id {producer_id} epoch {epoch} was fenced by a newer instance \
         (epoch {current}); this instance must stop producing"
    )]
    ProducerFenced { producer_id: i64, epoch: i16, current: i16 },
    /// An epoch newer than any InitProducerId returned for the id.
    #[error(
        "INVALID_PRODUCER_EPOCH: producer id {producer_id} is at epoch {current}, not {epoch}; \
         use the epoch InitProducerId returned"
    )]
    InvalidProducerEpoch { producer_id: i64, epoch: i16, current: i16 },
    /// An idempotent batch that is neither the producer's next one in the partition nor a
    /// retry of one of its last five.
    #[error(
        "OUT_OF_ORDER_SEQUENCE_NUMBER: {topic}/{partition} expected sequence {expected} from producer id \
         {producer_id} (epoch {epoch}), got {got}; nothing was appended"
    )]
    OutOfOrderSequence { topic: String, partition: u32, producer_id: i64, epoch: i16, expected: i32, got: i32 },
    /// This broker does not lead the partition (or group) asked for; the client should send it
    /// to the leader named, or, with none known yet, refresh and retry shortly.
    #[error(
        "NOT_LEADER: this broker does not lead it; {}",
        match (leader_id, leader_addr) {
            (Some(id), Some(addr)) => format!("the leader is node {id} at {addr}"),
            (Some(id), None) => format!("the leader is node {id}"),
            _ => "no leader is known yet (an election is under way); retry shortly".to_string(),
        }
    )]
    NotLeader { leader_id: Option<u64>, leader_addr: Option<String> },
    /// A replication factor the cluster cannot give (more than its live brokers).
    #[error("INVALID_REPLICATION_FACTOR: {0}")]
    InvalidReplicationFactor(String),
    /// A broker id that is not a member of the cluster.
    #[error("BROKER_NOT_FOUND: broker {0} is not a member of this cluster; `strata cluster status` lists the members")]
    UnknownBroker(u64),
    /// A change to the cluster's members that cannot be made, and why.
    #[error("MEMBERSHIP_CHANGE_REFUSED: {0}")]
    MembershipChange(String),
    /// Another membership change is under way (or a new leader is settling): retry shortly.
    #[error("MEMBERSHIP_CHANGE_IN_PROGRESS: {0}; retry shortly")]
    MembershipChanging(String),
    /// This broker does not coordinate consumer groups; the client should send group calls
    /// (join, heartbeat, commits) to the coordinator named.
    #[error(
        "NOT_COORDINATOR: this broker does not coordinate consumer groups; {}",
        match (coordinator_id, coordinator_addr) {
            (Some(id), Some(addr)) => format!("the coordinator is node {id} at {addr}"),
            (Some(id), None) => format!("the coordinator is node {id}"),
            _ => "no coordinator is known yet (an election is under way); retry shortly".to_string(),
        }
    )]
    NotCoordinator { coordinator_id: Option<u64>, coordinator_addr: Option<String> },
    /// In a cluster, an offset above this leader's high watermark: after a failover the new
    /// leader may briefly be behind what the old one served. Retriable; never a reason to reset.
    #[error(
        "OFFSET_NOT_AVAILABLE: {topic}/{partition} has records up to {high_watermark} on this leader, not yet \
         {offset}; retry shortly"
    )]
    OffsetNotAvailable { topic: String, partition: u32, offset: i64, high_watermark: i64 },
    /// The broker is shutting down and takes no new work.
    #[error("CORRUPT_MESSAGE: the batch for {topic}/{partition} is malformed: {reason}")]
    CorruptBatch { topic: String, partition: u32, reason: String },
    #[error(
        "UNSUPPORTED_FOR_MESSAGE_FORMAT: the batch is in message format v{magic}; strata stores RecordBatch v2 \
         (Kafka 0.11 and later): use a newer client"
    )]
    UnsupportedMessageFormat { magic: u8 },
    #[error("INVALID_RECORD: {0}")]
    InvalidRecord(String),
    #[error("MESSAGE_TOO_LARGE: {0}")]
    MessageTooLarge(String),
    #[error("broker is shutting down; retry against a running broker")]
    ShuttingDown,
    /// Too much is queued; the producer should back off and retry.
    #[error("broker is overloaded: {0}; retry later")]
    Overloaded(String),
    /// The filesystem is full: writes are refused until space is freed, reads go on.
    #[error(
        "disk full: the broker cannot write until space is freed on its data dir's filesystem; reads go on, and writes resume by themselves once there is room"
    )]
    DiskFull,
    /// A stored batch failed its integrity check; its records are not returned.
    #[error("stored data is corrupt in {topic}/{partition} at offset {offset}")]
    Corrupt { topic: String, partition: u32, offset: i64 },
    /// A group write failed; nothing in it was acknowledged, but a WAL record that reached the
    /// disk before a failed fsync is replayed at restart, so the outcome is unknown.
    #[error("write failed; the request may or may not have been stored (details in the broker log)")]
    WriteFailed,
    /// The storage layer failed; details are in the broker log.
    #[error("internal storage error")]
    Storage(#[source] StorageError),
}

impl Error {
    pub fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        Error::InvalidArgument { field, reason: reason.into() }
    }

    /// A NOT_LEADER met by a consumer-group call: the group's coordinator is that leader.
    pub fn as_coordinator(self) -> Self {
        match self {
            Error::NotLeader { leader_id, leader_addr } => {
                Error::NotCoordinator { coordinator_id: leader_id, coordinator_addr: leader_addr }
            }
            other => other,
        }
    }

    /// A stable machine-readable reason, sent beside the message so clients can branch on it.
    pub fn reason(&self) -> &'static str {
        match self {
            Error::TopicNotFound(_) => "UNKNOWN_TOPIC",
            Error::PartitionNotFound { .. } => "UNKNOWN_PARTITION",
            Error::TopicExists(_) => "TOPIC_ALREADY_EXISTS",
            Error::InvalidArgument { .. } => "INVALID_ARGUMENT",
            Error::OffsetOutOfRange { .. } => "OFFSET_OUT_OF_RANGE",
            Error::UnknownMember { .. } => "UNKNOWN_MEMBER_ID",
            Error::FencedMember { .. } => "FENCED_MEMBER_EPOCH",
            Error::NotAssigned { .. } => "NOT_ASSIGNED",
            Error::IllegalGeneration { .. } => "ILLEGAL_GENERATION",
            Error::RebalanceInProgress { .. } => "REBALANCE_IN_PROGRESS",
            Error::InconsistentGroupProtocol { .. } => "INCONSISTENT_GROUP_PROTOCOL",
            Error::GroupSubscribedToTopic { .. } => "GROUP_SUBSCRIBED_TO_TOPIC",
            Error::GroupNotFound(_) => "UNKNOWN_GROUP",
            Error::GroupNotEmpty { .. } => "GROUP_NOT_EMPTY",
            Error::UnknownProducerId { .. } => "UNKNOWN_PRODUCER_ID",
            Error::ProducerFenced { .. } => "PRODUCER_FENCED",
            Error::InvalidProducerEpoch { .. } => "INVALID_PRODUCER_EPOCH",
            Error::OutOfOrderSequence { .. } => "OUT_OF_ORDER_SEQUENCE_NUMBER",
            Error::NotLeader { .. } => "NOT_LEADER",
            Error::NotCoordinator { .. } => "NOT_COORDINATOR",
            Error::InvalidReplicationFactor(_) => "INVALID_REPLICATION_FACTOR",
            Error::UnknownBroker(_) => "BROKER_NOT_FOUND",
            Error::MembershipChange(_) => "MEMBERSHIP_CHANGE_REFUSED",
            Error::MembershipChanging(_) => "MEMBERSHIP_CHANGE_IN_PROGRESS",
            Error::OffsetNotAvailable { .. } => "OFFSET_NOT_AVAILABLE",
            Error::CorruptBatch { .. } => "CORRUPT_MESSAGE",
            Error::UnsupportedMessageFormat { .. } => "UNSUPPORTED_FOR_MESSAGE_FORMAT",
            Error::InvalidRecord(_) => "INVALID_RECORD",
            Error::MessageTooLarge(_) => "MESSAGE_TOO_LARGE",
            Error::ShuttingDown => "SHUTTING_DOWN",
            Error::Overloaded(_) => "OVERLOADED",
            Error::DiskFull => "DISK_FULL",
            Error::Corrupt { .. } => "CORRUPT_DATA",
            Error::WriteFailed | Error::Storage(_) => "INTERNAL",
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
