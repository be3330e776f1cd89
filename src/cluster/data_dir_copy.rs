//! Both ends of copying a member's data dir to a joining broker: the member writes a RocksDB
//! checkpoint in a directory of its data dir (the same filesystem, so SST files are hard links)
//! and streams its files; the joiner writes them into a staging directory inside its own data
//! dir, and only a complete, synced copy is moved into place, `CURRENT` last. A copy cut short
//! leaves only a staging or checkpoint directory, which the next start removes; nothing that
//! start would take for a data dir.
use std::fs::{self, File};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::Context;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::Status;

use super::watch::{DATA_DIR_COPIES, DATA_DIR_COPY_BYTES};
use crate::proto::peer as pb;
use crate::storage::Store;

const CHUNK_BYTES: usize = 1 << 20;
/// Checkpoints for joining brokers, inside the member's data dir (RocksDB ignores them).
const CHECKPOINT_PREFIX: &str = ".checkpoint-for-";
/// The joiner's copy while it arrives, inside its data dir.
pub const STAGING: &str = ".joining";
static CHECKPOINTS: AtomicU64 = AtomicU64::new(0);

/// A new checkpoint directory in `data_dir` for node `node_id`: one per request, so a retried
/// copy never touches one still being sent.
pub fn checkpoint_dir(data_dir: &Path, node_id: u64) -> PathBuf {
    let n = CHECKPOINTS.fetch_add(1, Ordering::Relaxed);
    data_dir.join(format!("{CHECKPOINT_PREFIX}{node_id}-{}-{n}", std::process::id()))
}

/// Removes the checkpoints a member that stopped mid-copy left in `data_dir` (their hard links
/// would keep compacted SST files on disk), and shard copies it was receiving.
pub fn remove_stale_copies(data_dir: &Path) {
    let Ok(entries) = fs::read_dir(data_dir) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let removed = if name.starts_with(CHECKPOINT_PREFIX) {
            Some(fs::remove_dir_all(entry.path()))
        } else if name.starts_with(super::shard_snapshot::STAGED_PREFIX) {
            Some(fs::remove_file(entry.path()))
        } else {
            None
        };
        if let Err(e) = removed.transpose() {
            tracing::warn!(error = %e, dir = %entry.path().display(), "removing a stale checkpoint or shard copy");
        }
    }
}

pub type Chunks = ReceiverStream<Result<pb::CheckpointChunk, Status>>;

/// The donor's side: a checkpoint of `store` in `dir` (see [`checkpoint_dir`]), streamed file
/// by file, `seeds` in the first chunk; `dir` is removed once sent.
pub async fn send(store: Arc<Store>, dir: PathBuf, seeds: Vec<String>) -> Result<Chunks, Status> {
    let made = tokio::task::spawn_blocking({
        let dir = dir.clone();
        move || -> anyhow::Result<Vec<PathBuf>> {
            store.checkpoint(&dir)?;
            let mut files: Vec<PathBuf> = fs::read_dir(&dir)?.map(|e| e.map(|e| e.path())).collect::<Result<_, _>>()?;
            files.sort();
            Ok(files)
        }
    })
    .await
    .map_err(|e| Status::internal(e.to_string()))?;
    let files = made.map_err(|e| {
        tracing::error!(error = %e, dir = %dir.display(), "writing a checkpoint for a joining broker failed");
        Status::internal("writing a checkpoint failed; see the broker's log")
    })?;
    let (tx, rx) = mpsc::channel(4);
    tokio::task::spawn_blocking(move || {
        let sent = stream_files(&files, seeds, &tx);
        if let Err(e) = &sent {
            tracing::warn!(error = %e, "sending a checkpoint to a joining broker stopped");
            let _ = tx.blocking_send(Err(Status::internal("sending the checkpoint failed; see the member's log")));
        }
        let _ = fs::remove_dir_all(&dir);
    });
    Ok(ReceiverStream::new(rx))
}

fn stream_files(
    files: &[PathBuf],
    seeds: Vec<String>,
    tx: &mpsc::Sender<Result<pb::CheckpointChunk, Status>>,
) -> anyhow::Result<()> {
    let mut seeds = Some(seeds);
    for path in files {
        let name = path.file_name().and_then(|n| n.to_str()).context("a checkpoint file without a name")?.to_string();
        let mut file = File::open(path)?;
        loop {
            let mut data = vec![0u8; CHUNK_BYTES];
            let read = file.read(&mut data)?;
            data.truncate(read);
            let seeds = seeds.take().unwrap_or_default();
            counted("sent", read);
            let chunk = pb::CheckpointChunk { file: name.clone(), data: data.into(), seeds, done: false };
            // The joiner stopped listening: nothing more to send.
            if tx.blocking_send(Ok(chunk)).is_err() {
                return Ok(());
            }
            if read == 0 {
                break;
            }
        }
    }
    let _ = tx.blocking_send(Ok(pb::CheckpointChunk { done: true, ..Default::default() }));
    metrics::counter!(DATA_DIR_COPIES, "direction" => "sent").increment(1);
    Ok(())
}

