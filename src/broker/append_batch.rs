//! Produce of client-built batches (the Kafka listener): a RecordBatch v2 is checked as Kafka's
//! broker checks it and stored as it came; apply patches only its base offset and leader epoch
//! (both outside the CRC). An idempotent producer's id, epoch and sequence travel in its header,
//! so the duplicate and order checks are the same as for the gRPC produce.
use super::Broker;
use super::apply::Op;
use super::produce::{Acks, Queued, now_ms};
use crate::error::{Error, Result};
use crate::storage::batch::{self, BatchError, BatchHeader};

/// Attribute bits Kafka defines beyond the codec (bits 0-2) and the timestamp type (bit 3).
const TRANSACTIONAL: i16 = 0x10;
const CONTROL: i16 = 0x20;
const CODEC_MASK: i16 = 0x07;
/// zstd; codecs above it do not exist.
const LAST_CODEC: i16 = 4;

impl Broker {
    /// Checks one client batch for `topic`/`partition` and queues it. Batches are written in the
    /// order they were queued, so a connection that queues its requests one after another keeps
    /// their order. The [`Queued`] answers once the batch is stored as `acks` asks.
    pub async fn enqueue_batch(&self, topic: &str, partition: u32, batch: Vec<u8>, acks: Acks) -> Result<Queued> {
        self.ensure_open()?;
        let (topic_state, _) = self.led_partition(topic, partition)?;
        let header = self.check_batch(topic, partition, &batch)?;
        if header.producer_id >= 0 && acks != Acks::All {
            return Err(Error::invalid("acks", "an idempotent producer (producer id set) must use acks=all"));
        }
        let bytes = batch.len();
        let append = Op::Append {
            topic: topic.to_string(),
            topic_id: topic_state.meta.id,
            now_ms: now_ms(),
            batches: vec![(partition, batch)],
        };
        self.enqueue(append, acks, bytes).await
    }

    /// Kafka's rules for a produced batch: format v2, intact (length, CRC, count), no control or
    /// transactional batches, sequences with a producer id, and the size limits.
    fn check_batch(&self, topic: &str, partition: u32, bytes: &[u8]) -> Result<BatchHeader> {
        let corrupt = |reason: String| Error::CorruptBatch { topic: topic.to_string(), partition, reason };
        if let Some(&magic) = bytes.get(16).filter(|m| **m != batch::MAGIC) {
            return Err(Error::UnsupportedMessageFormat { magic });
        }
        let limit = self.config.max_request_bytes;
        if bytes.len() > limit {
            return Err(Error::MessageTooLarge(format!(
                "the batch for {topic}/{partition} is {} bytes; --max-request-bytes is {limit}",
                bytes.len()
            )));
        }
        let header = batch::verify(bytes).map_err(|e| corrupt(e.to_string()))?;
        if header.record_count <= 0 || i64::from(header.last_offset_delta) + 1 != i64::from(header.record_count) {
            return Err(corrupt(format!(
                "{} records with a last offset delta of {}",
                header.record_count, header.last_offset_delta
            )));
        }
        check_attributes(&header).map_err(|e| match e {
            Problem::Corrupt(reason) => corrupt(reason),
            Problem::Invalid(reason) => Error::InvalidRecord(format!("{topic}/{partition}: {reason}")),
        })?;
        if header.attributes & CODEC_MASK == 0 {
            self.check_records(topic, partition, bytes, &header)?;
        }
        Ok(header)
    }

    /// An uncompressed batch's records: each parses, their offsets run 0..count, and none is
    /// over `--max-record-bytes`. (A compressed batch is stored without opening it, as Kafka
    /// does for a codec the topic keeps.)
    fn check_records(&self, topic: &str, partition: u32, bytes: &[u8], header: &BatchHeader) -> Result<()> {
        let corrupt = |reason: String| Error::CorruptBatch { topic: topic.to_string(), partition, reason };
        let owned = bytes::Bytes::copy_from_slice(bytes);
        let (_, records) = batch::decode(&owned).map_err(|e: BatchError| corrupt(e.to_string()))?;
        let limit = self.config.max_record_bytes;
        for (i, record) in records.iter().enumerate() {
            if record.offset != header.base_offset + i as i64 {
                return Err(corrupt(format!("record {i} has offset delta {}", record.offset - header.base_offset)));
            }
            let len = record.payload_len();
            if len > limit {
                return Err(Error::MessageTooLarge(format!(
                    "record {i} for {topic}/{partition} is {len} bytes (key + value + headers); --max-record-bytes \
                     is {limit}"
                )));
            }
        }
        Ok(())
    }
}

enum Problem {
    Corrupt(String),
    Invalid(String),
}

fn check_attributes(header: &BatchHeader) -> Result<(), Problem> {
    let codec = header.attributes & CODEC_MASK;
    if codec > LAST_CODEC {
        return Err(Problem::Corrupt(format!("unknown compression codec {codec}")));
    }
    if header.attributes & CONTROL != 0 {
        return Err(Problem::Invalid("control batches are written by brokers, not producers".into()));
    }
    if header.attributes & TRANSACTIONAL != 0 {
        return Err(Problem::Invalid("transactions are not supported yet: produce without transactional.id".into()));
    }
    if header.producer_id >= 0 && (header.producer_epoch < 0 || header.base_sequence < 0) {
        return Err(Problem::Invalid(format!(
            "producer id {} needs a producer epoch and base sequence of at least 0, not {} and {}",
            header.producer_id, header.producer_epoch, header.base_sequence
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(attributes: i16, producer_id: i64, base_sequence: i32) -> BatchHeader {
        BatchHeader {
            base_offset: 0,
            last_offset_delta: 0,
            base_timestamp: 0,
            max_timestamp: 0,
            record_count: 1,
            attributes,
            producer_id,
            producer_epoch: 0,
            base_sequence,
        }
    }

    #[test]
    fn attributes_refuse_control_transactional_and_unknown_codecs() {
        assert!(check_attributes(&header(0, -1, -1)).is_ok());
        assert!(check_attributes(&header(4, 7, 0)).is_ok(), "zstd with a producer");
        assert!(matches!(check_attributes(&header(5, -1, -1)), Err(Problem::Corrupt(_))));
        assert!(matches!(check_attributes(&header(CONTROL, -1, -1)), Err(Problem::Invalid(_))));
        assert!(matches!(check_attributes(&header(TRANSACTIONAL, 7, 0)), Err(Problem::Invalid(_))));
        assert!(matches!(check_attributes(&header(0, 7, -1)), Err(Problem::Invalid(_))));
    }
}
