//! Reading `meta`: prefix scans and decoding its prost records.
use prost::Message;
use rocksdb::{Direction, IteratorMode};

use super::db::{META_CF, Store};
use super::error::{StorageError, StorageResult};

impl Store {
    /// Calls `visit` with every `meta` entry whose key starts with `prefix`, in key order.
    pub(super) fn scan_meta(
        &self,
        prefix: &[u8],
        mut visit: impl FnMut(&[u8], &[u8]) -> StorageResult<()>,
    ) -> StorageResult<()> {
        let meta = self.cf(META_CF)?;
        for item in self.db.iterator_cf(&meta, IteratorMode::From(prefix, Direction::Forward)) {
            let (key, value) = item?;
            if !key.starts_with(prefix) {
                break;
            }
            visit(&key, &value)?;
        }
        Ok(())
    }
}

/// Decodes a `meta` value, naming its key if it is corrupt.
pub(super) fn decode<M: Message + Default>(key: &[u8], value: &[u8]) -> StorageResult<M> {
    M::decode(value)
        .map_err(|source| StorageError::CorruptMeta { what: String::from_utf8_lossy(key).into_owned(), source })
}
