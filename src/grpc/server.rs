//! The gRPC front end: the broker service plus gRPC health and reflection on one listener, with
//! graceful shutdown (the broker's lifecycle is `crate::server`'s).
use std::future::Future;
use std::sync::Arc;

use tokio::net::TcpListener;
use tonic::transport::Server;
use tonic::transport::server::TcpIncoming;

use futures::TryStreamExt;

use super::metrics_layer::{ConnectionLimit, MetricsLayer};
use super::service::BrokerService;
use crate::broker::{Broker, fetch_limits};
use crate::proto::{self, broker_server::BrokerServer};

/// Serves `broker`'s client API on `listener` until `shutdown` completes (the broker stays open).
pub async fn serve(
    listener: TcpListener,
    broker: Arc<Broker>,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    let addr = listener.local_addr()?;
    let max_request = broker.config().max_request_bytes;
    let service = BrokerServer::new(BrokerService::new(broker.clone(), addr.to_string()))
        // Room for the records plus protobuf framing; the broker then checks the record bytes
        // itself and names the limit in its error.
        .max_decoding_message_size(max_request.saturating_mul(2).saturating_add(1 << 20))
        .max_encoding_message_size(fetch_limits::MAX_FETCH_BYTES as usize * 2);
    let (health, health_service) = tonic_health::server::health_reporter();
    health.set_serving::<BrokerServer<BrokerService>>().await;
    let reflection_v1 = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(proto::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1()?;
    let reflection_v1alpha = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(proto::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1alpha()?;
    let limit = ConnectionLimit::new(broker.config().max_connections);
    let incoming = TcpIncoming::from(listener)
        .with_nodelay(Some(true))
        .try_filter_map(move |stream| std::future::ready(Ok(limit.admit(stream))));
    tracing::info!(%addr, "serving gRPC");
    let signal_broker = broker.clone();
    let signal = async move {
        shutdown.await;
        tracing::info!("shutting down: finishing in-flight requests");
        health.set_not_serving::<BrokerServer<BrokerService>>().await;
        // Ends long-polls and subscription streams, which would otherwise hold the server open.
        signal_broker.begin_shutdown();
    };
    let (signal, deadline) = crate::server::stop_within(signal, SHUTDOWN_GRACE, "clients");
    let server = Server::builder()
        .layer(MetricsLayer)
        .max_concurrent_streams(Some(broker.config().max_streams_per_connection))
        .initial_connection_window_size(Some(16 << 20))
        .initial_stream_window_size(Some(4 << 20))
        .add_service(health_service)
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha)
        .add_service(service)
        .serve_with_incoming_shutdown(incoming, signal);
    tokio::select! {
        served = server => served?,
        () = deadline => {}
    }
    Ok(())
}

/// How long in-flight requests may take to finish once a shutdown began.
const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(10);
