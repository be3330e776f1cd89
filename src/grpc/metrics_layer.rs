//! Request metrics for every gRPC method, as a tower layer around the whole server: count by
//! method and status code, latency by method, requests in flight. And a connection counter
//! around the accepted TCP streams.
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tonic::transport::server::{Connected, TcpConnectInfo};
use tower::{Layer, Service};

use crate::metrics as m;

#[derive(Debug, Clone, Copy, Default)]
pub struct MetricsLayer;

impl<S> Layer<S> for MetricsLayer {
    type Service = MetricsService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        MetricsService { inner }
    }
}

#[derive(Debug, Clone)]
pub struct MetricsService<S> {
    inner: S,
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl<S, B, RB> Service<http::Request<B>> for MetricsService<S>
where
    S: Service<http::Request<B>, Response = http::Response<RB>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<Result<S::Response, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let method = request.uri().path().rsplit('/').next().unwrap_or_default().to_string();
        // The clone is not ready; the ready one (self.inner) serves this call (tower's pattern).
        let clone = self.inner.clone();
        let mut ready = std::mem::replace(&mut self.inner, clone);
        Box::pin(async move {
            let started = Instant::now();
            metrics::gauge!(m::GRPC_IN_FLIGHT).increment(1.0);
            let result = ready.call(request).await;
            metrics::gauge!(m::GRPC_IN_FLIGHT).decrement(1.0);
            let code = match &result {
                // Errors come "trailers-only", with the status in the headers; a missing one is OK.
                Ok(response) => {
                    response.headers().get("grpc-status").and_then(|v| v.to_str().ok()).map_or("OK", code_name)
                }
                Err(_) => "UNKNOWN",
            };
            metrics::counter!(m::GRPC_REQUESTS, "method" => method.clone(), "code" => code).increment(1);
            metrics::histogram!(m::GRPC_DURATION, "method" => method).record(started.elapsed().as_secs_f64());
            result
        })
    }
}

fn code_name(code: &str) -> &'static str {
    const NAMES: [&str; 17] = [
        "OK",
        "CANCELLED",
        "UNKNOWN",
        "INVALID_ARGUMENT",
        "DEADLINE_EXCEEDED",
        "NOT_FOUND",
        "ALREADY_EXISTS",
        "PERMISSION_DENIED",
        "RESOURCE_EXHAUSTED",
        "FAILED_PRECONDITION",
        "ABORTED",
        "OUT_OF_RANGE",
        "UNIMPLEMENTED",
        "INTERNAL",
        "UNAVAILABLE",
        "DATA_LOSS",
        "UNAUTHENTICATED",
    ];
    code.parse::<usize>().ok().and_then(|n| NAMES.get(n).copied()).unwrap_or("UNKNOWN")
}

/// Admits at most `max` connections at once: the rest are closed as soon as they are accepted
/// (the client sees UNAVAILABLE and can retry), so idle or abusive clients cannot exhaust the
/// broker's memory or file descriptors.
#[derive(Debug, Clone)]
pub struct ConnectionLimit {
    permits: Arc<Semaphore>,
    max: usize,
}

impl ConnectionLimit {
    pub fn new(max: usize) -> Self {
        ConnectionLimit { permits: Arc::new(Semaphore::new(max)), max }
    }

    /// The connection, counted while it lives; `None` (dropped, so closed) when at the limit.
    pub fn admit<T>(&self, inner: T) -> Option<CountedConnection<T>> {
        match self.permits.clone().try_acquire_owned() {
            Ok(permit) => Some(CountedConnection { inner, _permit: permit, _counted: m::Open::count(m::CONNECTIONS) }),
            Err(_) => {
                tracing::warn!(max = self.max, "connection refused: --max-connections reached");
                None
            }
        }
    }
}

/// An accepted connection, counted in the open-connections gauge while it lives.
pub struct CountedConnection<T> {
    inner: T,
    _permit: OwnedSemaphorePermit,
    _counted: m::Open,
}

impl<T: Connected<ConnectInfo = TcpConnectInfo>> Connected for CountedConnection<T> {
    type ConnectInfo = TcpConnectInfo;

    fn connect_info(&self) -> Self::ConnectInfo {
        self.inner.connect_info()
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for CountedConnection<T> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for CountedConnection<T> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}
