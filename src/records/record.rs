//! A record as readers get it back, whichever protocol wrote it.
use bytes::Bytes;

/// A record read back from a batch; key, value and header values share the batch's buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRecord {
    pub offset: i64,
    pub timestamp_ms: i64,
    pub key: Option<Bytes>,
    pub value: Option<Bytes>,
    pub headers: Vec<(String, Bytes)>,
}

impl StoredRecord {
    /// Payload bytes (key + value + headers), the unit of fetch `max_bytes`.
    pub fn payload_len(&self) -> usize {
        let headers: usize = self.headers.iter().map(|(k, v)| k.len() + v.len()).sum();
        self.key.as_ref().map_or(0, Bytes::len) + self.value.as_ref().map_or(0, Bytes::len) + headers
    }
}
