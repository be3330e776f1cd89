//! Sending one batch: the request, its retries, and what the batcher must do next.
use std::time::Duration;

use tokio::time::Instant;
use tonic::{Code, Status};

use super::batcher::Batch;
use super::sequences::Stamp;
use super::{ProducerConfig, RecordOffset};
use crate::client::Connection;
use crate::proto;

/// How a send ended, for the batcher.
pub(super) enum Sent {
    /// Stored (or found already stored); every record was told its offset.
    Delivered { stamp: Option<Stamp>, records: usize },
    /// Not stored; every record was told why.
    Failed,
    /// Not stored, and the broker has forgotten this producer or disagrees about its sequences:
    /// renew the identity and send the batch again.
    Renew(Batch),
    /// Given up with no answer from the broker's window although an attempt may have been
    /// stored: every record was told, and the sequences must be renewed.
    Unresolved,
    /// A newer instance of this producer fenced it; every record was told. Nothing more can be
    /// sent.
    Fenced(Status),
}

/// What to do about a failed attempt.
enum Next {
    Retry,
    Renew,
    Fenced,
    Fail,
}

/// Longest pause between two attempts of an idempotent producer (it retries until its delivery
/// timeout).
pub(super) const MAX_BACKOFF: Duration = Duration::from_secs(1);

/// How often one batch may make the producer renew its id: a broker that keeps forgetting it
/// fails the batch instead of looping.
const MAX_RENEWALS: u32 = 3;

/// Sends one batch to `partition`, retrying as the config says, and tells every record where it
/// landed (or why not).
pub(super) async fn send_batch(
    mut client: Connection,
    topic: String,
    partition: u32,
    mut batch: Batch,
    config: &ProducerConfig,
    stamp: Option<Stamp>,
) -> Sent {
    let request = proto::ProduceRequest {
        topic,
        partition: Some(partition),
        records: std::mem::take(&mut batch.records),
        acks: config.acks as i32,
        producer_id: stamp.map(|s| s.producer_id),
        producer_epoch: stamp.map_or(0, |s| s.epoch),
        base_sequence: stamp.map_or(0, |s| s.base_sequence),
        compression: config.compression as i32,
    };
    let deadline = *batch.deadline.get_or_insert_with(|| Instant::now() + config.delivery_timeout);
    let mut attempt = 0;
    // Whether an earlier attempt may have been stored: after that, only an answer from the
    // broker's window settles the batch, and giving up leaves the sequences unknown.
    let mut maybe_stored = false;
    loop {
        let status = match attempt_once(&mut client, &request, config, stamp.is_some()).await {
            Ok(response) => {
                let base = response.results.first().map_or(-1, |r| r.base_offset);
                let records = batch.deliveries.len();
                batch.deliver(partition, base);
                return Sent::Delivered { stamp, records };
            }
            Err(status) => status,
        };
        let next = if stamp.is_some() { idempotent_next(&status) } else { plain_next(&status) };
        let backoff = match stamp {
            Some(_) => (config.retry_backoff * (attempt + 1)).min(MAX_BACKOFF),
            None => config.retry_backoff * (attempt + 1),
        };
        let may_retry = match stamp {
            Some(_) => Instant::now() + backoff < deadline,
            None => attempt < config.retries,
        };
        match next {
            Next::Retry if may_retry => {
                maybe_stored = true;
                attempt += 1;
                tokio::time::sleep(backoff).await;
            }
            Next::Renew if !maybe_stored && Instant::now() < deadline && batch.renewals < MAX_RENEWALS => {
                batch.records = request.records;
                batch.renewals += 1;
                return Sent::Renew(batch);
            }
            Next::Fenced => {
                batch.fail(&status);
                return Sent::Fenced(status);
            }
            _ if stamp.is_some() && (maybe_stored || matches!(next, Next::Retry)) => {
                batch.fail(&status);
                return Sent::Unresolved;
            }
            _ => {
                batch.fail(&status);
                return Sent::Failed;
            }
        }
    }
}

/// One attempt. An idempotent one gives up after `request_timeout` (it is retried, and the
/// connection then moves on to another broker); a plain one waits for the broker's answer,
/// since a retry could store it twice.
async fn attempt_once(
    client: &mut Connection,
    request: &proto::ProduceRequest,
    config: &ProducerConfig,
    idempotent: bool,
) -> Result<proto::ProduceResponse, Status> {
    let mut request = match request.partition {
        Some(partition) => crate::client::for_partition(request.clone(), &request.topic, partition),
        None => tonic::Request::new(request.clone()),
    };
    if idempotent {
        request.set_timeout(config.request_timeout);
    }
    client.produce(request).await.map(tonic::Response::into_inner)
}

