//! Fetch: records from an exact offset, long-polling at the end of the log; and Subscribe, a
//! stream of fetches that follows the log as it grows.
use std::sync::Arc;
use std::time::Duration;

use futures::Stream;

use super::partition::PartitionState;
use super::{Broker, storage_errors};
use crate::error::{Error, Result};
use crate::metrics as m;
use crate::records::StoredRecord;
use crate::storage::ReadBounds;

/// Default soft limit of record bytes per response.
pub const DEFAULT_MAX_BYTES: u32 = 1 << 20;
/// Largest `max_bytes` honoured; larger asks are served this much.
pub const MAX_FETCH_BYTES: u32 = 64 << 20;
/// Longest long-poll a client may ask for.
pub const MAX_WAIT: Duration = Duration::from_secs(300);
/// How long one step of a subscription waits before checking the topic still exists.
const SUBSCRIBE_POLL: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, Default)]
pub struct FetchRequest {
    pub topic: String,
    pub partition: u32,
    pub offset: i64,
    /// 0 = [`DEFAULT_MAX_BYTES`].
    pub max_bytes: u32,
    pub max_wait: Duration,
}

#[derive(Debug, Clone, Default)]
pub struct FetchResponse {
    pub partition: u32,
    pub records: Vec<StoredRecord>,
    pub high_watermark: i64,
    pub log_start_offset: i64,
}

/// The error for an offset outside `bounds`, naming both ends.
pub(super) fn out_of_range(topic: &str, partition: u32, offset: i64, bounds: ReadBounds) -> Error {
    Error::OffsetOutOfRange {
        topic: topic.to_string(),
        partition,
        offset,
        log_start: bounds.log_start,
        high_watermark: bounds.high_watermark,
    }
}

impl Broker {
    /// Records starting exactly at `offset`. At the high watermark, waits up to `max_wait` for
    /// new records and returns as soon as any arrive (or empty when the wait ends).
    pub async fn fetch(&self, request: &FetchRequest) -> Result<FetchResponse> {
        if request.max_wait > MAX_WAIT {
            let reason =
                format!("{} ms is over the limit of {} ms", request.max_wait.as_millis(), MAX_WAIT.as_millis());
            return Err(Error::invalid("max_wait_ms", reason));
        }
        let (_, state) = self.led_partition(&request.topic, request.partition)?;
        let mut high_watermark = state.watch_high_watermark();
        let hwm = *high_watermark.borrow_and_update();
        self.check_offset(&request.topic, &state, request.offset, hwm)?;
        if request.offset == hwm && !request.max_wait.is_zero() {
            tokio::select! {
                _ = tokio::time::timeout(request.max_wait, high_watermark.wait_for(|h| *h > request.offset)) => {}
                _ = self.shutdown.cancelled() => {}
            }
        }
        self.read(&request.topic, state, request.offset, request.max_bytes).await
    }

    /// Checks that `request` names an existing partition and a fetchable offset.
    pub fn check_position(&self, request: &FetchRequest) -> Result<()> {
        let (_, state) = self.led_partition(&request.topic, request.partition)?;
        self.check_offset(&request.topic, &state, request.offset, state.high_watermark())
    }

    pub(super) fn check_offset(&self, topic: &str, state: &PartitionState, offset: i64, hwm: i64) -> Result<()> {
        let bounds = ReadBounds { high_watermark: hwm, ..state.read_bounds() };
        if offset > hwm && self.replication.is_some() {
            // A new leader may not have applied all that the old one served yet: the reader
            // retries, and must not reset its position.
            return Err(Error::OffsetNotAvailable {
                topic: topic.to_string(),
                partition: state.partition,
                offset,
                high_watermark: hwm,
            });
        }
        if offset < bounds.log_start || offset > hwm {
            return Err(out_of_range(topic, state.partition, offset, bounds));
        }
        Ok(())
    }

    async fn read(
        &self,
        topic: &str,
        state: Arc<PartitionState>,
        offset: i64,
        max_bytes: u32,
    ) -> Result<FetchResponse> {
        let bounds = state.read_bounds();
        if offset < bounds.log_start {
            // DeleteRecords or retention moved the log start since the offset was checked.
            return Err(out_of_range(topic, state.partition, offset, bounds));
        }
        let max_bytes = match max_bytes {
            0 => DEFAULT_MAX_BYTES,
            n => n.min(MAX_FETCH_BYTES),
        } as usize;
        let (topic_id, partition) = (state.topic_id, state.partition);
        let records = if offset >= bounds.high_watermark {
            Vec::new()
        } else {
            self.blocking(move |store| store.read_records(topic_id, partition, offset, bounds, max_bytes))
                .await
                .map_err(|e| storage_errors::in_partition(topic, partition, e))?
        };
        if !records.is_empty() {
            let bytes: usize = records.iter().map(StoredRecord::payload_len).sum();
            let topic_label = [("topic", topic.to_string())];
            metrics::counter!(m::FETCHED_RECORDS, &topic_label).increment(records.len() as u64);
            metrics::counter!(m::FETCHED_BYTES, &topic_label).increment(bytes as u64);
        }
        if records.first().is_some_and(|r| r.offset != offset) {
            // Retention deleted the offset between the bounds check and the read.
            return Err(out_of_range(topic, partition, offset, state.read_bounds()));
        }
        Ok(FetchResponse {
            partition,
            records,
            high_watermark: bounds.high_watermark,
            log_start_offset: bounds.log_start,
        })
    }

    /// Responses from `request.offset` on, each pushed as soon as records exist. Ends with an
    /// error if the topic goes away, and cleanly when the broker shuts down; a client that
    /// cancels simply drops it.
    pub fn subscribe(self: &Arc<Self>, request: FetchRequest) -> impl Stream<Item = Result<FetchResponse>> + use<> {
        let open = m::Open::count(m::SUBSCRIPTIONS);
        let wanted = if request.max_bytes == 0 { DEFAULT_MAX_BYTES } else { request.max_bytes.min(MAX_FETCH_BYTES) };
        let request = FetchRequest { max_wait: SUBSCRIBE_POLL, ..request };
        let state = (self.clone(), request, false, open, None);
        futures::stream::unfold(state, move |(broker, mut request, failed, open, held)| async move {
            // Being polled again means the transport took the previous response (HTTP/2 flow
            // control only asks for more once it has sent most of it): its budget returns.
            drop(held);
            if failed {
                return None;
            }
            loop {
                let grant = tokio::select! {
                    _ = broker.shutdown.cancelled() => return None,
                    grant = broker.stream_buffer.reserve(wanted) => grant,
                };
                request.max_bytes = grant.bytes();
                match broker.fetch(&request).await {
                    Ok(response) if response.records.is_empty() => continue,
                    Ok(response) => {
                        if let Some(last) = response.records.last() {
                            request.offset = last.offset + 1;
                        }
                        return Some((Ok(response), (broker, request, false, open, Some(grant))));
                    }
                    Err(e) => return Some((Err(e), (broker, request, true, open, None))),
                }
            }
        })
    }
}
