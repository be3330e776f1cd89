//! A fetch of many partitions at once that serves stored batches as they are on disk (the
//! Kafka listener sends them without re-encoding), waiting until enough bytes exist in all of
//! them together or the wait ends.
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::future::select_all;
use tokio::time::Instant;

use super::fetch::{MAX_FETCH_BYTES, MAX_WAIT};
use super::partition::PartitionState;
use super::{Broker, storage_errors};
use crate::error::{Error, Result};
use crate::metrics as m;
use crate::storage::ReadBounds;

/// One partition of a [`ManyFetch`].
#[derive(Debug, Clone)]
pub struct PartitionFetch {
    pub topic: String,
    pub partition: u32,
    pub offset: i64,
    pub max_bytes: usize,
}

#[derive(Debug, Clone)]
pub struct ManyFetch {
    pub partitions: Vec<PartitionFetch>,
    /// Answer as soon as this many bytes are there, over all partitions.
    pub min_bytes: usize,
    /// Stop reading partitions once this many bytes are read (at least one batch is served).
    pub max_bytes: usize,
    pub max_wait: Duration,
}

/// One partition's answer: whole batches, the first one holding the fetch offset.
#[derive(Debug, Clone, Default)]
pub struct FetchedBatches {
    pub batches: Vec<Bytes>,
    pub high_watermark: i64,
    pub log_start_offset: i64,
}

impl FetchedBatches {
    pub fn bytes(&self) -> usize {
        self.batches.iter().map(Bytes::len).sum()
    }
}

impl Broker {
    /// Each partition's batches from its offset, in request order; an error in one partition
    /// (unknown, not led here, offset out of range) is that partition's answer alone.
    pub async fn fetch_batches(&self, request: &ManyFetch) -> Vec<Result<FetchedBatches>> {
        let deadline = Instant::now() + request.max_wait.min(MAX_WAIT);
        let mut last_round = false;
        loop {
            let mut answers: Vec<Option<Result<FetchedBatches>>> = Vec::with_capacity(request.partitions.len());
            let mut plans = Vec::new();
            let mut watches = Vec::new();
            for (index, p) in request.partitions.iter().enumerate() {
                match self.plan_read(p) {
                    Ok((plan, state)) => {
                        plans.push((index, plan));
                        watches.push((state.watch_high_watermark(), p.offset));
                        answers.push(None);
                    }
                    Err(e) => answers.push(Some(Err(e))),
                }
            }
            for (index, read) in self.read_planned(request, plans).await {
                answers[index] = Some(read);
            }
            let answers: Vec<Result<FetchedBatches>> =
                answers.into_iter().map(|a| a.unwrap_or_else(|| Err(Error::ShuttingDown))).collect();
            let bytes: usize = answers.iter().filter_map(|a| a.as_ref().ok()).map(FetchedBatches::bytes).sum();
            let any_error = answers.iter().any(Result::is_err);
            let done = bytes >= request.min_bytes.max(1) || any_error || watches.is_empty();
            if done || last_round || Instant::now() >= deadline {
                count_fetched(&request.partitions, &answers);
                return answers;
            }
            let grown = watches.into_iter().map(|(mut hwm, offset)| {
                Box::pin(async move {
                    let _ = hwm.wait_for(|h| *h > offset).await;
                })
            });
            tokio::select! {
                _ = select_all(grown) => {}
                _ = tokio::time::sleep_until(deadline) => {}
                _ = self.shutdown.cancelled() => {}
            }
            // Past the wait, one last read: what arrived meanwhile is served.
            last_round = Instant::now() >= deadline || self.shutdown.is_cancelled();
        }
    }

    /// What to read of one partition (led here, the offset in range), or why not.
    fn plan_read(&self, p: &PartitionFetch) -> Result<(ReadPlan, Arc<PartitionState>)> {
        let (_, state) = self.led_partition(&p.topic, p.partition)?;
        let bounds = state.read_bounds();
        self.check_offset(&p.topic, &state, p.offset, bounds.high_watermark)?;
        let plan = ReadPlan {
            topic: p.topic.clone(),
            topic_id: state.topic_id,
            partition: p.partition,
            offset: p.offset,
            bounds,
            max_bytes: p.max_bytes.max(1),
        };
        Ok((plan, state))
    }

    /// Reads the planned partitions in one blocking task, in order, until `max_bytes` are read.
    async fn read_planned(
        &self,
        request: &ManyFetch,
        plans: Vec<(usize, ReadPlan)>,
    ) -> Vec<(usize, Result<FetchedBatches>)> {
        let limit = request.max_bytes.clamp(1, MAX_FETCH_BYTES as usize);
        let read = self.blocking(move |store| {
            let mut total = 0usize;
            let mut out = Vec::with_capacity(plans.len());
            for (index, plan) in plans {
                let empty = plan.empty();
                if plan.offset >= plan.bounds.high_watermark || total >= limit {
                    out.push((index, Ok(empty)));
                    continue;
                }
                let want = plan.max_bytes.min(limit - total);
                let read = store.read_batches(plan.topic_id, plan.partition, plan.offset, plan.bounds, want);
                let answer = read
                    .map(|batches| FetchedBatches { batches, ..empty })
                    .map_err(|e| storage_errors::in_partition(&plan.topic, plan.partition, e));
                total += answer.as_ref().map_or(0, FetchedBatches::bytes);
                out.push((index, answer));
            }
            Ok(out)
        });
        // Every read error is kept per partition: the task itself cannot fail.
        read.await.unwrap_or_default()
    }
}

struct ReadPlan {
    topic: String,
    topic_id: u64,
    partition: u32,
    offset: i64,
    bounds: ReadBounds,
    max_bytes: usize,
}

impl ReadPlan {
    fn empty(&self) -> FetchedBatches {
        FetchedBatches {
            batches: Vec::new(),
            high_watermark: self.bounds.high_watermark,
            log_start_offset: self.bounds.log_start,
        }
    }
}

fn count_fetched(partitions: &[PartitionFetch], answers: &[Result<FetchedBatches>]) {
    for (p, answer) in partitions.iter().zip(answers) {
        if let Ok(fetched) = answer
            && !fetched.batches.is_empty()
        {
            let topic_label = [("topic", p.topic.clone())];
            metrics::counter!(m::FETCHED_BYTES, &topic_label).increment(fetched.bytes() as u64);
        }
    }
}
