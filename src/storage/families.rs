//! Partition column families: created many at a time, and recycled instead of dropped.
//!
//! RocksDB rewrites its OPTIONS file (the full options of every family) on each
//! CreateColumnFamily and DropColumnFamily, so creating or dropping families one at a time costs
//! O(n²) in the number of families: 1,000 one-by-one creations took 139 s here. rust-rocksdb
//! exposes only the one-at-a-time calls, so this module calls the C API's
//! `rocksdb_create_column_families` (through `rocksdb_ffi`, where every `unsafe` call into
//! RocksDB lives), which writes the OPTIONS file once for a whole topic, and it never drops a
//! family: a deleted topic's families are emptied (one range delete each, their files deleted
//! at once) and handed to the next topic created. The number of families is the peak partition
//! count, never more.
use std::collections::{BTreeSet, HashMap};
use std::ffi::CString;
use std::marker::PhantomData;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use librocksdb_sys as ffi;
use rocksdb::{AsColumnFamilyRef, DB, Options};

use super::error::StorageError;
use super::keys;
use super::rocksdb_ffi::{self, FamilyHandle};
use crate::proto::meta::TopicMeta;

/// One partition slot's column family handle.
pub struct Family {
    /// Ours to destroy if created here, rust-rocksdb's if opened with the database.
    handle: FamilyHandle,
    pub slot: u32,
    /// Written since the early flush's scan last found its active memtable empty (also set at
    /// open, when the WAL replay may have filled it, and when the family is bound to a topic).
    /// The scan reads RocksDB's properties only for
    /// families so marked: each read takes the database mutex, and most of 10,000 partitions
    /// are idle.
    written: AtomicBool,
}

impl AsColumnFamilyRef for Family {
    fn inner(&self) -> *mut ffi::rocksdb_column_family_handle_t {
        self.handle.as_ptr()
    }
}

impl Family {
    fn new(handle: FamilyHandle, slot: u32) -> Self {
        Family { handle, slot, written: AtomicBool::new(true) }
    }

    pub fn name(&self) -> String {
        keys::partition_cf_name(self.slot)
    }

    /// Call after a write to the family has been applied.
    pub fn mark_written(&self) {
        self.written.store(true, Ordering::Release);
    }

    /// Clears the mark, returning whether it was set. Clear it before reading the memtable, so
    /// that a write applied meanwhile marks the family again.
    pub fn take_written(&self) -> bool {
        self.written.swap(false, Ordering::AcqRel)
    }
}

/// Any family's handle, borrowed: one call can then take partition families (ours) and the
/// fixed ones (rust-rocksdb's) together, where rust-rocksdb wants a slice of one type.
pub struct BorrowedFamily<'a> {
    handle: *mut ffi::rocksdb_column_family_handle_t,
    _borrowed: PhantomData<&'a ()>,
}

impl<'a> BorrowedFamily<'a> {
    pub fn of(cf: &'a impl AsColumnFamilyRef) -> Self {
        BorrowedFamily { handle: cf.inner(), _borrowed: PhantomData }
    }
}

impl AsColumnFamilyRef for BorrowedFamily<'_> {
    fn inner(&self) -> *mut ffi::rocksdb_column_family_handle_t {
        self.handle
    }
}

/// Which slot holds which partition, and which slots are free for the next topic.
#[derive(Default)]
pub struct Families {
    slots: HashMap<u32, Arc<Family>>,
    assigned: HashMap<(u64, u32), Arc<Family>>,
    free: BTreeSet<u32>,
    /// Above every slot created or being created.
    next_slot: u32,
}

impl Families {
    /// Every partition family the database was opened with, all free until [`Families::attach`].
    pub fn adopt(db: &DB, names: &[String]) -> Self {
        let mut families = Families::default();
        for name in names {
            let (Some(slot), Some(cf)) = (keys::parse_partition_cf_name(name), db.cf_handle(name)) else { continue };
            families.slots.insert(slot, Arc::new(Family::new(FamilyHandle::opened(&cf), slot)));
            families.free.insert(slot);
            families.next_slot = families.next_slot.max(slot + 1);
        }
        families
    }

    /// Binds each topic's partitions to the slots its record names. Returns the partitions whose
    /// slot is missing (reported by the caller; they cannot be served).
    pub fn attach(&mut self, topics: &[TopicMeta]) -> Vec<(String, u32)> {
        let mut missing = Vec::new();
        for topic in topics {
            for partition in 0..topic.partitions {
                match topic.slots.get(partition as usize) {
                    Some(&slot) if self.slots.contains_key(&slot) => self.bind(topic.id, partition, slot),
                    _ => missing.push((topic.name.clone(), partition)),
                }
            }
        }
        missing
    }

    pub fn partition(&self, topic_id: u64, partition: u32) -> Option<Arc<Family>> {
        self.assigned.get(&(topic_id, partition)).cloned()
    }

    /// Families of live partitions.
    pub fn in_use(&self) -> impl Iterator<Item = &Arc<Family>> {
        self.assigned.values()
    }

