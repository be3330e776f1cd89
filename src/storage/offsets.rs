//! Committed consumer offsets (the `offsets` column family).
use prost::Message;
use rocksdb::{Direction, IteratorMode};

use super::db::{OFFSETS_CF, Store};
use super::error::{StorageError, StorageResult};
use super::keys;
use crate::proto::meta::CommittedOffsetValue;

/// One committed offset as listed for a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupOffset {
    pub topic: String,
    pub partition: u32,
    pub value: CommittedOffsetValue,
}

impl Store {
    /// Every offset `group` committed, by topic and partition.
    pub fn group_offsets(&self, group: &str) -> StorageResult<Vec<GroupOffset>> {
        let cf = self.cf(OFFSETS_CF)?;
        let prefix = [group.as_bytes(), &[0u8]].concat();
        let mut found = Vec::new();
        for item in self.db.iterator_cf(&cf, IteratorMode::From(&prefix, Direction::Forward)) {
            let (key, value) = item?;
            if !key.starts_with(&prefix) {
                break;
            }
            let Some((topic, partition)) = keys::committed_offset_topic_partition(&key) else { continue };
            let what = format!("offset of {group}/{topic}/{partition}");
            let value =
                CommittedOffsetValue::decode(&*value).map_err(|source| StorageError::CorruptMeta { what, source })?;
            found.push(GroupOffset { topic, partition, value });
        }
        Ok(found)
    }

    /// Names of every group with committed offsets.
    pub fn groups_with_offsets(&self) -> StorageResult<Vec<String>> {
        let cf = self.cf(OFFSETS_CF)?;
        let mut groups: Vec<String> = Vec::new();
        for item in self.db.iterator_cf(&cf, IteratorMode::Start) {
            let (key, _) = item?;
            let group = key.split(|b| *b == 0).next().map(|g| String::from_utf8_lossy(g).into_owned());
            if let Some(group) = group.filter(|g| groups.last() != Some(g)) {
                groups.push(group);
            }
        }
        Ok(groups)
    }

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
