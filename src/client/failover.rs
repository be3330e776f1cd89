//! Riding through a failover: a call answered UNAVAILABLE (a broker down, NOT_LEADER or
//! NOT_COORDINATOR, a new leader not yet at the offset asked for) is made again, at the broker
//! the routed connection now follows, until [`FAILOVER_PATIENCE`] has passed. For calls that
//! change nothing or are safe to repeat: reads, joins, committed-offset lookups.
use std::future::Future;
use std::time::Duration;

use tonic::Status;

/// How long a call keeps retrying while the cluster has no reachable leader.
pub const FAILOVER_PATIENCE: Duration = Duration::from_secs(30);

pub async fn through_failover<T, F, Fut>(mut call: F) -> Result<T, Status>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, Status>>,
{
    let started = tokio::time::Instant::now();
    let mut backoff = Duration::from_millis(20);
    loop {
        match call().await {
            Err(status) if status.code() == tonic::Code::Unavailable && started.elapsed() < FAILOVER_PATIENCE => {
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_millis(500));
            }
            other => return other,
        }
    }
}
