//! strata, in process, on loopback gRPC: one connection per producer, producers spread over the
//! shape's partitions of an 8-partition topic.
use std::path::Path;
use std::time::Duration;

use bytes::Bytes;
use futures::FutureExt;
use strata::config::BrokerConfig;
use strata::proto::broker_client::BrokerClient;
use strata::proto::{Acks, CreateTopicRequest, InitProducerIdRequest, ProduceRequest, Record};
use tokio::net::TcpListener;
use tonic::transport::Channel;

use crate::Shape;
use crate::drive::{Outcome, SendBatch, drive};

/// A broker serving on loopback until dropped.
pub struct Running {
    pub endpoint: String,
    data_dir: tempfile::TempDir,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

impl Running {
    pub async fn client(&self) -> anyhow::Result<BrokerClient<Channel>> {
        Ok(BrokerClient::connect(self.endpoint.clone())
            .await?
            .max_encoding_message_size(128 << 20)
            .max_decoding_message_size(128 << 20))
    }

    pub fn data_dir(&self) -> &Path {
        self.data_dir.path()
    }

    pub async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            server.await??;
        }
        Ok(())
    }
}

/// Starts a broker with default options (`--fsync always`; `--direct-io` when
/// `STRATA_DIRECT_IO=true`, `--flush-write-limit` N MiB/s when `STRATA_FLUSH_WRITE_LIMIT_MIB=N`)
/// and a topic "bench" of 8 partitions.
pub async fn start(dir: &Path) -> anyhow::Result<Running> {
    let data_dir = tempfile::tempdir_in(dir)?;
    let mut config = BrokerConfig { data_dir: data_dir.path().join("data"), ..BrokerConfig::default() };
    config.store.direct_io = std::env::var("STRATA_DIRECT_IO").is_ok_and(|v| v == "true");
    let flush_limit_mib = std::env::var("STRATA_FLUSH_WRITE_LIMIT_MIB").ok().and_then(|v| v.parse::<u64>().ok());
    config.store.flush_write_limit = flush_limit_mib.map(|mib| mib << 20);
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let endpoint = format!("http://{}", listener.local_addr()?);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(strata::server::run(
        strata::server::FrontEnds { grpc: listener, kafka: None },
        config,
        async move {
            let _ = stopped.await;
        },
    ));
    let running = Running { endpoint, data_dir, stop: Some(stop), server: Some(server) };
    let mut admin = loop {
        match running.client().await {
            Ok(client) => break client,
            Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    };
    admin
        .create_topic(CreateTopicRequest { name: "bench".into(), partitions: 8, config: None, ..Default::default() })
        .await?;
    Ok(running)
}

/// How the producers ask for acknowledgement.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// acks ALL (`--fsync always` is the default).
    Durable,
    /// acks ALL, each producer idempotent: its own producer id, sequence numbers per request.
    Idempotent,
    /// acks LEADER.
    Leader,
}

/// Back-to-back producers, one request in flight each.
pub async fn run(dir: &Path, shape: Shape, mode: Mode, duration: Duration) -> anyhow::Result<Outcome> {
    let broker = start(dir).await?;
    let records: Vec<Record> = (0..shape.per_batch)
        .map(|i| Record { value: Bytes::from(vec![(i % 251) as u8; shape.record_bytes]), ..Record::default() })
        .collect();
    let acks = if mode == Mode::Leader { Acks::Leader } else { Acks::All };
    let mut senders: Vec<SendBatch> = Vec::new();
    for p in 0..shape.producers {
        let mut client = broker.client().await?;
        let identity = match mode {
            Mode::Idempotent => Some(client.init_producer_id(InitProducerIdRequest::default()).await?.into_inner()),
            Mode::Durable | Mode::Leader => None,
        };
        let records = records.clone();
        let mut sequence = 0i32;
        senders.push(Box::new(move || {
            let mut client = client.clone();
            let request = ProduceRequest {
                topic: "bench".into(),
                partition: Some((p % shape.partitions) as u32),
                records: records.clone(),
                acks: acks as i32,
                producer_id: identity.map(|i| i.producer_id),
                producer_epoch: identity.map_or(0, |i| i.producer_epoch),
                base_sequence: sequence,
                ..Default::default()
            };
            sequence = sequence.wrapping_add(records.len() as i32) & i32::MAX;
            async move {
                client.produce(request).await?;
                Ok(())
            }
            .boxed()
        }));
    }
    let outcome = drive(shape, senders, duration, std::process::id()).await?;
    broker.stop().await?;
    Ok(outcome)
}
