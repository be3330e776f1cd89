//! ListOffsets: the earliest, the latest, or the first offset at or after a time.
use super::{Broker, storage_errors};
use crate::error::Result;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OffsetSpec {
    Earliest,
    Latest,
    /// The first record whose timestamp is >= this many ms since the epoch.
    Timestamp(i64),
    /// The record with the largest timestamp (Kafka's ListOffsets -3).
    MaxTimestamp,
}

impl Broker {
    /// Returns `(offset, timestamp_ms)`; the timestamp is -1 unless the offset is a record found
    /// by time. A time after every record gives the latest offset, as in Kafka.
    pub async fn list_offsets(&self, topic: &str, partition: u32, spec: OffsetSpec) -> Result<(i64, i64)> {
        let (_, state) = self.led_partition(topic, partition)?;
        let bounds = state.read_bounds();
        match spec {
            OffsetSpec::Earliest => Ok((bounds.log_start, -1)),
            OffsetSpec::Latest => Ok((bounds.high_watermark, -1)),
            OffsetSpec::Timestamp(ts) => {
                let topic_id = state.topic_id;
                let found = self
                    .blocking(move |store| store.offset_for_timestamp(topic_id, partition, bounds, ts))
                    .await
                    .map_err(|e| storage_errors::in_partition(topic, partition, e))?;
                Ok(found.unwrap_or((bounds.high_watermark, -1)))
            }
            OffsetSpec::MaxTimestamp => {
                let topic_id = state.topic_id;
                let found = self
                    .blocking(move |store| store.offset_of_max_timestamp(topic_id, partition, bounds))
                    .await
                    .map_err(|e| storage_errors::in_partition(topic, partition, e))?;
                // An empty partition has no such record: Kafka answers -1, -1.
                Ok(found.unwrap_or((-1, -1)))
            }
        }
    }
}
