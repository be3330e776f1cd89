//! The Rust client: a thin layer over the generated gRPC client, plus a group consumer that
//! joins a consumer group, heartbeats in the background and follows its assignment.
mod consumer;
mod failover;
mod group_consumer;
mod membership;
mod position;
mod producer;
mod routed;

pub use consumer::{Consumer, StartAt};
pub use group_consumer::{AutoOffsetReset, ConsumedRecord, GroupConsumer, GroupConsumerConfig};
pub use producer::{Producer, ProducerConfig, RecordOffset};

use crate::proto::broker_client::BrokerClient;

pub use routed::{Routed, for_partition};

/// A connection to a cluster (or a single broker): requests go to the broker that leads.
pub type Connection = BrokerClient<Routed>;

/// Connects to `brokers`: one address (`host:port` or an `http://` URI), or several separated
/// by commas (a bootstrap list); requests then follow the leader (see [`Routed`]).
pub async fn connect(brokers: &str) -> Result<Connection, tonic::transport::Error> {
    let bootstrap = brokers.split(',').map(str::trim).filter(|a| !a.is_empty()).map(str::to_string).collect();
    let routed = Routed::connect(bootstrap).await?;
    Ok(BrokerClient::new(routed).max_decoding_message_size(256 << 20).max_encoding_message_size(256 << 20))
}
