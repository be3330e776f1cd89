//! The peers, started from Debian's packages on loopback with their data in the bench's temp
//! dir, and driven with the same shapes as strata.
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context;
use bytes::Bytes;
use futures::FutureExt;

use crate::Shape;
use crate::drive::{Outcome, SendBatch, drive};

/// A peer server process, killed when dropped.
struct Server(Child);

impl Server {
    async fn spawn(program: &str, args: &[&str], port: u16) -> anyhow::Result<Server> {
        let child = Command::new(program)
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("cannot start {program} (apt-get install {program})"))?;
        let server = Server(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err() {
            anyhow::ensure!(Instant::now() < deadline, "{program} did not listen on port {port}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Ok(server)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Redis Streams: `appendonly yes`, `appendfsync always`; each batch is one pipeline of XADDs.
pub async fn redis(dir: &Path, shape: Shape, duration: Duration) -> anyhow::Result<Outcome> {
    let data = tempfile::tempdir_in(dir)?;
    let port = free_port()?;
    let data_dir = data.path().to_string_lossy().into_owned();
    let args = ["--port", &port.to_string(), "--bind", "127.0.0.1", "--dir", &data_dir, "--appendonly", "yes"];
    let args = [&args[..], &["--appendfsync", "always", "--save", "", "--daemonize", "no"]].concat();
    let server = Server::spawn("redis-server", &args, port).await?;
    let client = redis::Client::open(format!("redis://127.0.0.1:{port}/"))?;
    let value = vec![b'r'; shape.record_bytes];
    let mut senders: Vec<SendBatch> = Vec::new();
    for _ in 0..shape.producers {
        let connection = client.get_multiplexed_async_connection().await?;
        let value = value.clone();
        senders.push(Box::new(move || {
            let mut connection = connection.clone();
            let mut pipe = redis::pipe();
            for _ in 0..shape.per_batch {
                pipe.cmd("XADD").arg("bench").arg("*").arg("v").arg(&value[..]).ignore();
            }
            async move {
                pipe.query_async::<()>(&mut connection).await?;
                Ok(())
            }
            .boxed()
        }));
    }
    drive(shape, senders, duration, server.0.id()).await
}

/// NATS JetStream, file storage; a batch is that many async publishes, then all their acks.
/// (Debian's nats-server 2.9 syncs stream files every 2 minutes and has no per-write fsync, so
/// it compares with strata's acks LEADER, not with its durable mode.)
pub async fn nats(dir: &Path, shape: Shape, duration: Duration) -> anyhow::Result<Outcome> {
    use async_nats::jetstream::{self, stream};
    let data = tempfile::tempdir_in(dir)?;
    let port = free_port()?;
    let data_dir = data.path().to_string_lossy().into_owned();
    let args = ["-js", "-sd", &data_dir, "-p", &port.to_string(), "-a", "127.0.0.1"];
    let server = Server::spawn("nats-server", &args, port).await?;
    let address = format!("127.0.0.1:{port}");
    let admin = jetstream::new(async_nats::connect(&address).await?);
    let config = stream::Config {
        name: "bench".into(),
        subjects: vec!["bench".into()],
        storage: stream::StorageType::File,
        ..Default::default()
    };
    admin.create_stream(config).await?;
    let payload = Bytes::from(vec![b'n'; shape.record_bytes]);
    let mut senders: Vec<SendBatch> = Vec::new();
    for _ in 0..shape.producers {
        let context = jetstream::new(async_nats::connect(&address).await?);
        let payload = payload.clone();
        senders.push(Box::new(move || {
            let (context, payload) = (context.clone(), payload.clone());
            async move {
                let mut acks = Vec::with_capacity(shape.per_batch);
                for _ in 0..shape.per_batch {
                    acks.push(context.publish("bench", payload.clone()).await?);
                }
                for ack in acks {
                    ack.await?;
                }
                Ok(())
            }
            .boxed()
        }));
    }
    drive(shape, senders, duration, server.0.id()).await
}
