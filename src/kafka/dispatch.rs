//! From a frame to a started request: the API and version are checked, the header and body
//! decoded, and the handler started; the response is encoded at the request's version once the
//! handler is done. A request strata cannot read closes the connection, as Kafka does (except
//! an ApiVersions newer than strata's, answered per KIP-511).
use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use bytes::{BufMut, Bytes, BytesMut};
use futures::future::BoxFuture;
use kafka_protocol::messages::{ApiKey, RequestHeader, ResponseHeader};
use kafka_protocol::protocol::{Decodable, Encodable, HeaderVersion};

use super::{
    Context, admin, configs, consumer_groups, coordinator, fetch, groups, list_offsets, metadata, produce, producer_id,
    versions,
};
use crate::metrics as m;

/// What a started request gives the connection's writer.
pub(super) enum Outcome {
    /// A whole frame, size prefix included.
    Respond(Bytes),
    /// Nothing to send (a produce with acks=0).
    Silent,
    /// The answer could not be encoded: the client would wait forever, so the connection ends.
    Close,
}

pub(super) type Pending = BoxFuture<'static, Outcome>;

/// Why a request is not answered and its connection closed.
#[derive(Debug, thiserror::Error)]
pub(super) enum Refused {
    #[error("the frame is {0} bytes, too short for a request header")]
    Short(usize),
    #[error("unknown API key {0}")]
    UnknownApi(i16),
    #[error("{0:?} v{1} is not supported (see ApiVersions)")]
    Version(ApiKey, i16),
    #[error("malformed {0:?} v{1}: {2}")]
    Malformed(ApiKey, i16, String),
}

/// Starts the request in `frame`. Returns once it is started: for a produce, once its batches
/// are queued, so requests of one connection are queued in the order they were sent.
pub(super) async fn start(context: &Arc<Context>, mut frame: Bytes) -> Result<Pending, Refused> {
    if frame.len() < 8 {
        return Err(Refused::Short(frame.len()));
    }
    let raw_key = i16::from_be_bytes([frame[0], frame[1]]);
    let version = i16::from_be_bytes([frame[2], frame[3]]);
    let key = ApiKey::try_from(raw_key).map_err(|_| Refused::UnknownApi(raw_key))?;
    if key == ApiKey::ApiVersions && versions::range(key).is_some_and(|(_, max)| version > max) {
        // KIP-511: the body is not read; the answer is ApiVersions v0 with UNSUPPORTED_VERSION.
        let correlation_id = i32::from_be_bytes([frame[4], frame[5], frame[6], frame[7]]);
        let response = versions::api_versions(kafka_protocol::error::ResponseError::UnsupportedVersion.code());
        return Ok(Box::pin(std::future::ready(encode(correlation_id, 0, 0, key, &response))));
    }
    if !versions::supported(key, version) {
        return Err(Refused::Version(key, version));
    }
    let malformed = |e: anyhow::Error| Refused::Malformed(key, version, e.to_string());
    let header = RequestHeader::decode(&mut frame, key.request_header_version(version)).map_err(malformed)?;
    let request = Request { context: context.clone(), key, version, correlation_id: header.correlation_id };
    match key {
        ApiKey::Produce => {
            let body = decode(&mut frame, key, version)?;
            let answer = produce::start(&request.context, body, version).await;
            Ok(request.respond(answer))
        }
        ApiKey::Fetch => request.later(&mut frame, fetch::handle),
        ApiKey::ListOffsets => request.later(&mut frame, list_offsets::handle),
        ApiKey::Metadata => request.later(&mut frame, metadata::handle),
        ApiKey::OffsetCommit => request.later(&mut frame, coordinator::commit),
        ApiKey::OffsetFetch => request.later(&mut frame, coordinator::fetch_offsets),
        ApiKey::OffsetDelete => request.later(&mut frame, coordinator::delete_offsets),
        ApiKey::FindCoordinator => request.later(&mut frame, coordinator::find),
        ApiKey::JoinGroup => request.later(&mut frame, groups::join),
        ApiKey::SyncGroup => request.later(&mut frame, groups::sync),
        ApiKey::Heartbeat => request.later(&mut frame, groups::heartbeat),
        ApiKey::LeaveGroup => request.later(&mut frame, groups::leave),
        ApiKey::DescribeGroups => request.later(&mut frame, groups::describe),
        ApiKey::ListGroups => request.later(&mut frame, groups::list),
        ApiKey::ApiVersions => request.later(&mut frame, |_, _: kafka_protocol::messages::ApiVersionsRequest, _| {
            std::future::ready(versions::api_versions(0))
        }),
        ApiKey::CreateTopics => request.later(&mut frame, admin::create_topics),
        ApiKey::DeleteTopics => request.later(&mut frame, admin::delete_topics),
        ApiKey::InitProducerId => request.later(&mut frame, producer_id::handle),
        ApiKey::DescribeConfigs => request.later(&mut frame, configs::describe),
        ApiKey::AlterConfigs => request.later(&mut frame, configs::alter),
        ApiKey::IncrementalAlterConfigs => request.later(&mut frame, configs::alter_incrementally),
        ApiKey::CreatePartitions => request.later(&mut frame, admin::create_partitions),
        ApiKey::DeleteRecords => request.later(&mut frame, admin::delete_records),
        ApiKey::DeleteGroups => request.later(&mut frame, groups::delete),
        ApiKey::DescribeCluster => request.later(&mut frame, metadata::describe_cluster),
        ApiKey::OffsetForLeaderEpoch => request.later(&mut frame, list_offsets::leader_epoch_ends),
        ApiKey::ConsumerGroupHeartbeat => request.later(&mut frame, consumer_groups::heartbeat),
        other => Err(Refused::Version(other, version)),
    }
}