/// With idempotence every failure that may not be final is retried: the broker answers a
/// repeat of a stored batch with its offsets, so a retry cannot store it twice.
fn idempotent_next(status: &Status) -> Next {
    match reason(status) {
        Some("UNKNOWN_PRODUCER_ID" | "OUT_OF_ORDER_SEQUENCE_NUMBER") => return Next::Renew,
        Some("PRODUCER_FENCED" | "INVALID_PRODUCER_EPOCH") => return Next::Fenced,
        _ => {}
    }
    match status.code() {
        Code::Unavailable
        | Code::DeadlineExceeded
        | Code::Cancelled
        | Code::Unknown
        | Code::Internal
        | Code::ResourceExhausted
        | Code::Aborted => Next::Retry,
        _ => Next::Fail,
    }
}

/// Whether an idempotent producer tries again after `status` (the outcome may not be final).
pub(super) fn worth_retrying(status: &Status) -> bool {
    matches!(idempotent_next(status), Next::Retry)
}

fn plain_next(status: &Status) -> Next {
    if retriable(status) { Next::Retry } else { Next::Fail }
}

fn reason(status: &Status) -> Option<&str> {
    status.metadata().get("strata-reason").and_then(|v| v.to_str().ok())
}

/// Without idempotence, only what cannot have been stored is retried: the broker is down or
/// restarting, or asked producers to back off (OVERLOADED), or the request never left this
/// client.
fn retriable(status: &Status) -> bool {
    let overloaded = status.code() == Code::ResourceExhausted && reason(status) == Some("OVERLOADED");
    status.code() == Code::Unavailable || overloaded || never_reached_the_broker(status)
}

/// The request failed on this side before the broker saw it, so a retry cannot duplicate it:
/// hyper cancels the requests still queued on a connection that closes, and a broker shutting
/// down sends GOAWAY (NO_ERROR), which by HTTP/2 (RFC 9113 6.8) refuses the streams above its
/// last stream id unprocessed. hyper also fails with that GOAWAY a request whose headers were
/// queued but whose body it had not started sending; the broker cannot have decoded that one
/// either. A status the broker sent carries no source.
fn never_reached_the_broker(status: &Status) -> bool {
    let mut cause = std::error::Error::source(status);
    while let Some(err) = cause {
        if err.downcast_ref::<hyper::Error>().is_some_and(hyper::Error::is_canceled) {
            return true;
        }
        if err
            .downcast_ref::<h2::Error>()
            .is_some_and(|e| e.is_go_away() && e.is_remote() && e.reason() == Some(h2::Reason::NO_ERROR))
        {
            return true;
        }
        cause = err.source();
    }
    false
}

impl Batch {
    /// Tells every record its offset (-1 for all with acks NONE).
    fn deliver(self, partition: u32, base: i64) {
        for (i, done) in self.deliveries.into_iter().enumerate() {
            let offset = if base < 0 { -1 } else { base + i as i64 };
            let _ = done.send(Ok(RecordOffset { partition, offset }));
        }
    }

    /// Tells every record its send failed.
    pub(super) fn fail(self, status: &Status) {
        for done in self.deliveries {
            let _ = done.send(Err(status.clone()));
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    fn with_reason(mut status: Status, reason: &'static str) -> Status {
        status.metadata_mut().insert("strata-reason", reason.parse().expect("ascii"));
        status
    }

    #[test]
    fn unavailable_and_overloaded_are_retried_and_what_the_broker_answered_is_not() {
        assert!(retriable(&Status::unavailable("broker restarting")));
        assert!(retriable(&with_reason(Status::resource_exhausted("the broker is behind"), "OVERLOADED")));
        assert!(!retriable(&Status::resource_exhausted("quota")), "only OVERLOADED backs off and retries");
        assert!(!retriable(&Status::cancelled("the broker cancelled it")));
        assert!(!retriable(&Status::invalid_argument("record too large")));
    }

    #[test]
    fn a_local_error_that_is_not_a_refused_or_unsent_request_is_not_retried() {
        let mut reset = Status::internal("h2 protocol error");
        reset.set_source(Arc::new(h2::Error::from(h2::Reason::INTERNAL_ERROR)));
        assert!(!retriable(&reset), "the broker may have written it");
        let mut other = Status::cancelled("operation was canceled");
        other.set_source(Arc::new(std::io::Error::other("connection reset")));
        assert!(!retriable(&other));
    }

    #[test]
    fn an_idempotent_producer_retries_whatever_may_not_be_final() {
        for retried in [
            Status::internal("write failed; may or may not be stored"),
            Status::deadline_exceeded("no answer"),
            Status::cancelled("connection reset"),
            Status::unknown("transport error"),
            Status::unavailable("restarting"),
        ] {
            assert!(matches!(idempotent_next(&retried), Next::Retry), "{retried:?}");
        }
        assert!(matches!(idempotent_next(&Status::invalid_argument("too large")), Next::Fail));
        let unknown = with_reason(Status::failed_precondition("forgotten"), "UNKNOWN_PRODUCER_ID");
        assert!(matches!(idempotent_next(&unknown), Next::Renew));
        let fenced = with_reason(Status::failed_precondition("fenced"), "PRODUCER_FENCED");
        assert!(matches!(idempotent_next(&fenced), Next::Fenced));
    }
}
