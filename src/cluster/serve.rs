//! Running a cluster member: the broker on the Raft group's log, the peer listener, the
//! cluster's formation from the seeds, and an orderly stop (clients first, then leadership handed
//! to a follower, then Raft, then the peer listener, then the data dir).
use std::future::Future;
use std::sync::{Arc, Mutex};

use anyhow::Context;

use tokio::net::TcpListener;
use tokio::runtime::Handle;
use tokio_util::sync::CancellationToken;
use tonic::transport::Server;
use tonic::transport::server::TcpIncoming;

use super::addresses::keep_current;
use super::balance::spread;
use super::disk_guard::DiskGuard;
use super::formation::form;
use super::hand_over::hand_over_all;
use super::join::{become_voter, copy_data_dir};
use super::node::{Asking, ClusterConfig, hello, open_broker, sorted};
use super::peer_service::PeerService;
use super::stopped;
use crate::config::BrokerConfig;
use crate::proto::peer::peer_server::PeerServer;
use crate::server::FrontEnds;

/// How long a stopping member waits for a Raft node, then its peer connections, to close.
const STOP_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// Serves one cluster member until `shutdown` completes (or the cluster cannot form).
pub async fn run(
    front_ends: FrontEnds,
    peer_listener: TcpListener,
    config: BrokerConfig,
    cluster: ClusterConfig,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    let runtime = Handle::current();
    let config_data_dir = config.data_dir.clone();
    let mut copied = false;
    if let Some(join) = &cluster.join {
        let node_id = config.node_id.context("--join needs --node-id")?;
        copied = copy_data_dir(join, &config.data_dir, node_id, &cluster.node()).await?;
    }
    let opening = cluster.clone();
    let (broker, replicas, cluster_id) =
        tokio::task::spawn_blocking(move || open_broker(config, &opening, runtime)).await??;
    super::data_dir_copy::remove_stale_copies(broker.store().path());
    let mut cluster = cluster;
    if cluster.join.is_some() {
        cluster.seeds = broker.store().recorded_seeds()?.context(
            "--join was given with a data dir that did not join a cluster: start this broker with its --seeds",
        )?;
    }
    let rafts: Vec<_> = replicas.iter().map(|r| r.raft.clone()).collect();
    broker.start_background();
    super::hand_over::describe_counters(rafts.len());
    let peers = PeerService {
        rafts: rafts.clone(),
        watches: replicas.iter().map(|r| r.watch.clone()).collect(),
        hello: hello(&broker, &cluster),
        cluster_id: cluster_id.clone(),
        seeds: sorted(&cluster.seeds),
        store: broker.store().clone(),
        joined_by_newcomers: broker.shards().joined_by_newcomers() as usize,
    };
    let stop_peers = CancellationToken::new();
    let peer_server = tokio::spawn({
        let (signal, deadline) = crate::server::stop_within(stop_peers.clone().cancelled_owned(), STOP_WAIT, "peers");
        let service = PeerServer::new(peers).max_decoding_message_size(256 << 20).max_encoding_message_size(256 << 20);
        let server = Server::builder()
            .add_service(service)
            .serve_with_incoming_shutdown(TcpIncoming::from(peer_listener).with_nodelay(Some(true)), signal);
        async move {
            tokio::select! {
                served = server => served,
                () = deadline => Ok(()),
            }
        }
    });
    // Long enough for the follower to win the election it starts at once; short of what an
    // election after a crash would take anyway.
    let hand_over_wait = cluster.election_timeout.1 * 2;
    let disk_guard = tokio::spawn(
        DiskGuard {
            rafts: rafts.clone(),
            me: broker.identity().node_id,
            data_dir: config_data_dir,
            min_free: cluster.min_free_disk,
            hand_over_wait,
        }
        .run(),
    );
    let addresses = tokio::spawn(keep_current(rafts.clone(), Asking::of(&broker, &cluster)));
    // With data shards, leadership spreads over the brokers; one group has nothing to spread.
    let me = broker.identity().node_id;
    let spreading = (broker.shards().data() > 0).then(|| {
        let shards = replicas.iter().map(|r| (r.raft.clone(), r.watch.clone())).collect();
        tokio::spawn(spread(shards, me))
    });
    let failed = Failed::default();
    let forming = tokio::spawn({
        let (rafts, failed) = (rafts.clone(), failed.clone());
        let broker = broker.clone();
        async move {
            // A copy just made may predate the member's record of this broker's address (a
            // joiner retried at another one): the address is checked from the next start on.
            let formed = match form(&broker, &rafts, &cluster, &cluster_id, !copied).await {
                Ok(()) => match cluster.join.clone() {
                    Some(join) => {
                        let rafts = rafts[..broker.shards().joined_by_newcomers() as usize].to_vec();
                        become_voter(rafts, cluster_id, broker.identity().node_id, cluster.node(), join).await
                    }
                    None => Ok(()),
                },
                failed => failed,
            };
            if let Err(e) = formed {
                failed.stop_with(e);
            }
        }
    });
    let watching = tokio::spawn({
        let (watches, failed) = (replicas.iter().map(|r| r.watch.clone()).collect(), failed.clone());
        async move { failed.stop_with(stopped::broker_stopping(watches).await) }
    });
    let stop = async {
        tokio::select! {
            _ = shutdown => {}
            _ = failed.stopping() => {}
        }
    };
    let served = crate::server::serve(front_ends, broker.clone(), stop).await;
    forming.abort();
    watching.abort();
    disk_guard.abort();
    std::iter::once(&addresses).chain(&spreading).for_each(|task| task.abort());
    let _ = hand_over_all(&rafts, broker.identity().node_id, hand_over_wait, "stopping").await;
    stop_rafts(&rafts).await;
    // Bounded (`STOP_WAIT`): a frozen peer never closes its connections.
    stop_peers.cancel();
    if let Ok(Err(e)) = peer_server.await {
        tracing::warn!(error = %e, "stopping the peer listener");
    }
    broker.close().await;
    crate::server::wait_until_released(broker).await;
    match failed.take() {
        Some(e) => Err(e),
        None => served,
    }
}

