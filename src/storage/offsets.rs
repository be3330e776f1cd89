//! Committed consumer offsets (the `offsets` column family).
use prost::Message;

use super::db::{OFFSETS_CF, Store};
use super::error::{StorageError, StorageResult};
use super::keys;
use crate::proto::meta::CommittedOffsetValue;

impl Store {
    /// The committed position of `group` in each of `partitions` (`None` = never committed).
    pub fn committed_offsets(
        &self,
        group: &str,
        topic: &str,
        partitions: &[u32],
    ) -> StorageResult<Vec<Option<CommittedOffsetValue>>> {
        let cf = self.cf(OFFSETS_CF)?;
        let keys: Vec<Vec<u8>> = partitions.iter().map(|p| keys::committed_offset_key(group, topic, *p)).collect();
        let values = self.db.batched_multi_get_cf(&cf, &keys, false);
        values
            .into_iter()
            .zip(partitions)
            .map(|(value, partition)| match value? {
                None => Ok(None),
                Some(bytes) => CommittedOffsetValue::decode(&*bytes).map(Some).map_err(|source| {
                    StorageError::CorruptMeta { what: format!("offset of {group}/{topic}/{partition}"), source }
                }),
            })
            .collect()
    }
}
