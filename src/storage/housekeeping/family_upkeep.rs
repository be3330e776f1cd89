//! Background upkeep of the partition column families, off the request path: giving a deleted
//! topic's disk back, and creating spare families before a topic needs them.
use std::sync::Arc;
use std::thread::JoinHandle;

use tokio_util::sync::CancellationToken;

use crate::storage::Store;

/// Compacts `slots` (their records are already range-deleted) so their files leave the disk.
/// With `free`, the slots become free once compacted (after a delete); without, they already
/// are (found free at open). Shutdown interrupts it: unreferenced slots are found free, and
/// reclaimed, at the next open.
pub fn reclaim(
    store: Arc<Store>,
    slots: Vec<u32>,
    free: bool,
    stop: CancellationToken,
) -> std::io::Result<JoinHandle<()>> {
    std::thread::Builder::new().name("strata-reclaim".into()).spawn(move || {
        let count = slots.len();
        store.reclaim(slots, free, || stop.is_cancelled());
        tracing::debug!(slots = count, "deleted partitions' disk space reclaimed");
    })
}

/// Creates spare families (see [`Store::top_up_spares`]).
pub fn top_up(store: Arc<Store>) -> std::io::Result<JoinHandle<()>> {
    std::thread::Builder::new().name("strata-spares".into()).spawn(move || match store.top_up_spares() {
        Ok(0) => {}
        Ok(created) => tracing::debug!(created, "spare partition column families created"),
        Err(e) => {
            tracing::warn!(error = %e, "creating spare partition column families failed; topics create their own")
        }
    })
}
