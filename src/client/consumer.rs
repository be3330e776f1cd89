//! A consumer with manual assignment: reads chosen partitions from chosen offsets.
use std::collections::BTreeMap;
use std::time::Duration;

use tonic::Status;

use super::Connection;
use super::group_consumer::ConsumedRecord;
use crate::proto;

/// Where a partition starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartAt {
    Earliest,
    Latest,
    Offset(i64),
    /// The first record at or after this time (ms since the epoch).
    Timestamp(i64),
}

pub struct Consumer {
    client: Connection,
    topic: String,
    positions: BTreeMap<u32, i64>,
    next: usize,
}

impl Consumer {
    /// Assigns `partitions` of `topic`, each starting at `start`.
    pub async fn assign(
        mut client: Connection,
        topic: &str,
        partitions: &[u32],
        start: StartAt,
    ) -> Result<Self, Status> {
        let mut positions = BTreeMap::new();
        for &partition in partitions {
            positions.insert(partition, resolve(&mut client, topic, partition, start).await?);
        }
        Ok(Consumer { client, topic: topic.to_string(), positions, next: 0 })
    }

    /// The next offset to read per partition.
    pub fn positions(&self) -> &BTreeMap<u32, i64> {
        &self.positions
    }

    /// Records from the next partition that has some; waits up to `max_wait` on the last one.
    pub async fn poll(&mut self, max_wait: Duration) -> Result<Vec<ConsumedRecord>, Status> {
        let partitions: Vec<u32> = self.positions.keys().copied().collect();
        for i in 0..partitions.len() {
            let partition = partitions[(self.next + i) % partitions.len()];
            let wait = if i + 1 == partitions.len() { max_wait } else { Duration::ZERO };
            let request = proto::FetchRequest {
                topic: self.topic.clone(),
                partition,
                offset: self.positions[&partition],
                max_bytes: 0,
                max_wait_ms: wait.as_millis() as u32,
            };
            let response = self.client.fetch(request).await?.into_inner();
            if let Some(last) = response.records.last() {
                self.positions.insert(partition, last.offset + 1);
                self.next = (self.next + i + 1) % partitions.len();
                let topic = self.topic.clone();
                return Ok(response
                    .records
                    .into_iter()
                    .map(|r| ConsumedRecord::from_stored(&topic, partition, r))
                    .collect());
            }
        }
        Ok(Vec::new())
    }

    /// High watermarks of the assigned partitions, as of now.
    pub async fn high_watermarks(&mut self) -> Result<BTreeMap<u32, i64>, Status> {
        let mut out = BTreeMap::new();
        for &partition in self.positions.keys() {
            let request = proto::ListOffsetsRequest {
                topic: self.topic.clone(),
                partition,
                spec: proto::OffsetSpec::Latest as i32,
                timestamp_ms: 0,
            };
            out.insert(partition, self.client.list_offsets(request).await?.into_inner().offset);
        }
        Ok(out)
    }
}

async fn resolve(client: &mut Connection, topic: &str, partition: u32, start: StartAt) -> Result<i64, Status> {
    let (spec, timestamp_ms) = match start {
        StartAt::Offset(offset) => return Ok(offset),
        StartAt::Earliest => (proto::OffsetSpec::Earliest, 0),
        StartAt::Latest => (proto::OffsetSpec::Latest, 0),
        StartAt::Timestamp(ts) => (proto::OffsetSpec::Timestamp, ts),
    };
    let request = proto::ListOffsetsRequest { topic: topic.into(), partition, spec: spec as i32, timestamp_ms };
    Ok(client.list_offsets(request).await?.into_inner().offset)
}
