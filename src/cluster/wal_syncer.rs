//! One fsync for every shard's Raft log appends (`--fsync always`). An append writes its
//! entries (readable at once, as openraft requires) and hands its flush callback here; this
//! thread takes every callback waiting, syncs the WAL once (which covers every write before it,
//! of any shard), then reports them all flushed, in order. So shards share fsyncs instead of
//! paying one each, and a shard's next append is written while the last one's sync runs: the
//! group commit DESIGN.md §8 asks of the Raft log.
use std::io;
use std::sync::Arc;
use std::sync::mpsc;
use std::time::Instant;

use openraft::storage::IOFlushed;

use super::disk_wait::DiskWait;
use super::types::TypeConfig;
use crate::metrics as m;
use crate::storage::Store;

#[derive(Clone)]
pub struct WalSyncer {
    waiting: mpsc::Sender<IOFlushed<TypeConfig>>,
}

impl WalSyncer {
    /// Starts the syncing thread; it ends once every `WalSyncer` is dropped. A sync refused for
    /// a full disk is retried until space returns (`disk`), as the writes are.
    pub fn start(store: Arc<Store>, disk: DiskWait) -> io::Result<Self> {
        let (waiting, callbacks) = mpsc::channel();
        let thread = std::thread::Builder::new().name("strata-raft-sync".into());
        thread.spawn(move || run(&store, &disk, &callbacks))?;
        Ok(WalSyncer { waiting })
    }

    /// Reports `callback` flushed after the next WAL sync.
    pub fn flushed_after_sync(&self, callback: IOFlushed<TypeConfig>) {
        if let Err(mpsc::SendError(callback)) = self.waiting.send(callback) {
            callback.io_completed(Err(io::Error::other("the Raft log's sync thread stopped")));
        }
    }
}

fn run(store: &Store, disk: &DiskWait, callbacks: &mpsc::Receiver<IOFlushed<TypeConfig>>) {
    while let Ok(first) = callbacks.recv() {
        let mut synced_together = vec![first];
        synced_together.extend(callbacks.try_iter());
        let started = Instant::now();
        let synced = disk.until_space("sync its Raft log", || store.sync_wal());
        metrics::histogram!(m::WAL_SYNC_DURATION).record(started.elapsed().as_secs_f64());
        if let Err(e) = &synced {
            tracing::error!(error = %e, "syncing the Raft log failed");
        }
        for callback in synced_together {
            callback.io_completed(synced.as_ref().map(|_| ()).map_err(|e| io::Error::other(e.to_string())));
        }
    }
}