    /// Every live partition with its family, in (topic id, partition) order.
    pub fn in_use_partitions(&self) -> impl Iterator<Item = (u64, u32, Arc<Family>)> {
        let mut partitions: Vec<_> = self.assigned.iter().map(|(&(t, p), f)| (t, p, f.clone())).collect();
        partitions.sort_unstable_by_key(|&(t, p, _)| (t, p));
        partitions.into_iter()
    }

    /// Slots no partition holds, lowest first.
    pub fn free_slots(&self) -> Vec<u32> {
        self.free.iter().copied().collect()
    }

    pub fn slot(&self, slot: u32) -> Option<Arc<Family>> {
        self.slots.get(&slot).cloned()
    }

    /// Takes up to `n` free slots, lowest first.
    pub fn take_free(&mut self, n: usize) -> Vec<u32> {
        let taken: Vec<u32> = self.free.iter().take(n).copied().collect();
        for slot in &taken {
            self.free.remove(slot);
        }
        taken
    }

    pub fn free_count(&self) -> usize {
        self.free.len()
    }

    pub fn in_use_count(&self) -> usize {
        self.assigned.len()
    }

    /// Reserves `count` new slot numbers (for families about to be created); returns the first.
    pub fn reserve_new(&mut self, count: u32) -> u32 {
        let first = self.next_slot;
        self.next_slot += count;
        first
    }

    /// Records newly created families as taken (not free).
    pub fn add_created(&mut self, created: Vec<Family>) {
        for family in created {
            self.next_slot = self.next_slot.max(family.slot + 1);
            self.slots.insert(family.slot, Arc::new(family));
        }
    }

    pub fn bind(&mut self, topic_id: u64, partition: u32, slot: u32) {
        if let Some(family) = self.slots.get(&slot) {
            self.free.remove(&slot);
            // A reused family may still hold its last topic's range deletes: look at it.
            family.mark_written();
            self.assigned.insert((topic_id, partition), family.clone());
        }
    }

    /// Unbinds a topic's partitions; their families are neither bound nor free until
    /// [`Families::give_back`] (they still need emptying).
    pub fn unbind(&mut self, topic: &TopicMeta) -> Vec<Arc<Family>> {
        (0..topic.partitions).filter_map(|p| self.assigned.remove(&(topic.id, p))).collect()
    }

    pub fn give_back(&mut self, slots: impl IntoIterator<Item = u32>) {
        self.free.extend(slots);
    }
}

/// Creates the families `p-<first>`, `p-<first+1>`, ... in one RocksDB call. On a partial
/// failure the families that were created are returned along with the error, so none is lost.
pub fn create_many(db: &DB, opts: &Options, first: u32, count: u32) -> (Vec<Family>, Option<StorageError>) {
    let slots: Vec<u32> = (first..first + count).collect();
    let names: Vec<CString> = slots
        .iter()
        .map(|&slot| CString::new(keys::partition_cf_name(slot)).unwrap_or_default()) // ASCII digits: no NUL
        .collect();
    let (handles, error) = rocksdb_ffi::create_column_families(db, opts, &names);
    let created = handles.into_iter().zip(slots).map(|(handle, slot)| Family::new(handle, slot)).collect();
    rocksdb_ffi::give_freed_heap_back();
    (created, error.map(StorageError::CreateFamilies))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn topic(id: u64, name: &str, slots: Vec<u32>) -> TopicMeta {
        TopicMeta { id, name: name.into(), partitions: slots.len() as u32, slots, ..Default::default() }
    }

    #[test]
    fn created_families_are_usable_and_recycled_lowest_slot_first() {
        let dir = tempfile::tempdir().expect("dir");
        let mut opts = Options::default();
        opts.create_if_missing(true);
        let db = DB::open_default(dir.path()).expect("open");
        let (created, error) = create_many(&db, &opts, 0, 300);
        assert!(error.is_none(), "{error:?}");
        assert_eq!(created.len(), 300);
        db.put_cf(&created[299], b"k", b"v").expect("write to a created family");
        assert_eq!(db.get_cf(&created[299], b"k").expect("read").as_deref(), Some(&b"v"[..]));

        let mut families = Families::default();
        families.add_created(created);
        let missing = families.attach(&[topic(1, "a", vec![0, 1, 2]), topic(2, "b", vec![3, 999])]);
        assert_eq!(missing, vec![("b".to_string(), 1)]);
        assert_eq!(families.partition(2, 0).map(|f| f.slot), Some(3));
        let unbound: Vec<u32> = families.unbind(&topic(1, "a", vec![0, 1, 2])).iter().map(|f| f.slot).collect();
        assert!(families.partition(1, 0).is_none());
        families.give_back(unbound);
        assert_eq!(families.reserve_new(5), 300);
        assert_eq!(families.reserve_new(1), 305);
        assert_eq!(families.take_free(2), vec![0, 1]);
        drop(families); // handles go before the database
    }
}