/// The joiner's side: the streamed files written into `staging` (inside the data dir) and
/// synced; returns the seeds the first chunk carried.
pub async fn receive(mut chunks: tonic::Streaming<pb::CheckpointChunk>, staging: &Path) -> anyhow::Result<Vec<String>> {
    if staging.exists() {
        fs::remove_dir_all(staging)?;
    }
    fs::create_dir_all(staging)?;
    let mut seeds = Vec::new();
    let mut open: Option<(String, File)> = None;
    let mut done = false;
    // Plain file writes on the runtime: this runs before the broker serves anything.
    while let Some(chunk) = chunks.message().await? {
        if chunk.done {
            done = true;
            break;
        }
        if !chunk.seeds.is_empty() {
            seeds = chunk.seeds;
        }
        if chunk.file.is_empty() || chunk.file.contains(['/', '\\']) || chunk.file.starts_with('.') {
            anyhow::bail!("the member sent a file named {:?}, which is not a data dir file", chunk.file);
        }
        if open.as_ref().is_none_or(|(name, _)| *name != chunk.file) {
            if let Some((_, file)) = open.take() {
                file.sync_all()?;
            }
            open = Some((chunk.file.clone(), File::create(staging.join(&chunk.file))?));
        }
        if let Some((_, file)) = open.as_mut() {
            file.write_all(&chunk.data)?;
            counted("received", chunk.data.len());
        }
    }
    if let Some((_, file)) = open.take() {
        file.sync_all()?;
    }
    File::open(staging)?.sync_all()?;
    anyhow::ensure!(done, "the member's copy ended before its last file; start again to retry");
    metrics::counter!(DATA_DIR_COPIES, "direction" => "received").increment(1);
    Ok(seeds)
}

fn counted(direction: &'static str, bytes: usize) {
    metrics::counter!(DATA_DIR_COPY_BYTES, "direction" => direction).increment(bytes as u64);
}

/// Moves the staged copy's files into `data_dir`, `CURRENT` last (RocksDB's entry point: a
/// crash before it leaves no data dir RocksDB would open), syncing the directory after each
/// step, then removes the staging directory.
pub fn move_into_place(staging: &Path, data_dir: &Path) -> anyhow::Result<()> {
    let mut files: Vec<PathBuf> = fs::read_dir(staging)?.map(|e| e.map(|e| e.path())).collect::<Result<_, _>>()?;
    files.sort_by_key(|f| f.file_name().is_some_and(|n| n == "CURRENT"));
    for (i, file) in files.iter().enumerate() {
        let name = file.file_name().context("a staged file without a name")?;
        if i + 1 == files.len() {
            File::open(data_dir)?.sync_all()?;
        }
        fs::rename(file, data_dir.join(name))?;
    }
    File::open(data_dir)?.sync_all()?;
    fs::remove_dir(staging)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_staged_copy_moves_into_place_whole_and_stale_checkpoints_go() {
        let dir = tempfile::tempdir().expect("tempdir");
        let data_dir = dir.path();
        let staging = data_dir.join(STAGING);
        fs::create_dir_all(&staging).expect("staging");
        for name in ["CURRENT", "MANIFEST-000005", "000007.sst"] {
            fs::write(staging.join(name), name).expect("staged file");
        }
        move_into_place(&staging, data_dir).expect("moved");
        assert!(!staging.exists(), "the staging directory is gone");
        for name in ["CURRENT", "MANIFEST-000005", "000007.sst"] {
            assert_eq!(fs::read_to_string(data_dir.join(name)).expect("moved file"), name);
        }

        let stale = checkpoint_dir(data_dir, 4);
        fs::create_dir_all(&stale).expect("checkpoint");
        fs::write(stale.join("000007.sst"), "x").expect("checkpoint file");
        assert_ne!(stale, checkpoint_dir(data_dir, 4), "every request gets its own checkpoint");
        remove_stale_copies(data_dir);
        assert!(!stale.exists(), "the stale checkpoint is removed");
        assert!(data_dir.join("CURRENT").exists(), "the data dir's own files stay");
    }
}
