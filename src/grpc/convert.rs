//! proto ⇄ domain conversions, kept out of the handlers.
use std::time::Duration;

use tonic::Status;

use crate::broker::{
    Acks, CommittedOffset, ConfigSource, Effective, FetchRequest, FetchResponse, OffsetCommit, OffsetSpec,
    PartitionInfo, PartitionResult, ProduceRecord, ProduceRequest, ProducerIdentity, ProducerSequence, TopicConfig,
    TopicInfo,
};
use crate::error::Error;
use crate::proto;
use crate::records::{Codec, StoredRecord};

pub fn topic_config(config: Option<proto::TopicConfig>) -> TopicConfig {
    let config = config.unwrap_or_default();
    TopicConfig { retention_ms: config.retention_ms, retention_bytes: config.retention_bytes }
}

pub fn topic(info: TopicInfo) -> proto::Topic {
    proto::Topic {
        name: info.name,
        partition_count: info.partition_count,
        config: Some(proto::TopicConfig {
            retention_ms: info.config.retention_ms,
            retention_bytes: info.config.retention_bytes,
        }),
        effective_config: Some(proto::EffectiveConfig {
            retention_ms: Some(effective(info.effective.retention_ms)),
            retention_bytes: Some(effective(info.effective.retention_bytes)),
        }),
        partitions: info.partitions.into_iter().map(partition_info).collect(),
        replication_factor: 0,
    }
}

fn effective(e: Effective) -> proto::EffectiveValue {
    let source = match e.source {
        ConfigSource::Topic => proto::ConfigSource::Topic,
        ConfigSource::BrokerDefault => proto::ConfigSource::BrokerDefault,
    };
    proto::EffectiveValue { value: e.value, source: source as i32 }
}

fn partition_info(p: PartitionInfo) -> proto::PartitionInfo {
    proto::PartitionInfo {
        partition: p.partition,
        log_start_offset: p.log_start_offset,
        high_watermark: p.high_watermark,
        size_bytes: p.size_bytes,
        // Placement is filled by the service from the cluster's view.
        ..Default::default()
    }
}

pub fn produce_request(req: proto::ProduceRequest) -> Result<ProduceRequest, Status> {
    let acks = match proto::Acks::try_from(req.acks) {
        Ok(proto::Acks::Unspecified | proto::Acks::All) => Acks::All,
        Ok(proto::Acks::Leader) => Acks::Leader,
        Ok(proto::Acks::None) => Acks::None,
        Err(_) => return Err(unknown_enum("acks", req.acks, "ACKS_ALL, ACKS_LEADER, ACKS_NONE")),
    };
    let records = req
        .records
        .into_iter()
        .map(|r| ProduceRecord { key: r.key, value: r.value, headers: r.headers, timestamp_ms: r.timestamp_ms })
        .collect();
    let producer = match req.producer_id {
        None | Some(-1) => None,
        Some(producer_id) => {
            Some(ProducerSequence { producer_id, epoch: epoch(req.producer_epoch)?, base_sequence: req.base_sequence })
        }
    };
    let compression = match proto::Compression::try_from(req.compression) {
        Ok(proto::Compression::None) => Codec::None,
        Ok(proto::Compression::Gzip) => Codec::Gzip,
        Ok(proto::Compression::Snappy) => Codec::Snappy,
        Ok(proto::Compression::Lz4) => Codec::Lz4,
        Ok(proto::Compression::Zstd) => Codec::Zstd,
        Err(_) => {
            let names = "COMPRESSION_NONE, COMPRESSION_GZIP, COMPRESSION_SNAPPY, COMPRESSION_LZ4, COMPRESSION_ZSTD";
            return Err(unknown_enum("compression", req.compression, names));
        }
    };
    Ok(ProduceRequest { topic: req.topic, partition: req.partition, records, acks, producer, compression })
}

