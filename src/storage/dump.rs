//! Everything a commit log's apply wrote, read back whole: partition rows and state, committed
//! offsets, producer state. Two replicas that applied the same entries must dump the same, byte
//! for byte; what is local to a replica (column family slots, topic records, the identity) is
//! left out. For tests and debugging: it reads every row.
use rocksdb::IteratorMode;

use super::db::{OFFSETS_CF, Store};
use super::error::StorageResult;
use super::producers::StoredProducers;
use crate::proto::meta::{PartitionMeta, TopicMeta};

pub type Rows = Vec<(Vec<u8>, Vec<u8>)>;

#[derive(Debug, Default, PartialEq)]
pub struct StoreDump {
    /// Per (topic id, partition): its state and every stored batch row.
    pub partitions: Vec<((u64, u32), PartitionMeta, Rows)>,
    pub offsets: Rows,
    pub producers: StoredProducers,
}

impl Store {
    /// The dump of `topics` (in the order given) and of everything shared.
    pub fn dump(&self, topics: &[TopicMeta]) -> StorageResult<StoreDump> {
        let mut partitions = Vec::new();
        for topic in topics {
            for partition in 0..topic.partitions {
                let meta = self.load_partition_meta(topic.id, partition)?;
                let family = self.partition_family(topic.id, partition)?;
                let rows = rows(self.db.iterator_cf(&*family, IteratorMode::Start))?;
                partitions.push(((topic.id, partition), meta, rows));
            }
        }
        let offsets = rows(self.db.iterator_cf(&self.cf(OFFSETS_CF)?, IteratorMode::Start))?;
        Ok(StoreDump { partitions, offsets, producers: self.load_producers()? })
    }
}

fn rows(iter: impl Iterator<Item = Result<(Box<[u8]>, Box<[u8]>), rocksdb::Error>>) -> StorageResult<Rows> {
    iter.map(|item| item.map(|(k, v)| (k.to_vec(), v.to_vec())).map_err(Into::into)).collect()
}
