//! Reading a partition's batches: fetch by offset, lookup by time, recovery of the log end.
use bytes::Bytes;
use rocksdb::{DB, DBRawIteratorWithThreadMode, ReadOptions};

use super::batch::{self, BatchHeader, StoredRecord};
use super::db::Store;
use super::error::{StorageError, StorageResult};
use super::keys;

/// Where a read may look: records in `[log_start, high_watermark)`, stored in batches whose
/// base offsets are `>= first_batch` (DeleteRecords can put the log start inside a batch).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadBounds {
    pub first_batch: i64,
    pub log_start: i64,
    pub high_watermark: i64,
}

impl Store {
    /// Records from `from` on (exactly: records below it in the first batch are dropped), until
    /// their payload reaches `max_bytes`; always at least one record if one exists.
    pub fn read_records(
        &self,
        topic_id: u64,
        partition: u32,
        from: i64,
        bounds: ReadBounds,
        max_bytes: usize,
    ) -> StorageResult<Vec<StoredRecord>> {
        let cf = self.partition_family(topic_id, partition)?;
        let cf_name = cf.name();
        let mut it = self.db.raw_iterator_cf_opt(&*cf, bounded_read(bounds));
        seek_to_batch_holding(&mut it, from);
        let mut records = Vec::new();
        let mut bytes = 0usize;
        while let Some((base, value)) = current(&it, &cf_name)? {
            let batch = Bytes::copy_from_slice(value);
            let decoded = match decode_checked(&cf_name, base, &batch) {
                Ok((_, decoded)) => decoded,
                // Serve the intact records before a corrupt batch; the next read, starting at
                // the corrupt batch, reports it.
                Err(_) if !records.is_empty() => return Ok(records),
                Err(e) => return Err(e),
            };
            for record in decoded.into_iter().filter(|r| r.offset >= from && r.offset < bounds.high_watermark) {
                let len = record.payload_len();
                if !records.is_empty() && bytes + len > max_bytes {
                    return Ok(records);
                }
                bytes += len;
                records.push(record);
            }
            if bytes >= max_bytes {
                break;
            }
            it.next();
        }
        it.status()?;
        Ok(records)
    }

    /// Stored batches as they are, from the one holding `from` (it may start below `from`: Kafka
    /// clients skip what they did not ask for) until `max_bytes`; always at least one batch if
    /// one exists. Each batch's CRC and base offset are checked, not its records.
    pub fn read_batches(
        &self,
        topic_id: u64,
        partition: u32,
        from: i64,
        bounds: ReadBounds,
        max_bytes: usize,
    ) -> StorageResult<Vec<Bytes>> {
        let cf = self.partition_family(topic_id, partition)?;
        let cf_name = cf.name();
        let mut it = self.db.raw_iterator_cf_opt(&*cf, bounded_read(bounds));
        seek_to_batch_holding(&mut it, from);
        let mut batches = Vec::new();
        let mut bytes = 0usize;
        while let Some((base, value)) = current(&it, &cf_name)? {
            match verify_checked(&cf_name, base, value) {
                Ok(header) if header.next_offset() <= from => {}
                Ok(_) => {
                    bytes += value.len();
                    batches.push(Bytes::copy_from_slice(value));
                }
                // As in `read_records`: the intact batches first, the error on the next read.
                Err(_) if !batches.is_empty() => return Ok(batches),
                Err(e) => return Err(e),
            }
            if bytes >= max_bytes {
                break;
            }
            it.next();
        }
        it.status()?;
        Ok(batches)
    }

    /// The first record whose timestamp is >= `timestamp_ms`, as `(offset, timestamp)`. Batches
    /// whose max timestamp is older are skipped on their header alone.
    pub fn offset_for_timestamp(
        &self,
        topic_id: u64,
        partition: u32,
        bounds: ReadBounds,
        timestamp_ms: i64,
    ) -> StorageResult<Option<(i64, i64)>> {
        let cf = self.partition_family(topic_id, partition)?;
        let cf_name = cf.name();
        let mut it = self.db.raw_iterator_cf_opt(&*cf, bounded_read(bounds));
        it.seek_to_first();
        while let Some((base, value)) = current(&it, &cf_name)? {
            let header = batch::read_header(value).map_err(|source| corrupt(&cf_name, base, source))?;
            if header.max_timestamp >= timestamp_ms {
                let (_, records) = decode_checked(&cf_name, base, &Bytes::copy_from_slice(value))?;
                let hit = records
                    .iter()
                    .find(|r| r.offset >= bounds.log_start && r.timestamp_ms >= timestamp_ms)
                    .map(|r| (r.offset, r.timestamp_ms));
                if hit.is_some() {
                    return Ok(hit);
                }
            }
            it.next();
        }
        it.status()?;
        Ok(None)
    }

