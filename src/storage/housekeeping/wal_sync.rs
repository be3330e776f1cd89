//! `--fsync interval=<dur>`: acknowledgements do not wait for the disk; this thread makes the
//! WAL durable every period instead.
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::ticker;
use crate::storage::Store;

pub fn spawn(store: Arc<Store>, period: Duration, stop: CancellationToken) -> std::io::Result<JoinHandle<()>> {
    let what = "periodic WAL syncs; relying on the final sync at shutdown";
    ticker::spawn("strata-wal-sync", what, period, stop, move || {
        if let Err(e) = store.sync_wal() {
            tracing::error!(error = %e, "periodic WAL sync failed");
        }
    })
}
