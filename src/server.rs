//! A broker's lifecycle, whatever protocols it speaks: open the broker, serve its front ends
//! (gRPC, and the Kafka protocol when it listens), stop them in order, close the data dir. Both
//! front ends are peers over the broker core; neither owns the other.
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::broker::Broker;
use crate::config::BrokerConfig;
use crate::kafka::Advertised;

/// The client-facing listeners, bound.
pub struct FrontEnds {
    pub grpc: TcpListener,
    pub kafka: Option<KafkaListener>,
}

pub struct KafkaListener {
    pub listener: TcpListener,
    /// What Metadata tells Kafka clients to connect to.
    pub advertised: Advertised,
}

impl KafkaListener {
    /// `listener`, advertised as `advertised` or else as its bound address.
    pub fn new(listener: TcpListener, advertised: Option<Advertised>) -> std::io::Result<Self> {
        let advertised = match advertised {
            Some(advertised) => advertised,
            None => Advertised::bound(listener.local_addr()?),
        };
        Ok(KafkaListener { listener, advertised })
    }
}

/// Opens `config`'s broker and serves it until `shutdown` completes; then stops accepting, lets
/// in-flight requests finish, ends subscriptions and long polls, writes what is queued, syncs the
/// WAL and closes RocksDB. Returns once the data dir is closed (so it can be reopened at once).
pub async fn run(
    front_ends: FrontEnds,
    config: BrokerConfig,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    // Opening replays the WAL and reads every partition's tail: blocking work.
    let broker = tokio::task::spawn_blocking(move || Broker::open(config)).await??;
    broker.start_background();
    let result = serve(front_ends, broker.clone(), shutdown).await;
    broker.close().await;
    wait_until_released(broker).await;
    result
}

/// Serves every front end of an open broker until `shutdown` completes (the broker stays open).
pub async fn serve(
    front_ends: FrontEnds,
    broker: Arc<Broker>,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    let stop = CancellationToken::new();
    let kafka = front_ends
        .kafka
        .map(|k| tokio::spawn(crate::kafka::serve(k.listener, broker.clone(), k.advertised, stop.child_token())));
    let signal = {
        let stop = stop.clone();
        async move {
            shutdown.await;
            stop.cancel();
        }
    };
    // gRPC's shutdown also begins the broker's (long polls end), which the Kafka side waits for.
    let served = crate::grpc::serve(front_ends.grpc, broker, signal).await;
    stop.cancel();
    if let Some(kafka) = kafka {
        match kafka.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "the Kafka listener stopped with an error"),
            Err(e) => tracing::warn!(error = %e, "the Kafka listener task failed"),
        }
    }
    served
}

/// A graceful stop that cannot hang. After its shutdown signal a tonic server waits for every
/// connection to close, and one whose other end stopped answering (a frozen client or peer
/// broker) never does. Returns the signal to hand the server (it completes with `shutdown`) and
/// a deadline that completes `grace` later, logging what it cuts short (`what`): race the
/// server against it, and drop the server when the deadline wins.
pub fn stop_within(
    shutdown: impl Future<Output = ()>,
    grace: Duration,
    what: &'static str,
) -> (impl Future<Output = ()>, impl Future<Output = ()>) {
    let (began, stopping) = tokio::sync::oneshot::channel::<()>();
    let signal = async move {
        shutdown.await;
        let _ = began.send(());
    };
    let deadline = async move {
        match stopping.await {
            Ok(()) => tokio::time::sleep(grace).await,
            // The server ended without a shutdown: nothing to bound.
            Err(_) => std::future::pending().await,
        }
        tracing::warn!(what, "connections still open {grace:?} after shutdown began (not answering?); closing them");
    };
    (signal, deadline)
}

/// RocksDB closes when the last handle drops. Connection tasks may drop theirs just after the
/// server returns; wait briefly so a caller can reopen the same data dir right away.
pub async fn wait_until_released(broker: Arc<Broker>) {
    for _ in 0..500 {
        if Arc::strong_count(&broker) == 1 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tracing::warn!("broker still referenced 5 s after shutdown; the data dir closes when it is released");
}
