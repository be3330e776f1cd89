//! Waiting out a full disk. A replica whose Raft log or apply cannot write for lack of space
//! retries every second instead of failing its Raft group for good: it stops acknowledging
//! (and applying) until space returns, then catches up. While it waits, [`DiskWait`] says so:
//! a leader in that state takes no writes and answers the ones waiting on it, so that clients
//! go on to the broker elected in its place rather than wait for the disk.
use std::io;
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use tokio::sync::watch;

use crate::storage::StorageResult;

/// How often a write refused for a full disk is tried again.
const DISK_FULL_RETRY: Duration = Duration::from_secs(1);

/// How many of this replica's writes wait for disk space now.
#[derive(Clone)]
pub struct DiskWait(Arc<watch::Sender<usize>>);

impl Default for DiskWait {
    fn default() -> Self {
        DiskWait(Arc::new(watch::Sender::new(0)))
    }
}

impl DiskWait {
    /// Whether a write waits for disk space now.
    pub fn waiting(&self) -> bool {
        *self.0.borrow() > 0
    }

    /// Resolves once a write waits for disk space (at once if one does).
    pub fn started(&self) -> BoxFuture<'static, ()> {
        let mut waits = self.0.subscribe();
        Box::pin(async move {
            if waits.wait_for(|waiting| *waiting > 0).await.is_err() {
                std::future::pending::<()>().await;
            }
        })
    }

    /// Runs blocking storage work off the async runtime's workers, waiting out a full disk.
    /// Other errors are returned.
    pub async fn blocking<T: Send + 'static>(
        &self,
        what: &'static str,
        work: impl FnMut() -> StorageResult<T> + Send + 'static,
    ) -> io::Result<T> {
        let disk = self.clone();
        let done = tokio::task::spawn_blocking(move || disk.until_space(what, work));
        done.await.map_err(io::Error::other)?.map_err(io::Error::other)
    }

    /// Runs `work` (blocking) until it succeeds or fails for another reason than a full disk,
    /// trying again every second while the disk is full. A write refused that way wrote nothing,
    /// so trying the same write again is safe.
    pub fn until_space<T>(&self, what: &str, mut work: impl FnMut() -> StorageResult<T>) -> StorageResult<T> {
        let mut counted = None;
        for waited in 0u64.. {
            match work() {
                Err(e) if e.is_no_space() => {
                    counted.get_or_insert_with(|| Counted::new(&self.0));
                    if waited.is_multiple_of(30) {
                        tracing::warn!(error = %e, "the disk is full: this replica waits for space to {what}");
                    }
                    std::thread::sleep(DISK_FULL_RETRY);
                }
                other => return other,
            }
        }
        unreachable!("the attempts never run out")
    }
}

/// One write counted as waiting, until dropped.
struct Counted<'a>(&'a watch::Sender<usize>);

impl<'a> Counted<'a> {
    fn new(waits: &'a watch::Sender<usize>) -> Self {
        waits.send_modify(|n| *n += 1);
        Counted(waits)
    }
}

impl Drop for Counted<'_> {
    fn drop(&mut self) {
        self.0.send_modify(|n| *n = n.saturating_sub(1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::StorageError;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_write_refused_for_space_is_retried_and_counted_while_it_waits() {
        let disk = DiskWait::default();
        let started = tokio::spawn(disk.started());
        let mut attempts = 0;
        let watcher = disk.clone();
        let written = disk
            .blocking("test", move || {
                attempts += 1;
                if attempts == 1 {
                    return Err(StorageError::CreateFamilies("No space left on device".into()));
                }
                assert!(watcher.waiting(), "counted while it waits");
                Ok(attempts)
            })
            .await
            .unwrap();
        assert_eq!(written, 2);
        started.await.unwrap();
        assert!(!disk.waiting(), "no longer counted once written");
    }
}
