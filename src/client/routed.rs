//! A channel to whichever broker leads. It starts at the first bootstrap address that accepts a
//! connection; a NOT_LEADER (or NOT_COORDINATOR) answer naming the leader sends later requests
//! there, and a request that fails to reach its broker, or is answered NOT_LEADER by a broker
//! that knows no leader, sends later ones to the next bootstrap address. The failed
//! request itself is not resent here: its caller decides (the idempotent producer retries).
//!
//! Partitions may have different leaders (a cluster's shards), so a request for one partition
//! carries its route ([`for_partition`]) and goes to where that partition's requests last
//! found their leader; requests without one follow the leader of the rest.
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use futures::future::BoxFuture;
use tonic::body::Body;
use tonic::transport::{Channel, Endpoint};
use tower::{Service, ServiceExt};

#[derive(Clone)]
pub struct Routed {
    route: Arc<Mutex<Route>>,
}

struct Route {
    bootstrap: Vec<String>,
    current: String,
    /// Per partition route (`topic/partition`), where its leader was last found.
    partitions: HashMap<String, String>,
    channels: HashMap<String, Channel>,
}

/// The request header that names a request's partition.
const ROUTE_HEADER: &str = "strata-route";

/// `message` as a request for `partition` of `topic`: it goes to that partition's leader.
pub fn for_partition<T>(message: T, topic: &str, partition: u32) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    if let Ok(route) = format!("{topic}/{partition}").parse() {
        request.metadata_mut().insert(ROUTE_HEADER, route);
    }
    request
}

impl Route {
    fn channel(&mut self, addr: &str) -> Result<Channel, tonic::transport::Error> {
        if let Some(channel) = self.channels.get(addr) {
            return Ok(channel.clone());
        }
        let channel = endpoint(addr)?.connect_lazy();
        self.channels.insert(addr.to_string(), channel.clone());
        Ok(channel)
    }

    /// Where a request with `route` goes.
    fn addr_for(&self, route: Option<&str>) -> String {
        route.and_then(|r| self.partitions.get(r)).unwrap_or(&self.current).clone()
    }

    /// The leader of `route` (or of the rest) is `leader`.
    fn found(&mut self, route: Option<String>, leader: &str) {
        match route {
            Some(route) => {
                self.partitions.insert(route, leader.to_string());
            }
            None => self.current = leader.to_string(),
        }
    }

    /// After `failed` did not answer: the next bootstrap address (if `failed` is still current).
    fn move_on_from(&mut self, failed: &str) {
        self.partitions.retain(|_, addr| addr != failed);
        if self.current != failed {
            return;
        }
        let at = self.bootstrap.iter().position(|a| a == failed).map_or(0, |i| i + 1);
        self.current = self.bootstrap[at % self.bootstrap.len()].clone();
    }
}

/// A broker's endpoint. HTTP/2 pings find a broker that stopped answering (frozen, cut off)
/// within seconds, even during a long poll, so its requests fail and move on instead of
/// waiting for TCP to give up.
fn endpoint(addr: &str) -> Result<Endpoint, tonic::transport::Error> {
    Ok(Endpoint::from_shared(uri(addr))?
        .tcp_nodelay(true)
        .connect_timeout(Duration::from_secs(5))
        .http2_keep_alive_interval(Duration::from_secs(5))
        .keep_alive_timeout(Duration::from_secs(5))
        .keep_alive_while_idle(true))
}

fn uri(addr: &str) -> String {
    if addr.contains("://") { addr.to_string() } else { format!("http://{addr}") }
}

impl Routed {
    /// Connects to the first of `bootstrap` that accepts a connection; the error of the last
    /// one if none does.
    pub async fn connect(bootstrap: Vec<String>) -> Result<Self, tonic::transport::Error> {
        // An empty list fails below as an invalid address, like any address that is not one.
        let bootstrap = if bootstrap.is_empty() { vec![String::new()] } else { bootstrap };
        let mut at = 0;
        loop {
            let addr = &bootstrap[at];
            match endpoint(addr)?.connect().await {
                Ok(channel) => {
                    let channels = HashMap::from([(addr.clone(), channel)]);
                    let route = Route {
                        bootstrap: bootstrap.clone(),
                        current: addr.clone(),
                        partitions: HashMap::new(),
                        channels,
                    };
                    return Ok(Routed { route: Arc::new(Mutex::new(route)) });
                }
                Err(e) if at + 1 == bootstrap.len() => return Err(e),
                Err(_) => at += 1,
            }
        }
    }

    /// The broker requests go to now.
    pub fn current(&self) -> String {
        self.lock().current.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Route> {
        self.route.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Service<http::Request<Body>> for Routed {
    type Response = http::Response<Body>;
    type Error = tonic::transport::Error;
    type Future = BoxFuture<'static, Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        // Each call takes a ready clone of its broker's channel (`oneshot`).
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        let routed = self.clone();
        let partition = request.headers().get(ROUTE_HEADER).and_then(|v| v.to_str().ok()).map(str::to_string);
        Box::pin(async move {
            let (addr, channel) = {
                let mut route = routed.lock();
                let addr = route.addr_for(partition.as_deref());
                let channel = route.channel(&addr)?;
                (addr, channel)
            };
            let result = channel.oneshot(request).await;
            let mut route = routed.lock();
            match &result {
                Ok(response) => {
                    let header = |key: &str| response.headers().get(key).and_then(|v| v.to_str().ok());
                    let redirect = matches!(header("strata-reason"), Some("NOT_LEADER" | "NOT_COORDINATOR"));
                    match header("strata-leader-addr") {
                        Some(leader) if redirect => route.found(partition, leader),
                        // A broker that knows no leader (an election, or its own disk full): ask
                        // the next one.
                        _ if redirect => route.move_on_from(&addr),
                        _ => {}
                    }
                }
                Err(_) => route.move_on_from(&addr),
            }
            result
        })
    }
}
