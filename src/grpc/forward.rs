//! Admin calls any broker answers: one that does not lead sends the call on to the leader and
//! relays its answer. A forwarded call is marked, and is never sent on a second time (a stale
//! hint answers NOT_LEADER instead of bouncing between brokers).
use std::collections::HashMap;
use std::future::Future;
use std::sync::Mutex;

use tonic::metadata::MetadataMap;
use tonic::transport::{Channel, Endpoint};
use tonic::{Request, Response, Status};

use crate::error::Error;
use crate::proto::broker_client::BrokerClient;

const FORWARDED_KEY: &str = "strata-forwarded";

/// Clients of the brokers calls were forwarded to, by address.
#[derive(Default)]
pub struct Forwarder {
    clients: Mutex<HashMap<String, BrokerClient<Channel>>>,
}

impl Forwarder {
    /// `result`, or, when it says another broker leads and this call was not forwarded to us,
    /// the same call at the leader.
    pub async fn at_leader<T, Fut>(
        &self,
        result: Result<T, Error>,
        metadata: &MetadataMap,
        call: impl FnOnce(BrokerClient<Channel>) -> Fut,
    ) -> Result<T, Status>
    where
        Fut: Future<Output = Result<Response<T>, Status>>,
    {
        match result {
            Err(Error::NotLeader { leader_addr: Some(addr), .. }) if !was_forwarded(metadata) => {
                let client = self.client(&addr)?;
                Ok(call(client).await?.into_inner())
            }
            other => other.map_err(Status::from),
        }
    }

    pub fn client(&self, addr: &str) -> Result<BrokerClient<Channel>, Status> {
        let mut clients = self.clients.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(client) = clients.get(addr) {
            return Ok(client.clone());
        }
        let endpoint = Endpoint::from_shared(format!("http://{addr}"))
            .map_err(|e| Status::internal(format!("the leader's address {addr} is not usable: {e}")))?;
        let client = BrokerClient::new(endpoint.connect_lazy());
        clients.insert(addr.to_string(), client.clone());
        Ok(client)
    }
}

/// Whether this call was forwarded here by another broker.
pub fn was_forwarded(metadata: &MetadataMap) -> bool {
    metadata.get(FORWARDED_KEY).is_some()
}

/// `message` as a forwarded call.
pub fn onward<T>(message: T) -> Request<T> {
    let mut request = Request::new(message);
    request.metadata_mut().insert(FORWARDED_KEY, tonic::metadata::MetadataValue::from_static("1"));
    request
}
