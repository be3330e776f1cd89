//! `--fsync interval=<dur>`: acknowledgements do not wait for the disk; this thread makes the
//! WAL durable every period instead.
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::storage::Store;

pub fn spawn(store: Arc<Store>, period: Duration, stop: CancellationToken) -> std::io::Result<JoinHandle<()>> {
    std::thread::Builder::new().name("strata-wal-sync".into()).spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build();
        let Ok(runtime) = runtime else {
            tracing::error!("cannot start the WAL sync timer; relying on the final sync at shutdown");
            return;
        };
        runtime.block_on(async {
            let mut ticks = tokio::time::interval(period);
            loop {
                tokio::select! {
                    _ = stop.cancelled() => break,
                    _ = ticks.tick() => {}
                }
                if let Err(e) = store.sync_wal() {
                    tracing::error!(error = %e, "periodic WAL sync failed");
                }
            }
        });
    })
}
