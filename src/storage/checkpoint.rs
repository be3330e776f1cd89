//! A copy of the whole data dir for a broker joining a cluster: RocksDB's checkpoint (SST files
//! hard-linked, the WAL copied) is one consistent moment of every family, so the copy's applied
//! marks and the data they describe agree, shard by shard. The joiner then takes the copy over
//! as its own: its node id, no vote of the donor's, and the cluster's seeds.
use std::path::Path;

use prost::Message;
use rocksdb::WriteBatch;
use rocksdb::checkpoint::Checkpoint;

use super::db::{META_CF, Store};
use super::error::StorageResult;
use super::keys;
use super::meta_scan::decode;
use crate::proto::meta::DataDirIdentity;

/// Raft marks that are this broker's own doing, never a copy's: the vote it cast, the commit
/// point it learned, and the shards it noted it left. The log, applied state and purge point
/// describe the data, and stay.
const OWN_RAFT_MARKS: [&str; 3] = ["vote", "committed", super::shard_copy::LEFT];

impl Store {
    /// Where the database is.
    pub fn path(&self) -> &Path {
        self.db.path()
    }

    /// Writes a checkpoint of the database to `dir` (which must not exist yet).
    pub fn checkpoint(&self, dir: &Path) -> StorageResult<()> {
        Ok(Checkpoint::new(&self.db)?.create_checkpoint(dir)?)
    }

    /// Makes a copy of another member's data dir this broker's own: `node_id` replaces the
    /// donor's, the donor's votes and commit points go, and `seeds` is recorded. Durable when
    /// this returns.
    pub fn take_over_copy(&self, node_id: u64, seeds: &[String]) -> StorageResult<()> {
        let meta = self.cf(META_CF)?;
        let mut batch = WriteBatch::default();
        self.scan_meta(b"raft/", |key, _| {
            if OWN_RAFT_MARKS.iter().any(|mark| key.ends_with(format!("/{mark}").as_bytes())) {
                batch.delete_cf(&meta, key);
            }
            Ok(())
        })?;
        if let Some(value) = self.db.get_cf(&meta, keys::IDENTITY_KEY)? {
            let mut identity: DataDirIdentity = decode(keys::IDENTITY_KEY, &value)?;
            identity.node_id = node_id;
            batch.put_cf(&meta, keys::IDENTITY_KEY, identity.encode_to_vec());
        }
        batch.put_cf(&meta, keys::SEEDS_KEY, seeds.join("\n"));
        self.write_synced(batch)
    }

    /// The seeds recorded by [`Store::take_over_copy`]: a broker that joined a cluster learns
    /// them there, not from its flags.
    pub fn recorded_seeds(&self) -> StorageResult<Option<Vec<String>>> {
        let stored = self.db.get_cf(&self.cf(META_CF)?, keys::SEEDS_KEY)?;
        Ok(stored.map(|bytes| String::from_utf8_lossy(&bytes).lines().map(str::to_string).collect()))
    }
}

#[cfg(test)]
mod tests {
    use crate::storage::StoreOptions;

    use super::*;

    #[test]
    fn a_copy_keeps_the_data_and_marks_but_not_the_donors_vote_or_id() {
        let dir = tempfile::tempdir().expect("tempdir");
        let donor = Store::open(&dir.path().join("donor"), &StoreOptions::default()).expect("open");
        donor.claim_identity(Some(1)).expect("identity");
        donor.ensure_raft_log().expect("raft log");
        for group in [0, 1] {
            donor.raft_put_mark(group, "vote", b"v", false).expect("vote");
            donor.raft_put_mark(group, "committed", b"c", false).expect("committed");
            donor.raft_put_mark(group, "applied", b"a", false).expect("applied");
            donor.note_left_shard(group).expect("noted");
            donor.raft_append(group, &[(7, b"entry".to_vec())], false).expect("append");
        }
        let copy_dir = dir.path().join("copy");
        donor.checkpoint(&copy_dir).expect("checkpoint");

        let copy = Store::open(&copy_dir, &StoreOptions::default()).expect("open copy");
        let seeds = vec!["a:1".to_string(), "b:2".to_string()];
        copy.take_over_copy(4, &seeds).expect("take over");
        assert_eq!(copy.claim_identity(Some(4)).expect("identity").node_id, 4);
        assert_eq!(copy.recorded_seeds().expect("seeds"), Some(seeds));
        for group in [0, 1] {
            assert_eq!(copy.raft_mark(group, "vote").expect("read"), None);
            assert_eq!(copy.raft_mark(group, "committed").expect("read"), None);
            assert!(!copy.left_shard_noted(group).expect("read"), "the donor's notes stay the donor's");
            assert_eq!(copy.raft_mark(group, "applied").expect("read"), Some(b"a".to_vec()));
            assert_eq!(copy.raft_entries(group, 7, 8).expect("entries"), vec![(7, b"entry".to_vec())]);
        }
        assert_eq!(donor.raft_mark(0, "vote").expect("donor"), Some(b"v".to_vec()), "the donor keeps its own");
        assert_eq!(donor.recorded_seeds().expect("seeds"), None);
    }
}
