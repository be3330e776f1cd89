//! Fault injection for client tests: a broker whose Produce answers are lost or late after it
//! appended (a tower layer around the real service), and a TCP proxy whose upstream can be
//! switched to a restarted broker.
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use strata::broker::Broker;
use strata::config::BrokerConfig;
use strata::grpc::BrokerService;
use strata::proto::broker_server::BrokerServer;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tonic::transport::Server;
use tonic::transport::server::TcpIncoming;
use tower::{Layer, Service};

/// What happens to the nth Produce (counting from 0), after the broker appended it.
#[derive(Debug, Clone, Copy)]
pub enum Fault {
    /// Answered normally.
    None,
    /// The answer is replaced by UNAVAILABLE, as if the connection broke on the way back.
    Lost,
    /// The answer is held back this long (past the client's request timeout).
    Late(Duration),
}

type Plan = Arc<dyn Fn(usize) -> Fault + Send + Sync>;

#[derive(Clone)]
struct FaultLayer {
    plan: Plan,
    produces: Arc<AtomicUsize>,
    /// Answers lost and answers held back so far.
    lost: Arc<AtomicUsize>,
    late: Arc<AtomicUsize>,
}

impl<S> Layer<S> for FaultLayer {
    type Service = FaultService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        FaultService { inner, layer: self.clone() }
    }
}

#[derive(Clone)]
struct FaultService<S> {
    inner: S,
    layer: FaultLayer,
}

type Body = tonic::body::Body;

impl<S, B> Service<http::Request<B>> for FaultService<S>
where
    S: Service<http::Request<B>, Response = http::Response<Body>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let fault = if request.uri().path().ends_with("/Produce") {
            (self.layer.plan)(self.layer.produces.fetch_add(1, Ordering::SeqCst))
        } else {
            Fault::None
        };
        let (lost, late) = (self.layer.lost.clone(), self.layer.late.clone());
        let clone = self.inner.clone();
        let mut ready = std::mem::replace(&mut self.inner, clone);
        Box::pin(async move {
            let response = ready.call(request).await?;
            // A refused request stored nothing: only answers to appends count as faults.
            let appended = response.headers().get("grpc-status").is_none();
            match fault {
                Fault::Lost if appended => {
                    lost.fetch_add(1, Ordering::SeqCst);
                    drop(response.into_body());
                    Ok(tonic::Status::unavailable("injected fault: the answer was lost after the append").into_http())
                }
                Fault::Late(delay) if appended => {
                    late.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(delay).await;
                    Ok(response)
                }
                _ => Ok(response),
            }
        })
    }
}

/// An in-process broker behind a [`FaultLayer`].
pub struct FaultyBroker {
    pub addr: SocketAddr,
    layer: FaultLayer,
    stop: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<()>>,
    broker: Arc<Broker>,
    _dir: tempfile::TempDir,
}

impl FaultyBroker {
    pub async fn start(plan: impl Fn(usize) -> Fault + Send + Sync + 'static) -> Self {
        let dir = tempfile::tempdir().expect("dir");
        let config = BrokerConfig { data_dir: dir.path().join("data"), ..BrokerConfig::default() };
        let broker = tokio::task::spawn_blocking(move || Broker::open(config)).await.expect("join").expect("open");
        broker.start_background();
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let layer =
            FaultLayer { plan: Arc::new(plan), produces: Arc::default(), lost: Arc::default(), late: Arc::default() };
        let serving_layer = layer.clone();
        let (stop, stopped) = oneshot::channel::<()>();
        let service = BrokerServer::new(BrokerService::new(broker.clone(), addr.to_string()));
        let server = tokio::spawn(async move {
            let serving = Server::builder().layer(serving_layer).add_service(service).serve_with_incoming_shutdown(
                TcpIncoming::from(listener),
                async move {
                    let _ = stopped.await;
                },
            );
            serving.await.expect("serve");
        });
        FaultyBroker { addr, layer, stop: Some(stop), server: Some(server), broker, _dir: dir }
    }

    /// Appends whose answer was lost, and appends whose answer was held back, so far.
    pub fn faults(&self) -> (usize, usize) {
        (self.layer.lost.load(Ordering::SeqCst), self.layer.late.load(Ordering::SeqCst))
    }

    /// Stops serving and closes the broker (RocksDB closes with the last handle, dropped here).
    pub async fn stop(mut self) {
        self.broker.begin_shutdown();
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            server.await.expect("server task");
        }
        self.broker.close().await;
    }
}

/// A TCP proxy: clients connect to `addr`, which forwards to the current upstream. It can
/// swallow everything the broker sends back, so requests reach the broker and their answers
/// never reach the client.
pub struct Proxy {
    pub addr: SocketAddr,
    upstream: Arc<Mutex<SocketAddr>>,
    swallow: Arc<AtomicBool>,
    accept: JoinHandle<()>,
}

impl Proxy {
    pub async fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let addr = listener.local_addr().expect("proxy addr");
        let upstream = Arc::new(Mutex::new(upstream));
        let swallow = Arc::new(AtomicBool::new(false));
        let (target, swallowing) = (upstream.clone(), swallow.clone());
        let accept = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let to = *target.lock().expect("upstream");
                let swallowing = swallowing.clone();
                tokio::spawn(async move {
                    if let Ok(server) = TcpStream::connect(to).await {
                        let (mut from_client, mut to_client) = client.into_split();
                        let (mut from_server, mut to_server) = server.into_split();
                        let requests = tokio::io::copy(&mut from_client, &mut to_server);
                        tokio::select! {
                            _ = requests => {}
                            _ = answers(&mut from_server, &mut to_client, &swallowing) => {}
                        }
                    }
                });
            }
        });
        Proxy { addr, upstream, swallow, accept }
    }

    /// From now on, what brokers send back is dropped.
    pub fn swallow_answers(&self) {
        self.swallow.store(true, Ordering::SeqCst);
    }

    /// New connections go to `upstream` (existing ones end with their broker).
    pub fn set_upstream(&self, upstream: SocketAddr) {
        *self.upstream.lock().expect("upstream") = upstream;
    }
}

/// Copies the broker's bytes to the client, or drops them while `swallow` is set.
async fn answers(from_server: &mut OwnedReadHalf, to_client: &mut OwnedWriteHalf, swallow: &AtomicBool) {
    let mut buf = vec![0u8; 64 << 10];
    loop {
        let n = match from_server.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        if !swallow.load(Ordering::SeqCst) && to_client.write_all(&buf[..n]).await.is_err() {
            return;
        }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.accept.abort();
    }
}
