//! A named thread that runs a task every period until cancelled: for periodic storage work
//! (WAL syncs, heap trims) that blocks, and so stays off the async runtime's workers.
use std::thread::JoinHandle;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

/// Starts thread `name`, which runs `tick` every `period` (the first at once; after one that ran
/// past the next, that one at once and the rest every `period` from it) until `stop`.
/// `what` names the work in the error logged if its timer cannot start.
pub fn spawn(
    name: &str,
    what: &'static str,
    period: Duration,
    stop: CancellationToken,
    mut tick: impl FnMut() + Send + 'static,
) -> std::io::Result<JoinHandle<()>> {
    std::thread::Builder::new().name(name.into()).spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build();
        let Ok(runtime) = runtime else {
            tracing::error!("cannot start the timer for {what}");
            return;
        };
        runtime.block_on(async {
            let mut ticks = tokio::time::interval(period);
            // After a tick that ran long (a flush, a slow fsync), carry on from now rather than
            // running the missed ticks back to back.
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = stop.cancelled() => break,
                    _ = ticks.tick() => tick(),
                }
            }
        });
    })
}
