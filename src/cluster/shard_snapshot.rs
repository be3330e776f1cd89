//! A copy of a data shard sent to a broker being added to it, when the leader's Raft log no
//! longer holds what that broker lacks (members trim their logs below what every member holds;
//! a newcomer holds nothing).
//!
//! openraft's snapshot here is only a mark (`state_machine::SnapshotMark`): the log id the
//! leader's log was purged up to. When openraft sends it, the leader reads the shard's rows
//! (`Store::read_shard`) at that moment, which is at or past the mark, with the applied state
//! they were read at. The receiver stages the rows in a file, then hands openraft the mark with
//! the file; the state machine installs the rows and records the later applied state, and skips
//! the entries up to it that openraft then replicates (it has their effects already).
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use openraft::errors::{NetworkError, ReplicationClosed, StreamingError, Unreachable};
use openraft::raft::SnapshotResponse;
use prost::Message;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::Status;
use tonic::transport::Channel;

use super::codec;
use super::shard::CatalogProgress;
use super::state_machine::{decode_state, encode_state};
use super::types::{ClusterId, Raft, TypeConfig, Vote};
use super::watch::RAFT_SNAPSHOTS;
use crate::broker::shards::{META_SHARD, Shards};
use crate::proto::peer::{self as pb, peer_client::PeerClient, shard_row::Kind};
use crate::storage::{ShardRow, Store};

pub type SnapshotMeta = openraft::type_config::alias::SnapshotMetaOf<TypeConfig>;
pub type Snapshot = openraft::type_config::alias::SnapshotOf<TypeConfig, ShardSnapshot>;

/// Rows per message sent, by their bytes.
const CHUNK_BYTES: usize = 1 << 20;
/// Numbers each staged copy: two leaders' copies of one shard may arrive at once.
static STAGED: AtomicU64 = AtomicU64::new(0);
/// How long one copy may take to send and install.
const SEND_WITHIN: Duration = Duration::from_secs(1800);

/// openraft's snapshot data: on the leader, the mark alone; on a receiver, the rows it got.
pub enum ShardSnapshot {
    Mark,
    Received(Received),
}

/// A copy received, staged in a file of the data dir.
pub struct Received {
    pub staged_file: PathBuf,
    /// The encoded applied state the rows were read at.
    pub data_applied: Vec<u8>,
    /// How far the leader had applied the metadata shard when it read them.
    pub catalog_index: u64,
}

/// Prefix of the files copies are staged in, in the data dir (removed at open if left).
pub const STAGED_PREFIX: &str = ".shard-copy-";

/// Where a data shard's leader reads copies from.
#[derive(Clone)]
pub struct SnapshotSource {
    pub store: Arc<Store>,
    pub shards: Shards,
    pub catalog: CatalogProgress,
}

impl SnapshotSource {
    /// Sends `group`'s rows to the peer behind `client`; returns the peer's vote.
    pub async fn send(
        &self,
        mut client: PeerClient<Channel>,
        cluster_id: &ClusterId,
        (group, vote, meta): (u64, &Vote, &SnapshotMeta),
        cancel: impl std::future::Future<Output = ReplicationClosed>,
    ) -> Result<SnapshotResponse<TypeConfig>, StreamingError<TypeConfig>> {
        let header = pb::SnapshotHeader {
            group,
            vote: Some(codec::vote(vote)),
            meta: Some(pb_state(&encode_state(meta.last_log_id.as_ref(), &meta.last_membership))),
        };
        let (tx, rx) = mpsc::channel(4);
        let first = pb::SnapshotChunk { header: Some(header), ..Default::default() };
        let _ = tx.send(first).await;
        let source = self.clone();
        tokio::task::spawn_blocking(move || source.stream_rows(group, &tx));
        let request = cluster_id.request(ReceiverStream::new(rx), SEND_WITHIN);
        tracing::info!(shard = group, "sending a copy of the shard to a broker being added to it");
        let reply = tokio::select! {
            reply = client.install_snapshot(request) => reply,
            closed = cancel => return Err(StreamingError::Closed(closed)),
        };
        let reply = reply.map_err(|status| {
            StreamingError::Unreachable(Unreachable::from_string(format!("sending a copy of shard {group}: {status}")))
        })?;
        let vote = codec::from_vote(reply.into_inner().vote).map_err(|e| network(e.to_string()))?;
        metrics::counter!(RAFT_SNAPSHOTS, "shard" => group.to_string(), "direction" => "sent").increment(1);
        Ok(SnapshotResponse { vote })
    }

