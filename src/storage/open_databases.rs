//! Counts the databases open in this process, so that it can wait for the last one to close
//! before it exits. RocksDB's static destructors run at exit and can abort the process ("pthread
//! lock: Invalid argument") while another thread is still closing a database: a broker whose
//! last reference to its store is dropped by a background thread (the Raft log's sync thread,
//! say) would then exit with a crash after a clean stop.
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

static OPEN: AtomicUsize = AtomicUsize::new(0);

/// Counts one database as open until dropped; a `Store` holds it as its last field, so it
/// drops after the database closed.
pub(super) struct OpenDatabase(());

impl OpenDatabase {
    pub(super) fn count() -> Self {
        OPEN.fetch_add(1, Ordering::SeqCst);
        OpenDatabase(())
    }
}

impl Drop for OpenDatabase {
    fn drop(&mut self) {
        OPEN.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Waits until no database of this process is open, up to `limit`; whether none is.
pub fn wait_until_all_closed(limit: Duration) -> bool {
    let deadline = Instant::now() + limit;
    while OPEN.load(Ordering::SeqCst) > 0 {
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    true
}
