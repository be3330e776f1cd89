//! An idempotent producer's identity (id and epoch from InitProducerId) and the sequence each
//! partition's next batch starts at.
use std::collections::HashMap;

use tonic::Status;

use std::time::Duration;

use tokio::time::Instant;

use super::ProducerConfig;
use super::send::{MAX_BACKOFF, worth_retrying};
use crate::client::Connection;
use crate::proto;
use crate::records::sequence::sequence_after;

/// What an idempotent request carries: who sends it, and its first record's sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Stamp {
    pub producer_id: i64,
    pub epoch: i32,
    pub base_sequence: i32,
}

pub(super) struct Sequences {
    name: Option<String>,
    producer_id: i64,
    epoch: i32,
    next: HashMap<u32, i32>,
}

impl Sequences {
    /// Gets an identity from the broker (for a named producer, fencing its older instances).
    pub async fn start(client: &Connection, config: &ProducerConfig) -> Result<Self, Status> {
        let name = config.producer_name.clone();
        let request = proto::InitProducerIdRequest { producer_name: name.clone(), ..Default::default() };
        let identity = init_producer_id(client.clone(), request, config.clone()).await?;
        let mut sequences = Sequences { name, producer_id: -1, epoch: 0, next: HashMap::new() };
        sequences.renewed(identity);
        Ok(sequences)
    }

    /// The request for a new epoch of this producer's id (Kafka's KIP-360): after a batch whose
    /// outcome is unknown, or when the broker forgot this producer, the old sequences cannot be
    /// trusted, and the bump fences any late copy of a request sent under the old epoch.
    pub fn renewal(&self) -> proto::InitProducerIdRequest {
        proto::InitProducerIdRequest {
            producer_name: self.name.clone(),
            producer_id: Some(self.producer_id),
            producer_epoch: self.epoch,
        }
    }

    /// Takes the identity the broker answered with; every partition starts again at 0. Only
    /// called with nothing in flight, so no answer under the old identity arrives later.
    pub fn renewed(&mut self, identity: proto::InitProducerIdResponse) {
        self.producer_id = identity.producer_id;
        self.epoch = identity.producer_epoch;
        self.next.clear();
    }

    /// The stamp for a partition's next batch.
    pub fn stamp(&self, partition: u32) -> Stamp {
        let base_sequence = self.next.get(&partition).copied().unwrap_or(0);
        Stamp { producer_id: self.producer_id, epoch: self.epoch, base_sequence }
    }

    /// A batch stamped `stamp` with `records` records was stored.
    pub fn advance(&mut self, partition: u32, stamp: Stamp, records: usize) {
        if stamp.producer_id == self.producer_id && stamp.epoch == self.epoch {
            let count = i32::try_from(records).unwrap_or(i32::MAX);
            self.next.insert(partition, sequence_after(stamp.base_sequence, count));
        }
    }
}

/// Asks for a producer identity (a first one, or a new epoch of this producer's id), retrying
/// until the delivery timeout: through an election no broker leads for a moment. A fenced
/// instance (FAILED_PRECONDITION) is told at once.
pub(super) async fn init_producer_id(
    mut client: Connection,
    request: proto::InitProducerIdRequest,
    config: ProducerConfig,
) -> Result<proto::InitProducerIdResponse, Status> {
    let deadline = Instant::now() + config.delivery_timeout;
    let mut attempt: u32 = 0;
    loop {
        let answer = tokio::time::timeout(config.request_timeout, client.init_producer_id(request.clone()))
            .await
            .unwrap_or_else(|_| Err(Status::deadline_exceeded("no answer to InitProducerId")));
        let backoff: Duration = (config.retry_backoff * (attempt + 1)).min(MAX_BACKOFF);
        match answer {
            Ok(identity) => return Ok(identity.into_inner()),
            Err(status) if !worth_retrying(&status) || Instant::now() + backoff >= deadline => return Err(status),
            Err(status) => {
                tracing::debug!(%status, attempt, "asking for a producer id");
                attempt += 1;
                tokio::time::sleep(backoff).await;
            }
        }
    }
}
