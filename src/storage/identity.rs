//! The data dir's identity record: format version, node id and cluster id, in `meta`. Written
//! (synced) the first time a data dir is opened, including a data dir written before the
//! record existed, which is adopted as format 1 with its data as it is.
use std::time::{SystemTime, UNIX_EPOCH};

use prost::Message;

use super::db::{META_CF, Store};
use super::error::{StorageError, StorageResult};
use super::keys;
use super::meta_scan::decode;
use crate::proto::meta::DataDirIdentity;

/// The storage format this build writes, and the newest it reads.
pub const FORMAT_VERSION: u32 = 1;

/// Why a data dir cannot be used as asked.
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    #[error(
        "the data dir was written in format {found} by a newer strata; this build reads formats up to \
         {FORMAT_VERSION}: run a newer strata on it"
    )]
    NewerFormat { found: u32 },
    #[error(
        "the data dir belongs to node {stored}, not --node-id {asked}: start with --node-id {stored}, \
         or give node {asked} a data dir of its own"
    )]
    OtherNode { stored: u64, asked: u64 },
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl Store {
    /// The data dir's identity, claimed for `node_id` (`None`: whatever it holds, or node 1 for
    /// a new one). The first open records it, durably, before anything else is written.
    pub fn claim_identity(&self, node_id: Option<u64>) -> Result<DataDirIdentity, IdentityError> {
        match self.identity()? {
            Some(identity) if identity.format_version > FORMAT_VERSION => {
                Err(IdentityError::NewerFormat { found: identity.format_version })
            }
            Some(identity) => match node_id {
                Some(asked) if asked != identity.node_id => {
                    Err(IdentityError::OtherNode { stored: identity.node_id, asked })
                }
                _ => Ok(identity),
            },
            None => {
                let identity = DataDirIdentity {
                    format_version: FORMAT_VERSION,
                    node_id: node_id.unwrap_or(1),
                    cluster_id: new_cluster_id(),
                    created_ms: SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64),
                };
                let mut batch = rocksdb::WriteBatch::default();
                batch.put_cf(&self.cf(META_CF)?, keys::IDENTITY_KEY, identity.encode_to_vec());
                self.write_synced(batch)?;
                Ok(identity)
            }
        }
    }

    /// Records that this data dir belongs to cluster `cluster_id` (the seeds agree on one when
    /// they form a cluster); durable when this returns.
    pub fn adopt_cluster_id(&self, cluster_id: &str) -> StorageResult<()> {
        // Claimed when the store opened, so always there.
        let Some(mut identity) = self.identity()? else { return Ok(()) };
        identity.cluster_id = cluster_id.to_string();
        let mut batch = rocksdb::WriteBatch::default();
        batch.put_cf(&self.cf(META_CF)?, keys::IDENTITY_KEY, identity.encode_to_vec());
        self.write_synced(batch)
    }

    fn identity(&self) -> StorageResult<Option<DataDirIdentity>> {
        let meta = self.cf(META_CF)?;
        let stored = self.db.get_pinned_cf(&meta, keys::IDENTITY_KEY)?;
        stored.map(|value| decode(keys::IDENTITY_KEY, &value)).transpose()
    }
}

/// 128 random bits as hex, from the kernel (the one source every broker host has).
fn new_cluster_id() -> String {
    let mut bytes = [0u8; 16];
    if let Err(e) = std::fs::File::open("/dev/urandom").and_then(|mut f| std::io::Read::read_exact(&mut f, &mut bytes))
    {
        // Unique enough without it: the time in nanoseconds and the process id.
        tracing::warn!(error = %e, "no /dev/urandom; the cluster id comes from the clock");
        let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos());
        bytes = (nanos ^ (u128::from(std::process::id()) << 96)).to_be_bytes();
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::StoreOptions;

    fn open(dir: &std::path::Path) -> std::sync::Arc<Store> {
        Store::open(dir, &StoreOptions::default()).expect("open")
    }

    #[test]
    fn the_first_open_records_the_identity_and_later_ones_keep_it() {
        let dir = tempfile::tempdir().expect("dir");
        let first = open(dir.path()).claim_identity(Some(3)).expect("new data dir");
        assert_eq!((first.format_version, first.node_id, first.cluster_id.len()), (FORMAT_VERSION, 3, 32));
        let again = open(dir.path()).claim_identity(None).expect("reopened without --node-id");
        assert_eq!(again, first);
        assert_eq!(open(dir.path()).claim_identity(Some(3)).expect("same node"), first);
        let other = tempfile::tempdir().expect("dir");
        assert_ne!(open(other.path()).claim_identity(None).expect("new").cluster_id, first.cluster_id);
    }

    #[test]
    fn a_data_dir_from_before_the_record_is_adopted_with_its_data() {
        let dir = tempfile::tempdir().expect("dir");
        let topic = crate::proto::meta::TopicMeta { id: 1, name: "old".into(), partitions: 1, ..Default::default() };
        open(dir.path()).create_topic(topic).expect("a topic written before identities existed");
        let store = open(dir.path());
        assert_eq!(store.claim_identity(None).expect("adopted").format_version, FORMAT_VERSION);
        assert_eq!(store.load_topics().expect("topics")[0].name, "old");
    }

    #[test]
    fn another_nodes_data_dir_or_a_newer_format_is_refused_with_what_to_do() {
        let dir = tempfile::tempdir().expect("dir");
        let store = open(dir.path());
        store.claim_identity(Some(1)).expect("new");
        let err = store.claim_identity(Some(2)).expect_err("another node");
        assert!(err.to_string().contains("start with --node-id 1"), "{err}");

        let newer = DataDirIdentity { format_version: FORMAT_VERSION + 1, node_id: 1, ..Default::default() };
        let mut batch = rocksdb::WriteBatch::default();
        batch.put_cf(&store.cf(META_CF).expect("meta"), keys::IDENTITY_KEY, newer.encode_to_vec());
        store.write_synced(batch).expect("write");
        let err = store.claim_identity(None).expect_err("newer format");
        assert!(err.to_string().contains("run a newer strata"), "{err}");
    }
}