    /// The rows in chunks, then the applied state they were read at; a failed read ends the
    /// stream without it, which the receiver refuses.
    fn stream_rows(&self, group: u64, tx: &mpsc::Sender<pb::SnapshotChunk>) {
        let shards = self.shards;
        let carried = |topic_id: u64, partition: u32| shards.of_partition(topic_id, partition) == group;
        let (mut rows, mut bytes) = (Vec::new(), 0);
        let read = self.store.read_shard(group, carried, |row| {
            let row = to_pb(row);
            bytes += row.key.len() + row.value.len() + 16;
            rows.push(row);
            if bytes < CHUNK_BYTES {
                return true;
            }
            bytes = 0;
            let chunk = pb::SnapshotChunk { rows: std::mem::take(&mut rows), ..Default::default() };
            tx.blocking_send(chunk).is_ok()
        });
        match read {
            Ok(Some(applied)) => {
                // Read after the rows: every topic they name was applied by then.
                let catalog_index = self.catalog.applied_index();
                let data_applied = Some(pb_state(&applied));
                let last = pb::SnapshotChunk { rows, data_applied, done: true, catalog_index, ..Default::default() };
                let _ = tx.blocking_send(last);
            }
            Ok(None) => tracing::info!(shard = group, "the receiver of a shard copy went away"),
            Err(e) => tracing::warn!(shard = group, error = %e, "reading a copy of the shard failed"),
        }
    }
}

/// The receiver's side: stages the rows in the data dir, hands the copy to the shard's Raft
/// node, which installs it unless it has what the copy holds already; answers its vote.
pub async fn receive(
    rafts: &[Raft],
    data_dir: &Path,
    mut chunks: tonic::Streaming<pb::SnapshotChunk>,
) -> Result<pb::SnapshotReply, Status> {
    let header = chunks.message().await?.and_then(|c| c.header).ok_or_else(|| bad("no header first"))?;
    let group = header.group;
    let raft = match rafts.get(group as usize) {
        Some(raft) if group != META_SHARD => raft,
        _ => return Err(bad(&format!("shard {group} is not a data shard of this broker"))),
    };
    let meta = decode_state(&header.meta.unwrap_or_default().encode_to_vec()).map_err(|e| bad(&e.to_string()))?;
    let vote = codec::from_vote(header.vote).map_err(|e| bad(&e.to_string()))?;
    let rows = data_dir.join(format!("{STAGED_PREFIX}{group}-{}", STAGED.fetch_add(1, Ordering::Relaxed)));
    let staged = stage(&mut chunks, &rows).await;
    let installed = match staged {
        Ok((data_applied, catalog_index)) if decode_state(&data_applied).is_ok_and(|(data, _)| data >= meta.0) => {
            let snapshot = Snapshot {
                meta: SnapshotMeta { last_log_id: meta.0, last_membership: meta.1 },
                snapshot: ShardSnapshot::Received(Received { staged_file: rows.clone(), data_applied, catalog_index }),
            };
            raft.install_full_snapshot(vote, snapshot).await.map_err(|e| Status::unavailable(e.to_string()))
        }
        Ok(_) => Err(bad("the rows were read before the snapshot they stand for")),
        Err(e) => Err(e),
    };
    let _ = tokio::fs::remove_file(&rows).await;
    let response = installed?;
    metrics::counter!(RAFT_SNAPSHOTS, "shard" => group.to_string(), "direction" => "received").increment(1);
    Ok(pb::SnapshotReply { vote: Some(codec::vote(&response.vote)) })
}

