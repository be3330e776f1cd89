//! Every `unsafe` call strata makes into RocksDB's C API (`librocksdb-sys`, and the raw pointers
//! rust-rocksdb hands out), each behind a small safe function.
//!
//! Why the C API at all: rust-rocksdb lacks a few calls strata needs at 10,000 partitions.
//! - Creating many column families in one call ([`create_column_families`]). RocksDB rewrites
//!   its OPTIONS file (every family's options) on each CreateColumnFamily, so creating them one
//!   at a time, the only way rust-rocksdb offers, costs O(n²): 1,000 took 139 s. The plural call
//!   writes the file once per topic (see `families.rs`).
//! - Reading an integer property of one family without a string round trip
//!   ([`int_property`]): the early flush reads one per partition, thousands at a time.
//! - Two DB options with no rust-rocksdb setter ([`avoid_flush_during_recovery`],
//!   [`strict_bytes_per_sync`]).
//!
//! One libc call lives here too, [`give_freed_heap_back`] (`malloc_trim`): it hands back the
//! heap RocksDB churns through, and keeping it here spares `families.rs` and `db.rs`, which
//! call it, an `unsafe` block of their own.
//!
//! Rules:
//! - `unsafe` for RocksDB goes here and nowhere else. The crate denies `unsafe_code`
//!   (`[lints.rust]` in Cargo.toml); this is the one module `#[allow(unsafe_code)]` as a whole
//!   (in `storage/mod.rs`); other `unsafe`, for libc, is allowed item by item where it is used.
//! - Each function is sound for any arguments its signature admits, save the one invariant
//!   below, and each `unsafe` block says under `// SAFETY:` why: who owns what the C side
//!   returns and who frees it, how long the pointers it is given live, lengths, threads.
//! - The invariant no signature carries: a column family handle is only valid while its
//!   database is open. rust-rocksdb ties its own handles to `&DB`; a [`FamilyHandle`] is not
//!   tied, so `Store` declares its families before its `DB` and they are dropped (and destroyed)
//!   first. The same holds for any `AsColumnFamilyRef` passed in here, as for rust-rocksdb's
//!   own `*_cf` calls, which also trust that trait to return a live handle.
use std::ffi::{CStr, CString, c_char, c_int, c_void};

use librocksdb_sys as ffi;
use rocksdb::{AsColumnFamilyRef, AsRawPtr, DB, Options};

/// A column family handle: one created by [`create_column_families`] (ours, destroyed on drop),
/// or one the database was opened with (rust-rocksdb's handle map owns it; never destroyed
/// here). Valid while the database is open (see the module doc).
pub struct FamilyHandle {
    ptr: *mut ffi::rocksdb_column_family_handle_t,
    /// Families created here are ours to destroy; those opened with the database belong to
    /// rust-rocksdb's own handle map.
    owned: bool,
}

// SAFETY: a ColumnFamilyHandle is immutable once created and RocksDB synchronizes every use of
// it internally; rust-rocksdb declares its own handles Send + Sync on the same grounds. The one
// mutation, destroying it, takes `&mut self` in `drop`, so it cannot race a use.
unsafe impl Send for FamilyHandle {}
unsafe impl Sync for FamilyHandle {}

impl FamilyHandle {
    /// One of the families the database was opened with, borrowed from rust-rocksdb's handle
    /// map (which keeps it until the database closes).
    pub fn opened(cf: &impl AsColumnFamilyRef) -> Self {
        FamilyHandle { ptr: cf.inner(), owned: false }
    }

    pub fn as_ptr(&self) -> *mut ffi::rocksdb_column_family_handle_t {
        self.ptr
    }
}

impl Drop for FamilyHandle {
    fn drop(&mut self) {
        if self.owned {
            // SAFETY: created by rocksdb_create_column_families (so not immortal: this deletes
            // the C++ handle and its wrapper), owned by this value alone and destroyed exactly
            // once, here, while the database is still open (`Store` drops its families before
            // its `DB`).
            unsafe { ffi::rocksdb_column_family_handle_destroy(self.ptr) }
        }
    }
}

