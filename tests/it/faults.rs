//! Fault injection for client tests: a broker whose Produce answers are lost or late after it
//! appended (a tower layer around the real service), and a TCP proxy whose upstream can be
//! switched to a restarted broker.
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use strata::broker::Broker;
use strata::config::BrokerConfig;
use strata::grpc::BrokerService;
use strata::proto::broker_server::BrokerServer;
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
        let clone = self.inner.clone();
        let mut ready = std::mem::replace(&mut self.inner, clone);
        Box::pin(async move {
            let response = ready.call(request).await?;
            match fault {
                Fault::None => Ok(response),
                Fault::Lost => {
                    // The whole answer is read (the append is done) and thrown away.
                    drop(response.into_body());
                    Ok(tonic::Status::unavailable("injected fault: the answer was lost after the append").into_http())
                }
                Fault::Late(delay) => {
                    tokio::time::sleep(delay).await;
                    Ok(response)
                }
            }
        })
    }
}

/// An in-process broker behind a [`FaultLayer`].
pub struct FaultyBroker {
    pub addr: SocketAddr,
    produces: Arc<AtomicUsize>,
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
        let layer = FaultLayer { plan: Arc::new(plan), produces: Arc::new(AtomicUsize::new(0)) };
        let produces = layer.produces.clone();
        let (stop, stopped) = oneshot::channel::<()>();
        let service = BrokerServer::new(BrokerService::new(broker.clone()));
        let server = tokio::spawn(async move {
            let serving = Server::builder().layer(layer).add_service(service).serve_with_incoming_shutdown(
                TcpIncoming::from(listener),
                async move {
                    let _ = stopped.await;
                },
            );
            serving.await.expect("serve");
        });
        FaultyBroker { addr, produces, stop: Some(stop), server: Some(server), broker, _dir: dir }
    }

    /// Produce requests received so far, retries included.
    pub fn produces(&self) -> usize {
        self.produces.load(Ordering::SeqCst)
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

/// A TCP proxy: clients connect to `addr`, which forwards to the current upstream.
pub struct Proxy {
    pub addr: SocketAddr,
    upstream: Arc<Mutex<SocketAddr>>,
    accept: JoinHandle<()>,
}

impl Proxy {
    pub async fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let addr = listener.local_addr().expect("proxy addr");
        let upstream = Arc::new(Mutex::new(upstream));
        let target = upstream.clone();
        let accept = tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let to = *target.lock().expect("upstream");
                tokio::spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(to).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
            }
        });
        Proxy { addr, upstream, accept }
    }

    /// New connections go to `upstream` (existing ones end with their broker).
    pub fn set_upstream(&self, upstream: SocketAddr) {
        *self.upstream.lock().expect("upstream") = upstream;
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.accept.abort();
    }
}
