//! Idempotent producers' persisted state in `meta`: the next id to issue, every issued id, and
//! per producer and partition its window of recent batches. Loaded once at open by a prefix
//! scan of `meta` (a few keys per producer), never by reading partition logs.
use super::db::{META_CF, Store};
use super::error::StorageResult;
use super::keys;
use super::meta_scan::decode;
use crate::proto::meta::{ProducerIdMeta, ProducerStateMeta};

/// Everything persisted about producers.
#[derive(Debug, Default, PartialEq)]
pub struct StoredProducers {
    /// `None` in a data dir that never issued one.
    pub next_id: Option<i64>,
    pub ids: Vec<(i64, ProducerIdMeta)>,
    /// Keyed by (topic id, partition, producer id).
    pub states: Vec<((u64, u32, i64), ProducerStateMeta)>,
}

impl Store {
    pub fn load_producers(&self) -> StorageResult<StoredProducers> {
        let meta = self.cf(META_CF)?;
        let next_id = self.db.get_pinned_cf(&meta, keys::NEXT_PRODUCER_ID_KEY)?;
        let next_id = next_id.and_then(|v| Some(i64::from_be_bytes(v.as_ref().try_into().ok()?)));
        let mut stored = StoredProducers { next_id, ..StoredProducers::default() };
        self.scan_meta(keys::producer_id_prefix(), |key, value| {
            if let Some(id) = keys::decode_producer_id_key(key) {
                stored.ids.push((id, decode(key, value)?));
            }
            Ok(())
        })?;
        self.scan_meta(keys::producer_state_prefix(), |key, value| {
            if let Some(at) = keys::decode_producer_state_key(key) {
                stored.states.push((at, decode(key, value)?));
            }
            Ok(())
        })?;
        Ok(stored)
    }
}