/// Stops every Raft node, all at once and within `STOP_WAIT`. Each stop runs as a task of its
/// own: openraft's `shutdown` cut short mid-way (by a timeout around it) leaves the node
/// half-joined, and its next caller panics.
async fn stop_rafts(rafts: &[super::types::Raft]) {
    let stopping: Vec<_> =
        rafts.iter().cloned().map(|raft| tokio::spawn(async move { raft.shutdown().await })).collect();
    let deadline = tokio::time::Instant::now() + STOP_WAIT;
    for stop in stopping {
        match tokio::time::timeout_at(deadline, stop).await {
            Ok(Ok(Ok(()))) => {}
            Ok(Ok(Err(e))) => tracing::warn!(error = %e, "stopping the Raft node"),
            Ok(Err(e)) => tracing::warn!(error = %e, "the task stopping a Raft node failed"),
            Err(_) => tracing::warn!("a Raft node did not stop within {STOP_WAIT:?} of the first; going on"),
        }
    }
}

/// The error a cluster task failed with (the formation, a Raft node whose stop takes the
/// broker down), on which the broker stops: the first one is kept.
#[derive(Clone, Default)]
struct Failed {
    error: Arc<Mutex<Option<anyhow::Error>>>,
    stop: CancellationToken,
}

impl Failed {
    fn stop_with(&self, e: anyhow::Error) {
        self.error.lock().unwrap_or_else(|p| p.into_inner()).get_or_insert(e);
        self.stop.cancel();
    }

    async fn stopping(&self) {
        self.stop.cancelled().await
    }

    fn take(&self) -> Option<anyhow::Error> {
        self.error.lock().unwrap_or_else(|p| p.into_inner()).take()
    }
}