    /// The record with the largest timestamp (the first such), as `(offset, timestamp)`: the
    /// batch with the largest max timestamp by its header, then that batch's records.
    pub fn offset_of_max_timestamp(
        &self,
        topic_id: u64,
        partition: u32,
        bounds: ReadBounds,
    ) -> StorageResult<Option<(i64, i64)>> {
        let cf = self.partition_family(topic_id, partition)?;
        let cf_name = cf.name();
        let mut it = self.db.raw_iterator_cf_opt(&*cf, bounded_read(bounds));
        it.seek_to_first();
        let mut newest: Option<(i64, Bytes)> = None;
        while let Some((base, value)) = current(&it, &cf_name)? {
            let header = batch::read_header(value).map_err(|source| corrupt(&cf_name, base, source))?;
            if newest.as_ref().is_none_or(|(max, _)| header.max_timestamp > *max) {
                newest = Some((header.max_timestamp, Bytes::copy_from_slice(value)));
            }
            it.next();
        }
        it.status()?;
        let Some((_, value)) = newest else { return Ok(None) };
        let base = batch::read_header(&value).map_err(|source| corrupt(&cf_name, 0, source))?.base_offset;
        let (_, records) = decode_checked(&cf_name, base, &value)?;
        let live = records.iter().filter(|r| r.offset >= bounds.log_start);
        // max_by_key keeps the last of equal maxima; Kafka answers the first.
        let best = live.fold(None::<(i64, i64)>, |best, r| match best {
            Some((_, ts)) if ts >= r.timestamp_ms => best,
            _ => Some((r.offset, r.timestamp_ms)),
        });
        Ok(best)
    }

    /// Header of the partition's newest batch, from which its next offset is recovered at open.
    pub fn last_batch_header(&self, topic_id: u64, partition: u32) -> StorageResult<Option<BatchHeader>> {
        let cf = self.partition_family(topic_id, partition)?;
        let cf_name = cf.name();
        let mut it = self.db.raw_iterator_cf(&*cf);
        it.seek_to_last();
        match current(&it, &cf_name)? {
            None => {
                it.status()?;
                Ok(None)
            }
            Some((base, value)) => {
                let header = batch::read_header(value).map_err(|source| corrupt(&cf_name, base, source))?;
                Ok(Some(header))
            }
        }
    }
}

/// Bounds keep the iterator inside the live log. The lower bound matters for speed too: without
/// it, range tombstones below the log start make the first seek cost milliseconds.
fn bounded_read(bounds: ReadBounds) -> ReadOptions {
    let mut opts = ReadOptions::default();
    opts.set_iterate_lower_bound(keys::offset_key(bounds.first_batch).to_vec());
    opts.set_iterate_upper_bound(keys::offset_key(bounds.high_watermark).to_vec());
    opts
}

type RawIter<'a> = DBRawIteratorWithThreadMode<'a, DB>;

/// Puts `it` on the batch holding `from`: the last one whose base offset is <= from (or the
/// first, when `from` lies below the log).
fn seek_to_batch_holding(it: &mut RawIter<'_>, from: i64) {
    it.seek_for_prev(keys::offset_key(from));
    if !it.valid() {
        it.seek_to_first();
    }
}

/// The iterator's current `(base offset, value)`, or `None` past the end.
fn current<'i>(it: &'i RawIter<'_>, cf_name: &str) -> StorageResult<Option<(i64, &'i [u8])>> {
    let (Some(key), Some(value)) = (it.key(), it.value()) else { return Ok(None) };
    let base = keys::decode_offset_key(key)
        .ok_or_else(|| StorageError::BadKey { cf: cf_name.to_string(), key: key.to_vec() })?;
    Ok(Some((base, value)))
}

/// Decodes a batch, checking its CRC and that its header agrees with the key it is stored under
/// (the base offset is outside the CRC, so this is its only check).
fn decode_checked(cf_name: &str, base: i64, batch: &Bytes) -> StorageResult<(BatchHeader, Vec<StoredRecord>)> {
    let (header, records) = batch::decode(batch).map_err(|source| corrupt(cf_name, base, source))?;
    check_base(cf_name, base, &header)?;
    Ok((header, records))
}

/// [`decode_checked`] for the header alone: CRC, length and the key's base offset.
fn verify_checked(cf_name: &str, base: i64, batch: &[u8]) -> StorageResult<BatchHeader> {
    let header = batch::verify(batch).map_err(|source| corrupt(cf_name, base, source))?;
    check_base(cf_name, base, &header)?;
    Ok(header)
}

fn check_base(cf_name: &str, base: i64, header: &BatchHeader) -> StorageResult<()> {
    if header.base_offset != base {
        let reason = format!("header base offset {} stored under key {base}", header.base_offset);
        return Err(corrupt(cf_name, base, batch::BatchError::BadRecord { index: 0, reason }));
    }
    Ok(())
}

