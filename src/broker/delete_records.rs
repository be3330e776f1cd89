//! DeleteRecords (Kafka's): move a partition's log start forward on request, through the same
//! range-delete path as retention.
use super::Broker;
use super::fetch::out_of_range;
use crate::error::Result;

impl Broker {
    /// Deletes the records of `topic`/`partition` below `before_offset` (-1 = the high
    /// watermark); returns the new log start. Batches wholly below it are deleted; a batch it
    /// falls inside stays stored, but its records below the log start are never served again.
    pub async fn delete_records(&self, topic: &str, partition: u32, before_offset: i64) -> Result<i64> {
        self.ensure_open()?;
        let (_, state) = self.led_partition(topic, partition)?;
        let bounds = state.read_bounds();
        let before = if before_offset == -1 { bounds.high_watermark } else { before_offset };
        if before < 0 || before > bounds.high_watermark {
            return Err(out_of_range(topic, partition, before_offset, bounds));
        }
        if before <= bounds.log_start {
            return Ok(bounds.log_start);
        }
        let whole = self.leading_batches(&state, move |b| b.next_offset <= before).await?;
        let first_batch = whole.last().map_or(bounds.first_batch, |b| b.next_offset);
        self.truncate(&state, before, first_batch, whole).await?;
        Ok(state.log_start())
    }
}