/// The producer's name and, for a renewal, its current instance.
pub fn init_producer_id(
    req: proto::InitProducerIdRequest,
) -> Result<(Option<String>, Option<ProducerIdentity>), Status> {
    let renewing = match req.producer_id {
        None | Some(-1) => None,
        Some(id) => Some(ProducerIdentity { id, epoch: epoch(req.producer_epoch)? }),
    };
    Ok((req.producer_name, renewing))
}

/// A Kafka producer epoch (an i16) from its proto int32.
fn epoch(value: i32) -> Result<i16, Status> {
    i16::try_from(value)
        .map_err(|_| Status::from(Error::invalid("producer_epoch", format!("{value} is not within 0..=32767"))))
}

pub fn producer_identity(identity: ProducerIdentity) -> proto::InitProducerIdResponse {
    proto::InitProducerIdResponse { producer_id: identity.id, producer_epoch: i32::from(identity.epoch) }
}

pub fn produce_response(results: Vec<PartitionResult>) -> proto::ProduceResponse {
    let results = results
        .into_iter()
        .map(|r| proto::PartitionResult {
            partition: r.partition,
            base_offset: r.base_offset,
            record_count: r.record_count,
            duplicate: r.duplicate,
        })
        .collect();
    proto::ProduceResponse { results }
}

pub fn fetch_request(req: proto::FetchRequest) -> FetchRequest {
    FetchRequest {
        topic: req.topic,
        partition: req.partition,
        offset: req.offset,
        max_bytes: req.max_bytes,
        max_wait: Duration::from_millis(u64::from(req.max_wait_ms)),
    }
}

pub fn subscribe_request(req: proto::SubscribeRequest) -> FetchRequest {
    FetchRequest {
        topic: req.topic,
        partition: req.partition,
        offset: req.offset,
        max_bytes: req.max_bytes,
        max_wait: Duration::ZERO,
    }
}

pub fn fetch_response(resp: FetchResponse) -> proto::FetchResponse {
    proto::FetchResponse {
        records: resp.records.into_iter().map(stored_record).collect(),
        high_watermark: resp.high_watermark,
        log_start_offset: resp.log_start_offset,
        partition: resp.partition,
    }
}

/// Kafka allows repeated header keys; the proto map keeps the last value of each.
fn stored_record(r: StoredRecord) -> proto::StoredRecord {
    proto::StoredRecord {
        offset: r.offset,
        timestamp_ms: r.timestamp_ms,
        key: r.key,
        value: r.value.unwrap_or_default(),
        headers: r.headers.into_iter().collect(),
    }
}

pub fn offset_spec(req: &proto::ListOffsetsRequest) -> Result<OffsetSpec, Status> {
    match proto::OffsetSpec::try_from(req.spec) {
        Ok(proto::OffsetSpec::Earliest) => Ok(OffsetSpec::Earliest),
        Ok(proto::OffsetSpec::Latest) => Ok(OffsetSpec::Latest),
        Ok(proto::OffsetSpec::Timestamp) => Ok(OffsetSpec::Timestamp(req.timestamp_ms)),
        _ => Err(unknown_enum("spec", req.spec, "OFFSET_SPEC_EARLIEST, OFFSET_SPEC_LATEST, OFFSET_SPEC_TIMESTAMP")),
    }
}

pub fn offset_commits(offsets: Vec<proto::OffsetCommit>) -> Vec<OffsetCommit> {
    offsets
        .into_iter()
        .map(|o| OffsetCommit { partition: o.partition, offset: o.offset, metadata: o.metadata })
        .collect()
}

pub fn committed_offsets(offsets: Vec<CommittedOffset>) -> proto::FetchCommittedOffsetsResponse {
    let offsets = offsets
        .into_iter()
        .map(|o| proto::CommittedOffset { partition: o.partition, offset: o.offset, metadata: o.metadata })
        .collect();
    proto::FetchCommittedOffsetsResponse { offsets }
}

fn unknown_enum(field: &'static str, value: i32, allowed: &str) -> Status {
    Error::invalid(field, format!("{value} is not one of {allowed}")).into()
}
