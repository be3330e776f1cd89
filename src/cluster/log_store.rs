//! The Raft log of a group, on RocksDB (`storage::raft_log`): entries are readable once
//! `append` returns and durable when it reports them flushed; with `--fsync always` that is after
//! a WAL sync (`wal_syncer`, shared by the shards), under the other modes once written (safe
//! against a process crash, not a power loss). The vote is always fsynced.
use std::fmt::Debug;
use std::io;
use std::ops::{Bound, RangeBounds};
use std::sync::Arc;

use bytes::Bytes;
use openraft::storage::{IOFlushed, LogState, RaftLogReader, RaftLogStorage};
use openraft::{EntryPayload, OptionalSend, RaftTypeConfig};
use prost::Message;

use super::codec;
use super::disk_wait::DiskWait;
use super::entry_cache::EntryCache;
use super::entry_sizes::EntrySizes;
use super::shard::CatalogProgress;
use super::state_machine::read_state;
use super::types::{Entry, LogId, Membership, TypeConfig, Vote};
use super::wal_syncer::WalSyncer;
use crate::proto::log as log_pb;
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
    /// Recent entries, read without RocksDB (replication, apply).
    recent: Arc<EntryCache>,
    /// Writes waiting for disk space.
    disk: DiskWait,
    /// Syncs appends, every shard's together (with `sync`).
    syncer: WalSyncer,
    /// Which committed entries openraft applies before the node starts.
    reapply: Reapply,
}

/// Of the committed entries the state machine has not applied, which ones openraft applies
/// before a Raft node starts (`read_committed`). Reporting less than was committed is allowed:
/// the leader's commit index tells the running node the rest.
#[derive(Clone)]
pub enum Reapply {
    /// All of them (the metadata shard).
    All,
    /// A data shard's, as far as the metadata shard already is here.
    WithinCatalog(CatalogProgress),
    /// None.
    Nothing,
}

impl LogStore {
    pub fn new(
        store: Arc<Store>,
        group: u64,
        sync: bool,
        sizes: Arc<EntrySizes>,
        disk: DiskWait,
        syncer: WalSyncer,
    ) -> Self {
        LogStore { store, group, sync, sizes, recent: Arc::default(), disk, syncer, reapply: Reapply::All }
    }

    /// Which committed entries openraft applies before the node starts (all by default).
    pub fn reapplying(self, reapply: Reapply) -> Self {
        LogStore { reapply, ..self }
    }

    /// The last of the committed entries after `applied` whose metadata-shard index
    /// (`catalog_index`) this broker has applied, stopping at the first it has not (or that
    /// does not decode): openraft re-applies committed entries before the Raft node starts,
    /// when no later metadata entry can arrive yet, and a data shard's apply would wait for one
    /// forever. The rest are applied once the node runs and its metadata shard catches up.
    async fn committed_within_catalog(&self, committed: LogId, catalog: u64) -> io::Result<Option<LogId>> {
        let applied = read_state(&self.store, self.group, "applied")?.and_then(|(applied, _)| applied);
        let from = applied.map_or(0, |a| a.index + 1);
        let (store, group, to) = (self.store.clone(), self.group, committed.index + 1);
        let rows = self.blocking(move || store.raft_entries(group, from, to)).await?;
        let mut within = applied;
        for (_, bytes) in rows {
            let entry = decode_entry(bytes.as_slice())?;
            if let EntryPayload::Normal(command) = &entry.payload {
                // One that does not decode is left for the running node to apply, which stops
                // this copy on it (`stopped`) rather than the broker's start.
                let needs = log_pb::Command::decode(command.0.clone()).map(|c| c.catalog_index);
                if !matches!(needs, Ok(needs) if needs <= catalog) {
                    break;
                }
            }
            within = Some(entry.log_id);
        }
        Ok(within)
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

/// The membership `group` last applied here, and the memberships in its log past that entry,
/// oldest first: what this broker holds of the group's membership by its own durable state.
pub(super) fn memberships_held(store: &Store, group: u64) -> io::Result<(Membership, Vec<Membership>)> {
    let (applied, membership) = read_state(store, group, "applied")?.unwrap_or_default();
    let from = applied.map_or(0, |a| a.index + 1);
    let mut logged = Vec::new();
    for (_, bytes) in store.raft_entries(group, from, u64::MAX).map_err(io::Error::other)? {
        if let EntryPayload::Membership(m) = decode_entry(bytes.as_slice())?.payload {
            logged.push(m);
        }
    }
    Ok((membership.membership().clone(), logged))
}

fn decode_entry(bytes: impl bytes::Buf) -> io::Result<Entry> {
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
        if let Some(recent) = self.recent.get(from, to) {
            return Ok(recent);
        }
        let (store, group) = (self.store.clone(), self.group);
        let rows = self.blocking(move || store.raft_entries(group, from, to)).await?;
        rows.iter().map(|(_, bytes)| decode_entry(bytes.as_slice())).collect()
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
            Some((_, bytes)) => Some(decode_entry(bytes.as_slice())?.log_id),
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
        let committed = self.log_id_mark("committed")?;
        match (committed, &self.reapply) {
            (_, Reapply::Nothing) => Ok(None),
            (Some(committed), Reapply::WithinCatalog(catalog)) => {
                self.committed_within_catalog(committed, catalog.applied_index()).await
            }
            (committed, _) => Ok(committed),
        }
    }

    async fn append<I>(&mut self, entries: I, callback: IOFlushed<TypeConfig>) -> Result<(), io::Error>
    where
        I: IntoIterator<Item = <TypeConfig as RaftTypeConfig>::Entry> + OptionalSend,
        I::IntoIter: OptionalSend,
    {
        let rows: Vec<(u64, Bytes)> =
            entries.into_iter().map(|e| (e.log_id.index, Bytes::from(codec::entry(&e).encode_to_vec()))).collect();
        // Cached as decoded from the rows, so each holds its own row and nothing more (a
        // follower's entries arrive as slices of the whole AppendEntries request's buffer).
        let cached: Vec<(Entry, u64)> = rows
            .iter()
            .map(|(_, row)| Ok((decode_entry(row.clone())?, row.len() as u64)))
            .collect::<io::Result<_>>()?;
        self.sizes.appended(rows.iter().map(|(index, bytes)| (*index, bytes.len() as u64)));
        let (store, group) = (self.store.clone(), self.group);
        // Written before returning (readable); durable once synced, with --fsync always by the
        // syncer, together with other shards' appends.
        let written = self.blocking(move || store.raft_append(group, &rows, false)).await;
        if written.is_ok() {
            // Readable once this returns, as the rows are.
            self.recent.appended(cached);
        }
        match written {
            Ok(()) if self.sync => {
                self.syncer.flushed_after_sync(callback);
                Ok(())
            }
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
        self.recent.truncated_after(last_log_id.map(|id| id.index));
        let (store, group) = (self.store.clone(), self.group);
        self.blocking(move || store.raft_truncate_from(group, from)).await
    }

    async fn purge(&mut self, log_id: LogId) -> Result<(), io::Error> {
        let (store, group, upto) = (self.store.clone(), self.group, log_id.index);
        self.recent.purged(upto);
        let bytes = codec::log_id(&log_id).encode_to_vec();
        self.blocking(move || store.raft_purge(group, upto, &bytes)).await
    }
}