fn decode<T: Decodable>(frame: &mut Bytes, key: ApiKey, version: i16) -> Result<T, Refused> {
    T::decode(frame, version).map_err(|e| Refused::Malformed(key, version, e.to_string()))
}

/// A decoded request's identity, for its answer.
struct Request {
    context: Arc<Context>,
    key: ApiKey,
    version: i16,
    correlation_id: i32,
}

impl Request {
    /// Decodes the body and leaves all the work to the answer's future.
    fn later<Req, Resp, F, Fut>(self, frame: &mut Bytes, handle: F) -> Result<Pending, Refused>
    where
        Req: Decodable,
        Resp: Encodable + HeaderVersion + Send + 'static,
        F: FnOnce(Arc<Context>, Req, i16) -> Fut,
        Fut: Future<Output = Resp> + Send + 'static,
    {
        let body = decode(frame, self.key, self.version)?;
        let answer = handle(self.context.clone(), body, self.version);
        Ok(self.respond(async move { Some(answer.await) }))
    }

    /// Encodes what `answer` gives (nothing for `None`), counting the request.
    fn respond<Resp, Fut>(self, answer: Fut) -> Pending
    where
        Resp: Encodable + HeaderVersion + Send + 'static,
        Fut: Future<Output = Option<Resp>> + Send + 'static,
    {
        let started = Instant::now();
        Box::pin(async move {
            let response = answer.await;
            let api = super::versions::api_name(self.key);
            metrics::histogram!(m::KAFKA_DURATION, "api" => api).record(started.elapsed().as_secs_f64());
            metrics::counter!(m::KAFKA_REQUESTS, "api" => api).increment(1);
            match response {
                None => Outcome::Silent,
                Some(response) => {
                    encode(self.correlation_id, Resp::header_version(self.version), self.version, self.key, &response)
                }
            }
        })
    }
}

/// A response frame: size, header (at `header_version`), body (at `body_version`).
fn encode<R: Encodable>(correlation_id: i32, header_version: i16, body_version: i16, key: ApiKey, body: &R) -> Outcome {
    let mut frame = BytesMut::with_capacity(256);
    frame.put_i32(0); // the size, known at the end
    let header = ResponseHeader::default().with_correlation_id(correlation_id);
    let encoded = header.encode(&mut frame, header_version).and_then(|()| body.encode(&mut frame, body_version));
    if let Err(e) = encoded {
        tracing::error!(api = ?key, version = body_version, error = %e, "encoding a Kafka response failed");
        return Outcome::Close;
    }
    let size = i32::try_from(frame.len() - 4).unwrap_or(i32::MAX);
    frame[..4].copy_from_slice(&size.to_be_bytes());
    Outcome::Respond(frame.freeze())
}
