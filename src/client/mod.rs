//! The Rust client: a thin layer over the generated gRPC client, plus a group consumer that
//! joins a consumer group, heartbeats in the background and follows its assignment.
mod consumer;
mod group_consumer;
mod membership;
mod position;
mod producer;

use tonic::transport::Channel;

pub use consumer::{Consumer, StartAt};
pub use group_consumer::{AutoOffsetReset, ConsumedRecord, GroupConsumer, GroupConsumerConfig};
pub use producer::{Producer, ProducerConfig, RecordOffset};

use crate::proto::broker_client::BrokerClient;

/// A connection to a broker.
pub type Connection = BrokerClient<Channel>;

/// Connects to `addr` (`host:port` or a full `http://` URI).
pub async fn connect(addr: &str) -> Result<Connection, tonic::transport::Error> {
    let uri = if addr.contains("://") { addr.to_string() } else { format!("http://{addr}") };
    Ok(BrokerClient::connect(uri).await?.max_decoding_message_size(256 << 20).max_encoding_message_size(256 << 20))
}
