//! Background threads that tend RocksDB, off the request path: flushing the fullest partitions
//! early (`early_flush`), handing freed heap back to the OS (`heap_trim`), reclaiming a deleted
//! topic's families and creating spares (`family_upkeep`), and syncing the WAL under
//! `--fsync interval` (`wal_sync`). The periodic ones run on `ticker`'s timer thread.
//!
//! They only keep the store in shape; the broker decides when they run: [`start`] at open, and
//! [`reclaim`] / [`top_up`] after a topic is deleted or created. Each stops when its
//! cancellation token does; the caller joins the returned threads at shutdown.
mod early_flush;
mod family_upkeep;
mod heap_trim;
mod ticker;
mod wal_sync;

use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

pub use family_upkeep::{reclaim, top_up};

use super::Store;

/// Starts the housekeeping a freshly opened store needs: a WAL sync every `wal_sync_period`
/// (if any), a reclaim of `free_slots` (free at open, maybe not yet compacted), spare families,
/// heap trims and early flushes. Fails if a thread cannot start.
pub fn start(
    store: &Arc<Store>,
    wal_sync_period: Option<Duration>,
    free_slots: Vec<u32>,
    stop: &CancellationToken,
) -> std::io::Result<Vec<JoinHandle<()>>> {
    let mut threads = Vec::new();
    if let Some(period) = wal_sync_period {
        threads.push(wal_sync::spawn(store.clone(), period, stop.clone())?);
    }
    threads.push(reclaim(store.clone(), free_slots, false, stop.clone())?);
    threads.push(top_up(store.clone())?);
    threads.push(heap_trim::spawn(store.clone(), stop.clone())?);
    threads.push(early_flush::spawn(store.clone(), stop.clone())?);
    Ok(threads)
}
