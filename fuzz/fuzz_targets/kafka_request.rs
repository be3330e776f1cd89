//! Decoding a Kafka request never panics, aborts or reserves memory the frame cannot back: every
//! API and version the listener advertises (`src/kafka/versions.rs`), with the same
//! kafka-protocol decoders (the vendored, patched copy) the broker uses. The first two input
//! bytes pick the API, the next two the version, as on the wire; inputs naming an unadvertised
//! pair are tried with the pair folded into the advertised table, so most inputs reach a decoder.
#![no_main]
use bytes::Bytes;
use kafka_protocol::messages::*;
use kafka_protocol::protocol::Decodable;
use libfuzzer_sys::fuzz_target;
use strata_fuzz::kafka_versions::ADVERTISED;

fuzz_target!(|data: &[u8]| {
    if data.len() < 4 {
        return;
    }
    let (key, min, max) = ADVERTISED[usize::from(data[0]) % ADVERTISED.len()];
    let version = min + (i16::from(data[1]) % (max - min + 1));
    let mut frame = Bytes::copy_from_slice(&data[2..]);
    if RequestHeader::decode(&mut frame, key.request_header_version(version)).is_err() {
        return;
    }
    decode(key, version, &mut frame);
});

fn decode(key: ApiKey, version: i16, frame: &mut Bytes) {
    fn body<T: Decodable>(frame: &mut Bytes, version: i16) {
        let _ = T::decode(frame, version);
    }
    match key {
        ApiKey::Produce if version >= 3 => body::<ProduceRequest>(frame, version),
        ApiKey::Fetch => body::<FetchRequest>(frame, version),
        ApiKey::ListOffsets => body::<ListOffsetsRequest>(frame, version),
        ApiKey::Metadata => body::<MetadataRequest>(frame, version),
        ApiKey::OffsetCommit => body::<OffsetCommitRequest>(frame, version),
        ApiKey::OffsetFetch => body::<OffsetFetchRequest>(frame, version),
        ApiKey::FindCoordinator => body::<FindCoordinatorRequest>(frame, version),
        ApiKey::JoinGroup => body::<JoinGroupRequest>(frame, version),
        ApiKey::Heartbeat => body::<HeartbeatRequest>(frame, version),
        ApiKey::LeaveGroup => body::<LeaveGroupRequest>(frame, version),
        ApiKey::SyncGroup => body::<SyncGroupRequest>(frame, version),
        ApiKey::DescribeGroups => body::<DescribeGroupsRequest>(frame, version),
        ApiKey::ListGroups => body::<ListGroupsRequest>(frame, version),
        ApiKey::ApiVersions => body::<ApiVersionsRequest>(frame, version),
        ApiKey::CreateTopics => body::<CreateTopicsRequest>(frame, version),
        ApiKey::DeleteTopics => body::<DeleteTopicsRequest>(frame, version),
        ApiKey::InitProducerId => body::<InitProducerIdRequest>(frame, version),
        ApiKey::DescribeConfigs => body::<DescribeConfigsRequest>(frame, version),
        ApiKey::AlterConfigs => body::<AlterConfigsRequest>(frame, version),
        ApiKey::IncrementalAlterConfigs => body::<IncrementalAlterConfigsRequest>(frame, version),
        ApiKey::CreatePartitions => body::<CreatePartitionsRequest>(frame, version),
        ApiKey::DeleteRecords => body::<DeleteRecordsRequest>(frame, version),
        ApiKey::DeleteGroups => body::<DeleteGroupsRequest>(frame, version),
        ApiKey::DescribeCluster => body::<DescribeClusterRequest>(frame, version),
        ApiKey::OffsetForLeaderEpoch => body::<OffsetForLeaderEpochRequest>(frame, version),
        ApiKey::OffsetDelete => body::<OffsetDeleteRequest>(frame, version),
        ApiKey::ConsumerGroupHeartbeat => body::<ConsumerGroupHeartbeatRequest>(frame, version),
        _ => {}
    }
}
