//! The stored batch: Kafka's RecordBatch v2 layout, one RocksDB value per produced batch.
//!
//! ```text
//! 0  base offset i64       | patched on append, not covered by the CRC
//! 8  batch length i32      | bytes after this field
//! 12 leader epoch i32      | set on append (the Raft term in a cluster), not covered by the CRC
//! 16 magic i8 = 2          | the format version
//! 17 crc u32               | CRC-32C of bytes 21..end
//! 21 attributes i16, 23 last offset delta i32, 27 base timestamp i64, 35 max timestamp i64,
//! 43 producer id i64, 51 producer epoch i16, 53 base sequence i32, 57 record count i32
//! 61 records (varint encoded; see `encode_record`)
//! ```
//! Keeping Kafka's layout lets a later Kafka-protocol listener store and serve client batches
//! verbatim; the header's max timestamp serves retention and time lookups without decoding.
use bytes::Bytes;

use super::varint::{VarintError, get_varint, get_varlong, put_varint, put_varlong};
pub use crate::records::codec::Codec;
pub use crate::records::record::StoredRecord;

pub const MAGIC: u8 = 2;
pub const HEADER_LEN: usize = 61;
const CRC_OFFSET: usize = 17;
const CRC_START: usize = 21;
const COMPRESSION_MASK: i16 = 0x07;

/// Why a stored batch could not be read. Any of these means the bytes on disk are not what was
/// written: callers report data loss, never partial data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BatchError {
    #[error("batch is {0} bytes, shorter than the {HEADER_LEN}-byte header")]
    TooShort(usize),
    #[error("unsupported batch format (magic byte {0}, expected {MAGIC})")]
    BadMagic(u8),
    #[error("batch length field says {declared} bytes but {actual} are stored")]
    LengthMismatch { declared: usize, actual: usize },
    #[error("CRC-32C mismatch: header says {stored:#010x}, data hashes to {computed:#010x}")]
    CrcMismatch { stored: u32, computed: u32 },
    #[error("the records (codec {codec}) do not decompress: {reason}")]
    Decompress { codec: i16, reason: String },
    #[error("record {index} is malformed: {reason}")]
    BadRecord { index: usize, reason: String },
}

impl From<(usize, VarintError)> for BatchError {
    fn from((index, e): (usize, VarintError)) -> Self {
        BatchError::BadRecord { index, reason: e.to_string() }
    }
}

/// A record to append, borrowed from the request that carries it.
#[derive(Debug, Clone, Copy)]
pub struct NewRecord<'a> {
    pub key: Option<&'a [u8]>,
    pub value: &'a [u8],
    pub headers: &'a [(&'a str, &'a [u8])],
    pub timestamp_ms: i64,
}

/// The fixed-size header fields strata reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchHeader {
    pub base_offset: i64,
    pub last_offset_delta: i32,
    pub base_timestamp: i64,
    pub max_timestamp: i64,
    pub record_count: i32,
    pub attributes: i16,
    /// -1 unless an idempotent producer wrote the batch.
    pub producer_id: i64,
    pub producer_epoch: i16,
    /// Sequence number of the first record, per producer and partition.
    pub base_sequence: i32,
}

impl BatchHeader {
    /// The offset after this batch's last record.
    pub fn next_offset(&self) -> i64 {
        self.base_offset + i64::from(self.last_offset_delta) + 1
    }
}

/// The idempotent producer a batch comes from (Kafka's header fields for KIP-98).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchProducer {
    pub id: i64,
    pub epoch: i16,
    pub base_sequence: i32,
}

impl BatchProducer {
    /// A batch from no idempotent producer: Kafka's -1 in every field.
    pub const NONE: BatchProducer = BatchProducer { id: -1, epoch: -1, base_sequence: -1 };
}