fn corrupt(cf_name: &str, offset: i64, source: batch::BatchError) -> StorageError {
    StorageError::CorruptBatch { cf: cf_name.to_string(), offset, source }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::meta::TopicMeta;
    use crate::storage::batch::{NewRecord, encode_batch, set_base_offset};
    use crate::storage::{StoreOptions, WriteGroup};

    fn store_with_batches(dir: &std::path::Path, batches: &[&[&[u8]]]) -> std::sync::Arc<Store> {
        let store = Store::open(dir, &StoreOptions::default()).expect("open");
        let topic = TopicMeta { id: 7, name: "t".into(), partitions: 1, ..Default::default() };
        store.create_topic(topic).expect("create");
        write_batches(&store, batches);
        store
    }

    fn write_batches(store: &Store, batches: &[&[&[u8]]]) {
        let mut group = WriteGroup::new(store).expect("group");
        let cf = group.partition(7, 0).expect("partition cf");
        let mut next = 0;
        for values in batches {
            let records: Vec<NewRecord<'_>> =
                values.iter().map(|v| NewRecord { key: None, value: v, headers: &[], timestamp_ms: 1 }).collect();
            let mut batch = encode_batch(&records);
            set_base_offset(&mut batch, next);
            group.append(&cf, next, &batch);
            next += values.len() as i64;
        }
        drop(cf);
        group.commit(true).expect("write");
    }

    #[test]
    fn a_batch_failing_its_crc_is_an_error_naming_the_offset() {
        let dir = tempfile::tempdir().expect("dir");
        let store = store_with_batches(dir.path(), &[&[b"a", b"b"], &[b"c"]]);
        let bounds = ReadBounds { first_batch: 0, log_start: 0, high_watermark: 3 };
        assert_eq!(store.read_records(7, 0, 0, bounds, 1 << 20).expect("clean read").len(), 3);

        let cf = store.partition_family(7, 0).expect("cf");
        let mut damaged = store.db.get_cf(&*cf, keys::offset_key(2)).expect("get").expect("batch at 2");
        let last = damaged.len() - 1;
        damaged[last] ^= 0x01;
        store.db.put_cf(&*cf, keys::offset_key(2), &damaged).expect("overwrite");

        let err = store.read_records(7, 0, 2, bounds, 1 << 20).expect_err("corrupt batch");
        assert!(matches!(err, StorageError::CorruptBatch { offset: 2, .. }), "{err}");
        // The intact batch before it is still served.
        assert_eq!(store.read_records(7, 0, 0, bounds, 2).expect("first batch").len(), 2);
    }

    #[test]
    fn the_largest_timestamp_is_found_by_headers_then_records() {
        let dir = tempfile::tempdir().expect("dir");
        let store = store_with_batches(dir.path(), &[]);
        let mut group = WriteGroup::new(&store).expect("group");
        let cf = group.partition(7, 0).expect("partition cf");
        // Timestamps by offset: 5, 9 | 9, 3 | 4: the first 9 is offset 1.
        for (base, stamps) in [(0i64, &[5i64, 9][..]), (2, &[9, 3]), (4, &[4])] {
            let records: Vec<NewRecord<'_>> =
                stamps.iter().map(|t| NewRecord { key: None, value: b"v", headers: &[], timestamp_ms: *t }).collect();
            let mut batch = encode_batch(&records);
            set_base_offset(&mut batch, base);
            group.append(&cf, base, &batch);
        }
        drop(cf);
        group.commit(true).expect("write");
        let bounds = ReadBounds { first_batch: 0, log_start: 0, high_watermark: 5 };
        assert_eq!(store.offset_of_max_timestamp(7, 0, bounds).expect("read"), Some((1, 9)));
        let empty = tempfile::tempdir().expect("dir");
        let none = store_with_batches(empty.path(), &[]);
        let bounds = ReadBounds { first_batch: 0, log_start: 0, high_watermark: 0 };
        assert_eq!(none.offset_of_max_timestamp(7, 0, bounds).expect("read"), None);
    }

    #[test]
    fn the_last_batch_gives_the_next_offset_after_reopen() {
        let dir = tempfile::tempdir().expect("dir");
        drop(store_with_batches(dir.path(), &[&[b"a", b"b", b"c"], &[b"d", b"e"]]));
        let store = Store::open(dir.path(), &StoreOptions::default()).expect("reopen");
        store.attach_topics(&store.load_topics().expect("topics"));
        let header = store.last_batch_header(7, 0).expect("read").expect("a batch");
        assert_eq!((header.base_offset, header.next_offset()), (3, 5));
    }
}
