//! The Raft log store answers reads of recent entries from memory (`entry_cache`) exactly as
//! RocksDB would, whatever appends, truncations and purges came before: a seeded random run
//! checked against the stored rows after every step. And it tells openraft which committed
//! entries to apply before a node starts.
use std::sync::Arc;

use openraft::storage::{IOFlushed, RaftLogReader, RaftLogStorage};
use prost::Message;

use super::codec;
use super::disk_wait::DiskWait;
use super::log_store::{LogStore, Reapply};
use super::shard::CatalogProgress;
use super::types::{Entry, LogCommand, LogId};
use super::wal_syncer::WalSyncer;
use crate::proto::peer as pb;
use crate::storage::Store;

const GROUP: u64 = 3;

fn log_id(term: u64, index: u64) -> LogId {
    codec::from_log_id(pb::LogId { term, leader_node: 1, index })
}

fn entry(term: u64, index: u64, size: usize) -> Entry {
    let payload = openraft::EntryPayload::Normal(LogCommand(bytes::Bytes::from(vec![index as u8; size])));
    Entry { log_id: log_id(term, index), payload }
}

/// A small deterministic generator (xorshift64*).
struct Draw(u64);

impl Draw {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n.max(1)
    }
}

/// A store in `dir` with GROUP's log on it (no fsync).
fn open_log(dir: &std::path::Path) -> (Arc<Store>, LogStore) {
    let store = Store::open(dir, &Default::default()).expect("open");
    store.ensure_raft_log().expect("raftlog family");
    let disk = DiskWait::default();
    let syncer = WalSyncer::start(store.clone(), disk.clone()).expect("syncer");
    let log = LogStore::new(store.clone(), GROUP, false, Arc::default(), disk, syncer);
    (store, log)
}

#[tokio::test]
async fn reads_match_the_stored_log_through_appends_truncations_and_purges() {
    let dir = tempfile::tempdir().expect("dir");
    let (store, mut log) = open_log(dir.path());
    let mut draw = Draw(0x5eed);
    // The log holds first..=last; each truncation starts a new term, as a new leader would.
    let (mut first, mut last, mut term) = (1u64, 0u64, 1u64);
    for step in 0..400 {
        match draw.below(10) {
            0..=5 => {
                // Mostly small entries, now and then one of 512 KiB, so the cache's byte
                // budget pushes old entries out.
                let count = 1 + draw.below(12);
                let entries: Vec<Entry> = (last + 1..=last + count)
                    .map(|i| entry(term, i, if draw.below(20) == 0 { 512 << 10 } else { 100 }))
                    .collect();
                log.append(entries, IOFlushed::noop()).await.expect("append");
                last += count;
            }
            6 | 7 => {
                let kept = first - 1 + draw.below(last + 2 - first);
                log.truncate_after((kept > 0).then(|| log_id(term, kept))).await.expect("truncate");
                last = kept;
                term += 1;
            }
            8 => {
                // Up to a little past the end, as after a snapshot is installed.
                let upto = first + draw.below(last + 3 - first);
                log.purge(log_id(term, upto)).await.expect("purge");
                first = upto + 1;
                last = last.max(upto);
            }
            _ => {}
        }
        for _ in 0..3 {
            let from = first.saturating_sub(3) + draw.below(last + 6 - first.saturating_sub(3));
            let to = if draw.below(4) == 0 { u64::MAX } else { from + draw.below(40) };
            let read = log.try_get_log_entries(from..to).await.expect("read");
            let read: Vec<Vec<u8>> = read.iter().map(|e| codec::entry(e).encode_to_vec()).collect();
            let stored: Vec<Vec<u8>> =
                store.raft_entries(GROUP, from, to).expect("rows").into_iter().map(|(_, row)| row).collect();
            assert_eq!(read, stored, "step {step}: entries {from}..{to} of the log {first}..={last}");
        }
    }
}

fn command(catalog_index: u64) -> Vec<u8> {
    crate::proto::log::Command { catalog_index, ..Default::default() }.encode_to_vec()
}

/// openraft re-applies a data shard's committed entries at start only up to the first that
/// names a metadata-shard index this broker has not applied, or whose command does not decode
/// (the running node's apply stops the copy on it, not the broker's start); none at all when
/// told so, and every one for the metadata shard.
#[tokio::test]
async fn committed_entries_are_reapplied_up_to_one_that_cannot_be() {
    let dir = tempfile::tempdir().expect("dir");
    let (_store, log) = open_log(dir.path());
    let payloads = [command(0), command(5), vec![0xff; 8], command(0)];
    let entries = payloads.into_iter().zip(1..).map(|(payload, index)| Entry {
        log_id: log_id(1, index),
        payload: openraft::EntryPayload::Normal(LogCommand(payload.into())),
    });
    log.clone().append(entries.collect::<Vec<_>>(), IOFlushed::noop()).await.expect("append");
    log.clone().save_committed(Some(log_id(1, 4))).await.expect("committed");
    let catalog = CatalogProgress::new();
    let committed = |reapply: Reapply| {
        let mut log = log.clone().reapplying(reapply);
        async move { log.read_committed().await.expect("read").map(|id| id.index) }
    };
    catalog.opened_at(5);
    assert_eq!(committed(Reapply::WithinCatalog(catalog.clone())).await, Some(2), "up to the undecodable one");
    catalog.opened_at(4);
    assert_eq!(committed(Reapply::WithinCatalog(catalog.clone())).await, Some(1), "up to the catalog");
    assert_eq!(committed(Reapply::Nothing).await, None);
    assert_eq!(committed(Reapply::All).await, Some(4));
}