/// Encodes `records` as one batch with base offset 0 (see [`set_base_offset`]).
///
/// # Panics
/// If `records` is empty: an empty batch has no offsets to assign; callers reject empty requests.
pub fn encode_batch(records: &[NewRecord<'_>]) -> Vec<u8> {
    encode_producer_batch(records, BatchProducer::NONE)
}

/// [`encode_batch`] with the producer id, epoch and base sequence in the header.
pub fn encode_producer_batch(records: &[NewRecord<'_>], producer: BatchProducer) -> Vec<u8> {
    // Without compression nothing can fail.
    encode_compressed_batch(records, producer, Codec::None).unwrap_or_default()
}

/// [`encode_producer_batch`] with the records compressed by `codec`.
pub fn encode_compressed_batch(
    records: &[NewRecord<'_>],
    producer: BatchProducer,
    codec: Codec,
) -> std::io::Result<Vec<u8>> {
    assert!(!records.is_empty(), "a batch holds at least one record");
    let base_timestamp = records.iter().map(|r| r.timestamp_ms).min().unwrap_or(0);
    let max_timestamp = records.iter().map(|r| r.timestamp_ms).max().unwrap_or(0);
    let payload: usize = records.iter().map(|r| r.value.len() + r.key.map_or(0, <[u8]>::len)).sum();
    let mut buf = Vec::with_capacity(HEADER_LEN + payload + records.len() * 16);
    buf.resize(HEADER_LEN, 0);
    let mut scratch = Vec::new();
    for (delta, record) in records.iter().enumerate() {
        encode_record(&mut buf, &mut scratch, record, delta as i32, base_timestamp);
    }
    if codec != Codec::None {
        let compressed = super::compression::compress(codec, &buf[HEADER_LEN..])?;
        buf.truncate(HEADER_LEN);
        buf.extend_from_slice(&compressed);
    }
    let length = (buf.len() - 12) as i32;
    buf[8..12].copy_from_slice(&length.to_be_bytes());
    buf[12..16].copy_from_slice(&(-1i32).to_be_bytes()); // leader epoch: none yet
    buf[16] = MAGIC;
    buf[21..23].copy_from_slice(&(codec as i16).to_be_bytes()); // attributes: the codec, CreateTime
    buf[23..27].copy_from_slice(&(records.len() as i32 - 1).to_be_bytes());
    buf[27..35].copy_from_slice(&base_timestamp.to_be_bytes());
    buf[35..43].copy_from_slice(&max_timestamp.to_be_bytes());
    buf[43..51].copy_from_slice(&producer.id.to_be_bytes());
    buf[51..53].copy_from_slice(&producer.epoch.to_be_bytes());
    buf[53..57].copy_from_slice(&producer.base_sequence.to_be_bytes());
    buf[57..61].copy_from_slice(&(records.len() as i32).to_be_bytes());
    let crc = crc32c::crc32c(&buf[CRC_START..]);
    buf[CRC_OFFSET..CRC_START].copy_from_slice(&crc.to_be_bytes());
    Ok(buf)
}

fn encode_record(buf: &mut Vec<u8>, body: &mut Vec<u8>, r: &NewRecord<'_>, delta: i32, base_ts: i64) {
    body.clear();
    body.push(0); // record attributes: unused in v2
    put_varlong(body, r.timestamp_ms - base_ts);
    put_varint(body, delta);
    put_nullable_bytes(body, r.key);
    put_nullable_bytes(body, Some(r.value));
    put_varint(body, r.headers.len() as i32);
    for (key, value) in r.headers {
        put_nullable_bytes(body, Some(key.as_bytes()));
        put_nullable_bytes(body, Some(value));
    }
    put_varint(buf, body.len() as i32);
    buf.extend_from_slice(body);
}

fn put_nullable_bytes(buf: &mut Vec<u8>, bytes: Option<&[u8]>) {
    match bytes {
        None => put_varint(buf, -1),
        Some(b) => {
            put_varint(buf, b.len() as i32);
            buf.extend_from_slice(b);
        }
    }
}

/// Writes the offset of the batch's first record into its header. The CRC does not cover it, so
/// the commit loop can assign offsets without re-hashing.
pub fn set_base_offset(batch: &mut [u8], base_offset: i64) {
    batch[0..8].copy_from_slice(&base_offset.to_be_bytes());
}

/// Sets the partition leader epoch a batch was appended under (not covered by the CRC).
pub fn set_leader_epoch(batch: &mut [u8], epoch: i32) {
    batch[12..16].copy_from_slice(&epoch.to_be_bytes());
}

/// The partition leader epoch a batch was appended under.
pub fn leader_epoch(batch: &[u8]) -> Option<i32> {
    batch.get(12..16).map(|b| i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

/// Reads and checks the header (format, length, CRC) without decoding any record.
pub fn verify(batch: &[u8]) -> Result<BatchHeader, BatchError> {
    let header = read_header(batch)?;
    let stored = u32::from_be_bytes(be(batch, CRC_OFFSET));
    let computed = crc32c::crc32c(&batch[CRC_START..]);
    if stored != computed {
        return Err(BatchError::CrcMismatch { stored, computed });
    }
    Ok(header)
}

/// Reads the header fields, checking format and length but not the CRC (for scans that only
/// need offsets and timestamps and never return record data).
pub fn read_header(batch: &[u8]) -> Result<BatchHeader, BatchError> {
    if batch.len() < HEADER_LEN {
        return Err(BatchError::TooShort(batch.len()));
    }
    if batch[16] != MAGIC {
        return Err(BatchError::BadMagic(batch[16]));
    }
    let declared = i32::from_be_bytes(be(batch, 8));
    if declared < 0 || declared as usize + 12 != batch.len() {
        return Err(BatchError::LengthMismatch { declared: declared.max(0) as usize + 12, actual: batch.len() });
    }
    Ok(BatchHeader {
        base_offset: i64::from_be_bytes(be(batch, 0)),
        attributes: i16::from_be_bytes(be(batch, 21)),
        last_offset_delta: i32::from_be_bytes(be(batch, 23)),
        base_timestamp: i64::from_be_bytes(be(batch, 27)),
        max_timestamp: i64::from_be_bytes(be(batch, 35)),
        record_count: i32::from_be_bytes(be(batch, 57)),
        producer_id: i64::from_be_bytes(be(batch, 43)),
        producer_epoch: i16::from_be_bytes(be(batch, 51)),
        base_sequence: i32::from_be_bytes(be(batch, 53)),
    })
}

fn be<const N: usize>(batch: &[u8], at: usize) -> [u8; N] {
    let mut out = [0u8; N];
    out.copy_from_slice(&batch[at..at + N]);
    out
}

/// Verifies the batch and decodes all its records, decompressing them first if a producer
/// compressed them. Key, value and header values are slices of `batch` (or of the decompressed
/// records), not copies.
pub fn decode(batch: &Bytes) -> Result<(BatchHeader, Vec<StoredRecord>), BatchError> {
    let header = verify(batch)?;
    let body = match header.attributes & COMPRESSION_MASK {
        0 => batch.slice(HEADER_LEN..),
        codec => Bytes::from(super::compression::decompress(codec, &batch[HEADER_LEN..])?),
    };
    let count = usize::try_from(header.record_count).map_err(|_| BatchError::BadRecord {
        index: 0,
        reason: format!("negative record count {}", header.record_count),
    })?;
    let mut rest = &body[..];
    let mut records = Vec::with_capacity(count.min(rest.len()));
    for index in 0..count {
        records.push(decode_record(&body, &mut rest, &header, index)?);
    }
    if !rest.is_empty() {
        let reason = format!("{} bytes follow the last record", rest.len());
        return Err(BatchError::BadRecord { index: count, reason });
    }
    Ok((header, records))
}

fn decode_record(
    batch: &Bytes,
    rest: &mut &[u8],
    header: &BatchHeader,
    index: usize,
) -> Result<StoredRecord, BatchError> {
    let bad = |reason: &str| BatchError::BadRecord { index, reason: reason.to_string() };
    let length = get_varint(rest).map_err(|e| (index, e))?;
    let length = usize::try_from(length).map_err(|_| bad("negative record length"))?;
    if length > rest.len() {
        return Err(bad("record length runs past the batch"));
    }
    let (mut body, after) = rest.split_at(length);
    *rest = after;
    let body_ref = &mut body;
    let _attributes = take(body_ref, 1).ok_or_else(|| bad("missing attributes"))?;
    let timestamp_delta = get_varlong(body_ref).map_err(|e| (index, e))?;
    let offset_delta = get_varint(body_ref).map_err(|e| (index, e))?;
    let key = take_nullable(batch, body_ref).map_err(&bad)?;
    let value = take_nullable(batch, body_ref).map_err(&bad)?;
    let header_count = get_varint(body_ref).map_err(|e| (index, e))?;
    let header_count = usize::try_from(header_count).map_err(|_| bad("negative header count"))?;
    let mut headers = Vec::with_capacity(header_count.min(body_ref.len()));
    for _ in 0..header_count {
        let name = take_nullable(batch, body_ref).map_err(&bad)?.ok_or_else(|| bad("null header key"))?;
        let name = String::from_utf8(name.to_vec()).map_err(|_| bad("header key is not UTF-8"))?;
        let value = take_nullable(batch, body_ref).map_err(&bad)?.unwrap_or_default();
        headers.push((name, value));
    }
    if !body_ref.is_empty() {
        return Err(bad("bytes left over after the headers"));
    }
    // A damaged batch with a valid CRC must not overflow (a panic, or a wrapped offset).
    let offset = header.base_offset.checked_add(i64::from(offset_delta)).ok_or_else(|| bad("offset overflows"))?;
    let timestamp_ms = header.base_timestamp.checked_add(timestamp_delta).ok_or_else(|| bad("timestamp overflows"))?;
    Ok(StoredRecord { offset, timestamp_ms, key, value, headers })
}

fn take<'a>(buf: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
    if buf.len() < n {
        return None;
    }
    let (head, tail) = buf.split_at(n);
    *buf = tail;
    Some(head)
}

/// Reads a varint length (-1 = null) and that many bytes, as a zero-copy slice of `batch`.
fn take_nullable(batch: &Bytes, buf: &mut &[u8]) -> Result<Option<Bytes>, &'static str> {
    let len = get_varint(buf).map_err(|_| "bad length varint")?;
    if len < 0 {
        return Ok(None);
    }
    let bytes = take(buf, len as usize).ok_or("field runs past the record")?;
    Ok(Some(batch.slice_ref(bytes)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_leader_epoch_is_set_outside_the_crc() {
        let mut batch = sample();
        set_leader_epoch(&mut batch, 7);
        assert_eq!(leader_epoch(&batch), Some(7));
        assert!(verify(&batch).is_ok(), "the CRC still holds");
    }

    fn sample() -> Vec<u8> {
        let headers: &[(&str, &[u8])] = &[("trace", b"abc"), ("empty", b"")];
        let records = [
            NewRecord { key: Some(b"k1"), value: b"v1", headers, timestamp_ms: 1_700_000_000_000 },
            NewRecord { key: None, value: b"", headers: &[], timestamp_ms: 1_699_999_999_000 },
            NewRecord { key: Some(b""), value: &[7u8; 300], headers: &[], timestamp_ms: 1_700_000_000_500 },
        ];
        encode_batch(&records)
    }

    /// Rewrites a CRC-covered header field and fixes the CRC, as a damaged-but-consistent batch.
    fn with_field(mut batch: Vec<u8>, at: usize, bytes: &[u8]) -> Vec<u8> {
        batch[at..at + bytes.len()].copy_from_slice(bytes);
        let crc = crc32c::crc32c(&batch[CRC_START..]);
        batch[CRC_OFFSET..CRC_START].copy_from_slice(&crc.to_be_bytes());
        batch
    }

    // Found by `make fuzz` (batch_decode): deltas that overflow the base offset or timestamp
    // panicked in debug builds and wrapped in release ones.
    #[test]
    fn offsets_and_timestamps_that_overflow_are_errors_not_panics() {
        let late = with_field(sample(), 27, &i64::MAX.to_be_bytes()); // base timestamp
        let err = decode(&Bytes::from(late)).expect_err("timestamp overflow");
        assert!(matches!(&err, BatchError::BadRecord { reason, .. } if reason.contains("timestamp")), "{err}");
        let mut far = sample();
        set_base_offset(&mut far, i64::MAX); // the second record's offset is past i64::MAX
        let err = decode(&Bytes::from(far)).expect_err("offset overflow");
        assert!(matches!(&err, BatchError::BadRecord { index: 1, reason } if reason.contains("offset")), "{err}");
    }

    #[test]
    fn round_trips_records_and_offsets() {
        let mut batch = sample();
        set_base_offset(&mut batch, 42);
        let (header, records) = decode(&Bytes::from(batch)).expect("valid batch");
        assert_eq!(header.base_offset, 42);
        assert_eq!(header.next_offset(), 45);
        assert_eq!(header.max_timestamp, 1_700_000_000_500);
        assert_eq!(records.len(), 3);
        assert_eq!(records[0].offset, 42);
        assert_eq!(records[0].key.as_deref(), Some(&b"k1"[..]));
        assert_eq!(
            records[0].headers,
            vec![("trace".to_string(), Bytes::from_static(b"abc")), ("empty".to_string(), Bytes::new())]
        );
        assert_eq!(records[1].key, None);
        assert_eq!(records[1].timestamp_ms, 1_699_999_999_000);
        assert_eq!(records[2].key.as_deref(), Some(&b""[..]));
        assert_eq!(records[2].value.as_deref(), Some(&[7u8; 300][..]));
        assert_eq!(records[2].offset, 44);
    }

    #[test]
    fn producer_fields_are_written_and_read_back_under_the_crc() {
        let records = [NewRecord { key: None, value: b"v", headers: &[], timestamp_ms: 1 }];
        assert_eq!(verify(&encode_batch(&records)).expect("valid").producer_id, -1);
        let producer = BatchProducer { id: 7, epoch: 3, base_sequence: i32::MAX };
        let header = verify(&encode_producer_batch(&records, producer)).expect("valid");
        assert_eq!((header.producer_id, header.producer_epoch, header.base_sequence), (7, 3, i32::MAX));
    }

    #[test]
    fn base_offset_is_outside_the_crc() {
        let mut batch = sample();
        let before = verify(&batch).expect("valid");
        set_base_offset(&mut batch, i64::MAX - 10);
        assert_eq!(verify(&batch).expect("still valid").record_count, before.record_count);
    }

    #[test]
    fn every_flipped_bit_after_the_crc_is_detected() {
        let batch = sample();
        for at in CRC_START..batch.len() {
            let mut damaged = batch.clone();
            damaged[at] ^= 0x10;
            assert!(matches!(verify(&damaged), Err(BatchError::CrcMismatch { .. })), "byte {at}");
        }
    }

    #[test]
    fn rejects_short_wrong_magic_and_wrong_length() {
        assert_eq!(verify(&[0u8; 10]), Err(BatchError::TooShort(10)));
        let mut batch = sample();
        batch[16] = 1;
        assert_eq!(verify(&batch), Err(BatchError::BadMagic(1)));
        let mut batch = sample();
        batch.push(0);
        assert!(matches!(verify(&batch), Err(BatchError::LengthMismatch { .. })));
    }

    #[test]
    fn garbage_records_under_a_valid_crc_are_errors_not_panics() {
        let mut batch = sample();
        for b in &mut batch[HEADER_LEN..] {
            *b = 0xff;
        }
        let crc = crc32c::crc32c(&batch[CRC_START..]);
        batch[CRC_OFFSET..CRC_START].copy_from_slice(&crc.to_be_bytes());
        assert!(matches!(decode(&Bytes::from(batch)), Err(BatchError::BadRecord { .. })));
    }
}