/// Creates the families `names`, in one RocksDB call (one OPTIONS file rewrite). Returns the
/// handles of the families created, in the order of `names`, and RocksDB's error message if
/// it failed: on a partial failure the families that were created come back with the error, so
/// none is lost.
pub fn create_column_families(db: &DB, opts: &Options, names: &[CString]) -> (Vec<FamilyHandle>, Option<String>) {
    let Ok(count) = c_int::try_from(names.len()) else {
        return (Vec::new(), Some(format!("cannot create {} column families in one call", names.len())));
    };
    let name_ptrs: Vec<*const c_char> = names.iter().map(|name| name.as_ptr()).collect();
    let mut created_len = 0usize;
    let mut err: *mut c_char = std::ptr::null_mut();
    // SAFETY: `db` and `opts` are borrowed, so alive, for the call, and RocksDB only reads
    // `opts` (it copies the family options). `name_ptrs` holds `count` pointers to
    // NUL-terminated strings owned by `names`, which outlives the call; RocksDB copies them.
    // `created_len` and `err` are valid to write; `err` starts null, as SaveError requires.
    let list = unsafe {
        ffi::rocksdb_create_column_families(
            db.as_raw_ptr(),
            opts.as_raw_ptr(),
            count,
            name_ptrs.as_ptr(),
            &mut created_len,
            &mut err,
        )
    };
    let handles = if list.is_null() {
        Vec::new()
    } else {
        // SAFETY: a non-null `list` is a malloc'd array of `created_len` handle pointers, each
        // a new handle we now own (wrapped as owned, so destroyed once, on drop). The slice is
        // copied out before the array is freed.
        unsafe { std::slice::from_raw_parts(list, created_len) }
            .iter()
            .map(|&ptr| FamilyHandle { ptr, owned: true })
            .collect()
    };
    // SAFETY: frees only the array (free(list); free(NULL) is a no-op), not the handles in it,
    // which the `FamilyHandle`s own; `list` is not used after.
    unsafe { ffi::rocksdb_create_column_families_destroy(list) };
    let error = (!err.is_null()).then(|| {
        // SAFETY: a non-null `err` is a NUL-terminated message RocksDB strdup'd for us: we own
        // it, copy it out, and free it once with rocksdb_free (C free, matching the malloc).
        let message = unsafe { CStr::from_ptr(err).to_string_lossy().into_owned() };
        unsafe { ffi::rocksdb_free(err as *mut c_void) };
        message
    });
    (handles, error)
}

/// An integer property of one family, without the string round trip of rust-rocksdb's
/// `property_int_value_cf` (RocksDB formats it, mallocs a copy, Rust parses it):
/// `Store::flush_fullest` reads one per partition, thousands at a time. `None` if RocksDB does
/// not know the property.
pub fn int_property(db: &DB, cf: &impl AsColumnFamilyRef, name: &CStr) -> Option<u64> {
    let mut value = 0u64;
    // SAFETY: db is borrowed, so open, for the call; cf's handle is live (module doc); name is
    // NUL-terminated and RocksDB only reads it. RocksDB only writes `value`, a valid u64, and
    // keeps none of the pointers. GetIntProperty is thread-safe (it takes the DB mutex).
    let found = unsafe { ffi::rocksdb_property_int_cf(db.as_raw_ptr(), cf.inner(), name.as_ptr(), &mut value) };
    (found == 0).then_some(value)
}

/// Replay the WAL into memtables at open instead of flushing every family to a new L0 file
/// (with thousands of families that flush dominated restart time). rust-rocksdb has no setter.
pub fn avoid_flush_during_recovery(opts: &mut Options) {
    // SAFETY: opts wraps a live rocksdb_options_t, borrowed mutably (so not shared) for the call;
    // the setter writes one field.
    unsafe { ffi::rocksdb_options_set_avoid_flush_during_recovery(opts.as_raw_ptr(), 1) }
}

/// Wait for each `bytes_per_sync` write-back to finish, so SST writes never leave more than that
/// dirty (see `db_options`). rust-rocksdb has no setter.
pub fn strict_bytes_per_sync(opts: &mut Options) {
    // SAFETY: opts wraps a live rocksdb_options_t, borrowed mutably (so not shared) for the call;
    // the setter writes one field.
    unsafe { ffi::rocksdb_options_set_strict_bytes_per_sync(opts.as_raw_ptr(), 1) }
}

/// Returns free heap pages to the OS. RocksDB serializes every family's options (thousands of
/// small strings) each time it rewrites its OPTIONS file; glibc keeps the freed pages, which at
/// 10,000 families made up most of the broker's resident memory.
pub fn give_freed_heap_back() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free pages; it touches no live allocation, and glibc
    // takes each arena's lock, so it may run beside other threads' allocations.
    unsafe {
        libc::malloc_trim(0);
    }
}