/// Writes each chunk's rows to `path` as one length-prefixed message; returns the applied
/// state and catalog index the last chunk carries.
async fn stage(chunks: &mut tonic::Streaming<pb::SnapshotChunk>, path: &Path) -> Result<(Vec<u8>, u64), Status> {
    let file = std::fs::File::create(path).map_err(|e| internal("staging a shard copy", &e))?;
    let mut file = io::BufWriter::new(file);
    while let Some(chunk) = chunks.message().await? {
        if !chunk.rows.is_empty() {
            let frame = pb::SnapshotChunk { rows: chunk.rows, ..Default::default() }.encode_to_vec();
            let written = tokio::task::block_in_place(|| {
                file.write_all(&(frame.len() as u32).to_be_bytes()).and_then(|()| file.write_all(&frame))
            });
            written.map_err(|e| internal("staging a shard copy", &e))?;
        }
        if chunk.done {
            tokio::task::block_in_place(|| file.flush()).map_err(|e| internal("staging a shard copy", &e))?;
            return Ok((chunk.data_applied.unwrap_or_default().encode_to_vec(), chunk.catalog_index));
        }
    }
    Err(bad("the copy ended before its last chunk"))
}

/// Reads the rows [`stage`] wrote, one message's worth at a time, into `write`.
pub fn read_staged(path: &Path, mut write: impl FnMut(Vec<ShardRow>) -> io::Result<()>) -> io::Result<()> {
    let mut file = io::BufReader::new(std::fs::File::open(path)?);
    let mut length = [0u8; 4];
    loop {
        match file.read_exact(&mut length) {
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(()),
            read => read?,
        }
        let mut frame = vec![0u8; u32::from_be_bytes(length) as usize];
        file.read_exact(&mut frame)?;
        let chunk = pb::SnapshotChunk::decode(frame.as_slice()).map_err(io::Error::other)?;
        write(chunk.rows.into_iter().filter_map(from_pb).collect())?;
    }
}

fn to_pb(row: ShardRow) -> pb::ShardRow {
    let (kind, topic_id, partition, key, value) = match row {
        ShardRow::Batch { topic_id, partition, key, value } => (Kind::Batch, topic_id, partition, key, value),
        ShardRow::PartitionMeta { topic_id, partition, value } => {
            (Kind::PartitionMeta, topic_id, partition, Vec::new(), value)
        }
        ShardRow::ProducerState { topic_id, partition, producer_id, value } => {
            (Kind::ProducerState, topic_id, partition, producer_id.to_be_bytes().to_vec(), value)
        }
    };
    pb::ShardRow { kind: kind as i32, topic_id, partition, key: key.into(), value: value.into() }
}

fn from_pb(row: pb::ShardRow) -> Option<ShardRow> {
    let (topic_id, partition, value) = (row.topic_id, row.partition, row.value.to_vec());
    Some(match Kind::try_from(row.kind).ok()? {
        Kind::Batch => ShardRow::Batch { topic_id, partition, key: row.key.to_vec(), value },
        Kind::PartitionMeta => ShardRow::PartitionMeta { topic_id, partition, value },
        Kind::ProducerState => {
            let producer_id = i64::from_be_bytes(row.key.as_ref().try_into().ok()?);
            ShardRow::ProducerState { topic_id, partition, producer_id, value }
        }
    })
}

fn pb_state(encoded: &[u8]) -> pb::AppliedState {
    pb::AppliedState::decode(encoded).unwrap_or_default()
}

fn network(message: String) -> StreamingError<TypeConfig> {
    StreamingError::Network(NetworkError::from_string(message))
}

fn bad(what: &str) -> Status {
    Status::invalid_argument(format!("a shard copy: {what}"))
}

fn internal(what: &str, e: &io::Error) -> Status {
    tracing::error!(error = %e, "{what}");
    Status::internal(format!("{what} failed; see the broker's log"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_survive_the_wire_form() {
        let rows = [
            ShardRow::Batch { topic_id: 3, partition: 1, key: vec![0, 0, 0, 9], value: b"batch".to_vec() },
            ShardRow::PartitionMeta { topic_id: 3, partition: 1, value: b"meta".to_vec() },
            ShardRow::ProducerState { topic_id: 3, partition: 2, producer_id: -7, value: b"window".to_vec() },
        ];
        for row in rows {
            assert_eq!(from_pb(to_pb(row.clone())), Some(row));
        }
    }
}
