//! InitProducerId: a producer id and epoch for an idempotent producer (strata's own
//! InitProducerId underneath; ids are never reissued). With the id and epoch it has (v3+,
//! KIP-360), a producer renews itself: same id, next epoch. Transactions are not supported.
use std::sync::Arc;

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::ProducerId;
use kafka_protocol::messages::init_producer_id_request::InitProducerIdRequest;
use kafka_protocol::messages::init_producer_id_response::InitProducerIdResponse;

use super::{Context, errors};
use crate::broker::ProducerIdentity;

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
    match context.broker.init_producer_id(None, renewing).await {
        Ok(identity) => {
            response.producer_id = ProducerId(identity.id);
            response.producer_epoch = identity.epoch;
        }
        Err(e) => response.error_code = errors::code(&e),
    }
    response
}
