//! The Kafka wire protocol: a second front end over the broker core, beside gRPC. Existing Kafka
//! clients (librdkafka's kcat and confluent-kafka, kafka-python, the Java client) connect with
//! `bootstrap.servers` pointed at `--kafka-listen` and use strata unchanged.
//!
//! ```text
//! listener (this file) ──accept──▶ connection: frames in, responses out in request order
//!                                     │ dispatch: header, version check, decode (kafka-protocol)
//!                                     ▼
//!                          one file per API ──▶ Broker methods (the same core as gRPC)
//! ```
//! Messages are encoded and decoded by the `kafka-protocol` crate; stored batches are RecordBatch
//! v2 already, so produced batches are stored and fetched batches sent as they are. Errors
//! become Kafka error codes in `errors.rs` only.
mod admin;
mod brokers;
mod configs;
mod connection;
mod consumer_groups;
mod coordinator;
mod dispatch;
mod errors;
mod fetch;
mod groups;
mod list_offsets;
mod metadata;
mod produce;
mod producer_id;
mod topic_ids;
mod versions;

use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::broker::Broker;

/// A host:port others are told to connect to: where Kafka clients go (Metadata,
/// FindCoordinator: `--kafka-advertise`), and in a cluster where other brokers (`--peer-advertise`)
/// and gRPC clients (`--advertise`) reach a broker; else a bound listen address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Advertised {
    pub host: String,
    pub port: i32,
}

impl Advertised {
    /// A bound address, advertised as it is.
    pub fn bound(addr: std::net::SocketAddr) -> Self {
        let host = match addr {
            // A link-local address needs its interface, as `SocketAddr` prints it.
            std::net::SocketAddr::V6(v6) if v6.scope_id() != 0 => format!("{}%{}", v6.ip(), v6.scope_id()),
            _ => addr.ip().to_string(),
        };
        Advertised { host, port: i32::from(addr.port()) }
    }
}

impl std::fmt::Display for Advertised {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.host.contains(':') {
            true => write!(f, "[{}]:{}", self.host, self.port),
            false => write!(f, "{}:{}", self.host, self.port),
        }
    }
}

impl std::str::FromStr for Advertised {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let (host, port) = s.rsplit_once(':').ok_or_else(|| format!("\"{s}\" is not host:port"))?;
        let port: u16 = port.parse().map_err(|_| format!("\"{s}\": the port must be a number 1-65535"))?;
        if host.is_empty() || port == 0 {
            return Err(format!("\"{s}\": give a host others can reach and a port other than 0"));
        }
        Ok(Advertised { host: host.trim_matches(['[', ']']).to_string(), port: i32::from(port) })
    }
}

/// What every request handler reaches.
pub(crate) struct Context {
    pub broker: Arc<Broker>,
    pub advertised: Advertised,
    /// Clients of the leader, for the one call a Kafka client may send to any broker
    /// (InitProducerId) and that only the leader can answer.
    pub forwarder: crate::grpc::forward::Forwarder,
}

impl Context {
    /// This broker's id as Kafka's Metadata names it.
    fn node_id(&self) -> i32 {
        i32::try_from(self.broker.identity().node_id).unwrap_or(i32::MAX)
    }
}

/// A topic name as the protocol carries it.
fn topic_name(name: &str) -> kafka_protocol::messages::TopicName {
    kafka_protocol::messages::TopicName(text(name))
}

fn text(s: &str) -> kafka_protocol::protocol::StrBytes {
    kafka_protocol::protocol::StrBytes::from_string(s.to_string())
}

/// How long connections may take to finish their in-flight requests once the listener stops.
const DRAIN: Duration = Duration::from_secs(10);

/// Serves Kafka clients on `listener` until `stop` is cancelled; then stops accepting and lets
/// each connection finish the requests it started (long polls end with the broker's shutdown).
pub async fn serve(
    listener: TcpListener,
    broker: Arc<Broker>,
    advertised: Advertised,
    stop: CancellationToken,
) -> anyhow::Result<()> {
    let limit = broker.config().max_connections;
    tracing::info!(addr = %listener.local_addr()?, %advertised, "serving the Kafka protocol");
    let context = Arc::new(Context { broker, advertised, forwarder: Default::default() });
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            _ = stop.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) if connections.len() < limit => {
                    let _ = stream.set_nodelay(true);
                    connections.spawn(connection::serve(stream, peer, context.clone(), stop.clone()));
                }
                Ok((_, peer)) => tracing::warn!(%peer, limit, "Kafka connection refused: --max-connections reached"),
                Err(e) => {
                    // Out of file descriptors, most likely: wait for connections to close.
                    tracing::warn!(error = %e, "accepting a Kafka connection failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    drop(listener);
    let drained = tokio::time::timeout(DRAIN, async { while connections.join_next().await.is_some() {} }).await;
    if drained.is_err() {
        tracing::warn!(left = connections.len(), "Kafka connections still busy after {DRAIN:?}; closing them");
        connections.abort_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advertised_addresses_need_a_host_and_a_port() {
        let parsed: Advertised = "broker-1.example:9092".parse().expect("valid");
        assert_eq!(parsed, Advertised { host: "broker-1.example".into(), port: 9092 });
        assert_eq!("[::1]:9092".parse::<Advertised>().expect("ipv6").host, "::1");
        for bad in ["9092", ":9092", "host:0", "host:port", "host:70000"] {
            assert!(bad.parse::<Advertised>().is_err(), "{bad}");
        }
    }
}
