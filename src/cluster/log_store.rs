//! The Raft log of a group, on RocksDB (`storage::raft_log`): entries are readable once
//! `append` returns and durable when it reports them flushed; with `--fsync always` every append
//! is fsynced before that, under the other modes it is only written (safe against a process
//! crash, not a power loss). The vote is always fsynced.
use std::fmt::Debug;
use std::io;
use std::ops::{Bound, RangeBounds};
use std::sync::Arc;

use openraft::storage::{IOFlushed, LogState, RaftLogReader, RaftLogStorage};
use openraft::{OptionalSend, RaftTypeConfig};
use prost::Message;

use super::codec;
use super::disk_wait::DiskWait;
use super::entry_sizes::EntrySizes;
use super::types::{Entry, LogId, TypeConfig, Vote};
use crate::proto::peer as pb;
use crate::storage::{StorageResult, Store};

#[derive(Clone)]
pub struct LogStore {
    store: Arc<Store>,
    group: u64,
    /// fsync each append (`--fsync always`).
    sync: bool,
    /// Recent entries' sizes: followers' lag in bytes.
    sizes: Arc<EntrySizes>,
    /// Writes waiting for disk space.
    disk: DiskWait,
}

impl LogStore {
    pub fn new(store: Arc<Store>, group: u64, sync: bool, sizes: Arc<EntrySizes>, disk: DiskWait) -> Self {
        LogStore { store, group, sync, sizes, disk }
    }

    /// Blocking storage work, waiting out a full disk.
    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnMut() -> StorageResult<T> + Send + 'static,
    ) -> io::Result<T> {
        self.disk.blocking("write its Raft log", work).await
    }

    fn log_id_mark(&self, name: &str) -> io::Result<Option<LogId>> {
        let bytes = self.store.raft_mark(self.group, name).map_err(io::Error::other)?;
        bytes.map(|b| pb::LogId::decode(b.as_slice()).map(codec::from_log_id).map_err(io::Error::other)).transpose()
    }
}

fn decode_entry(bytes: &[u8]) -> io::Result<Entry> {
    let entry = pb::Entry::decode(bytes).map_err(io::Error::other)?;
    codec::from_entry(entry).map_err(io::Error::other)
}

impl RaftLogReader<TypeConfig> for LogStore {
    async fn try_get_log_entries<RB: RangeBounds<u64> + Clone + Debug + OptionalSend>(
        &mut self,
        range: RB,
    ) -> Result<Vec<Entry>, io::Error> {
        let from = match range.start_bound() {
            Bound::Included(i) => *i,
            Bound::Excluded(i) => i + 1,
            Bound::Unbounded => 0,
        };
        let to = match range.end_bound() {
            Bound::Included(i) => i.saturating_add(1),
            Bound::Excluded(i) => *i,
            Bound::Unbounded => u64::MAX,
        };
        let (store, group) = (self.store.clone(), self.group);
        let rows = self.blocking(move || store.raft_entries(group, from, to)).await?;
        rows.iter().map(|(_, bytes)| decode_entry(bytes)).collect()
    }

    async fn read_vote(&mut self) -> Result<Option<Vote>, io::Error> {
        let bytes = self.store.raft_mark(self.group, "vote").map_err(io::Error::other)?;
        bytes
            .map(|b| {
                codec::from_vote(Some(pb::Vote::decode(b.as_slice()).map_err(io::Error::other)?))
                    .map_err(io::Error::other)
            })
            .transpose()
    }
}

impl RaftLogStorage<TypeConfig> for LogStore {
    type LogReader = LogStore;

    async fn get_log_state(&mut self) -> Result<LogState<TypeConfig>, io::Error> {
        let last_purged_log_id = self.log_id_mark("purged")?;
        let (store, group) = (self.store.clone(), self.group);
        let last = self.blocking(move || store.raft_last_entry(group)).await?;
        let last_log_id = match last {
            Some((_, bytes)) => Some(decode_entry(&bytes)?.log_id),
            None => last_purged_log_id,
        };
        Ok(LogState { last_purged_log_id, last_log_id })
    }

    async fn get_log_reader(&mut self) -> Self::LogReader {
        self.clone()
    }

    async fn save_vote(&mut self, vote: &Vote) -> Result<(), io::Error> {
        // Always fsynced, whatever --fsync says: a vote forgotten by a crash could elect two
        // leaders in one term.
        let (store, group, bytes) = (self.store.clone(), self.group, codec::vote(vote).encode_to_vec());
        self.blocking(move || store.raft_put_mark(group, "vote", &bytes, true)).await
    }

    async fn save_committed(&mut self, committed: Option<LogId>) -> Result<(), io::Error> {
        let Some(committed) = committed else { return Ok(()) };
        let (store, group, bytes) = (self.store.clone(), self.group, codec::log_id(&committed).encode_to_vec());
        self.blocking(move || store.raft_put_mark(group, "committed", &bytes, false)).await
    }

    async fn read_committed(&mut self) -> Result<Option<LogId>, io::Error> {
        self.log_id_mark("committed")
    }

    async fn append<I>(&mut self, entries: I, callback: IOFlushed<TypeConfig>) -> Result<(), io::Error>
    where
        I: IntoIterator<Item = <TypeConfig as RaftTypeConfig>::Entry> + OptionalSend,
        I::IntoIter: OptionalSend,
    {
        let rows: Vec<(u64, Vec<u8>)> =
            entries.into_iter().map(|e| (e.log_id.index, codec::entry(&e).encode_to_vec())).collect();
        self.sizes.appended(rows.iter().map(|(index, bytes)| (*index, bytes.len() as u64)));
        let (store, group, sync) = (self.store.clone(), self.group, self.sync);
        // Written (and, under --fsync always, synced) before returning: readable and durable.
        let written = self.blocking(move || store.raft_append(group, &rows, sync)).await;
        match written {
            Ok(()) => {
                callback.io_completed(Ok(()));
                Ok(())
            }
            Err(e) => {
                callback.io_completed(Err(io::Error::other(e.to_string())));
                Err(e)
            }
        }
    }

    async fn truncate_after(&mut self, last_log_id: Option<LogId>) -> Result<(), io::Error> {
        let from = last_log_id.map_or(0, |id| id.index + 1);
        self.sizes.truncated_after(last_log_id.map(|id| id.index));
        let (store, group) = (self.store.clone(), self.group);
        self.blocking(move || store.raft_truncate_from(group, from)).await
    }

    async fn purge(&mut self, log_id: LogId) -> Result<(), io::Error> {
        let (store, group, upto) = (self.store.clone(), self.group, log_id.index);
        let bytes = codec::log_id(&log_id).encode_to_vec();
        self.blocking(move || store.raft_purge(group, upto, &bytes)).await
    }
}
