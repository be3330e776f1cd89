//! InitProducerId: a producer id and epoch for an idempotent producer (strata's own
//! InitProducerId underneath; ids are never reissued). With the id and epoch it has (v3+,
//! KIP-360), a producer renews itself: same id, next epoch. Transactions are not supported.
//!
//! Kafka clients send it to any broker and keep asking the same one, so a broker that does not
//! lead asks the leader (over gRPC, marked as forwarded) and relays the answer.
use std::sync::Arc;

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::ProducerId;
use kafka_protocol::messages::init_producer_id_request::InitProducerIdRequest;
use kafka_protocol::messages::init_producer_id_response::InitProducerIdResponse;

use super::{Context, errors};
use crate::broker::ProducerIdentity;
use crate::error::Error;
use crate::grpc::forward::onward;
use crate::proto;

pub(super) async fn handle(
    context: Arc<Context>,
    request: InitProducerIdRequest,
    _version: i16,
) -> InitProducerIdResponse {
    let mut response = InitProducerIdResponse::default();
    response.producer_id = ProducerId(-1);
    response.producer_epoch = -1;
    if request.transactional_id.as_ref().is_some_and(|id| !id.0.is_empty()) {
        response.error_code = ResponseError::TransactionalIdAuthorizationFailed.code();
        return response;
    }
    let renewing = (request.producer_id.0 >= 0)
        .then_some(ProducerIdentity { id: request.producer_id.0, epoch: request.producer_epoch });
    let issued = match context.broker.init_producer_id(None, renewing).await {
        Err(Error::NotLeader { leader_addr: Some(leader), .. }) => at_leader(&context, &leader, renewing).await,
        other => other.map_err(|e| errors::code(&e)),
    };
    match issued {
        Ok(identity) => {
            response.producer_id = ProducerId(identity.id);
            response.producer_epoch = identity.epoch;
        }
        Err(code) => response.error_code = code,
    }
    response
}

/// The leader's answer. Its refusals keep their Kafka codes (from the status's reason); a
/// failure to reach it is COORDINATOR_NOT_AVAILABLE, which clients retry.
async fn at_leader(
    context: &Context,
    leader: &str,
    renewing: Option<ProducerIdentity>,
) -> Result<ProducerIdentity, i16> {
    let unavailable = ResponseError::CoordinatorNotAvailable.code();
    let request = proto::InitProducerIdRequest {
        producer_name: None,
        producer_id: renewing.map(|r| r.id),
        producer_epoch: renewing.map_or(0, |r| i32::from(r.epoch)),
    };
    let mut client = context.forwarder.client(leader).map_err(|_| unavailable)?;
    match client.init_producer_id(onward(request)).await {
        Ok(answer) => {
            let answer = answer.into_inner();
            let epoch = i16::try_from(answer.producer_epoch).map_err(|_| unavailable)?;
            Ok(ProducerIdentity { id: answer.producer_id, epoch })
        }
        Err(status) => {
            tracing::debug!(leader, %status, "InitProducerId at the leader failed");
            let reason = status.metadata().get(crate::grpc::status::REASON_KEY).and_then(|r| r.to_str().ok());
            Err(match reason {
                Some("PRODUCER_FENCED") => ResponseError::ProducerFenced.code(),
                Some("INVALID_PRODUCER_EPOCH") => ResponseError::InvalidProducerEpoch.code(),
                Some("UNKNOWN_PRODUCER_ID") => ResponseError::UnknownProducerId.code(),
                Some("INVALID_ARGUMENT") => ResponseError::InvalidRequest.code(),
                _ => unavailable,
            })
        }
    }
}
