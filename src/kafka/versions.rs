//! The APIs and versions the listener advertises in ApiVersions. The ranges follow what the
//! three reference clients send (KAFKA.md §2): Produce from 0 although v0-2 are refused (older
//! librdkafka stops compressing unless Produce v0 is advertised), Fetch up to 12 (13+ names
//! topics by id), and only what strata answers in full.
use kafka_protocol::messages::ApiKey;
use kafka_protocol::messages::api_versions_response::{ApiVersion, ApiVersionsResponse};

/// (API, min, max) advertised.
pub const ADVERTISED: &[(ApiKey, i16, i16)] = &[
    (ApiKey::Produce, 0, 9),
    (ApiKey::Fetch, 4, 12),
    (ApiKey::ListOffsets, 1, 7),
    (ApiKey::Metadata, 0, 12),
    (ApiKey::OffsetCommit, 2, 8),
    (ApiKey::OffsetFetch, 1, 7),
    (ApiKey::FindCoordinator, 0, 3),
    (ApiKey::JoinGroup, 0, 7),
    (ApiKey::Heartbeat, 0, 4),
    (ApiKey::LeaveGroup, 0, 5),
    (ApiKey::SyncGroup, 0, 5),
    (ApiKey::DescribeGroups, 0, 5),
    (ApiKey::ListGroups, 0, 4),
    (ApiKey::ApiVersions, 0, 4),
    (ApiKey::CreateTopics, 2, 7),
    (ApiKey::DeleteTopics, 1, 6),
    (ApiKey::InitProducerId, 0, 4),
    (ApiKey::DescribeConfigs, 1, 4),
    (ApiKey::AlterConfigs, 0, 2),
    (ApiKey::IncrementalAlterConfigs, 0, 1),
    (ApiKey::CreatePartitions, 0, 3),
    (ApiKey::DeleteRecords, 0, 2),
    (ApiKey::DeleteGroups, 0, 2),
    (ApiKey::DescribeCluster, 0, 1),
    (ApiKey::OffsetForLeaderEpoch, 2, 4),
    (ApiKey::ConsumerGroupHeartbeat, 0, 1),
    (ApiKey::OffsetDelete, 0, 0),
];

/// Produce versions advertised but refused (message formats v0 and v1).
pub const FIRST_REAL_PRODUCE: i16 = 3;

/// Whether `version` of `key` is served.
pub fn supported(key: ApiKey, version: i16) -> bool {
    ADVERTISED.iter().any(|(k, min, max)| *k == key && (*min..=*max).contains(&version))
}

/// The advertised range of `key`.
pub fn range(key: ApiKey) -> Option<(i16, i16)> {
    ADVERTISED.iter().find(|(k, _, _)| *k == key).map(|(_, min, max)| (*min, *max))
}

/// The ApiVersions answer: every advertised API, with `error_code` (35, UNSUPPORTED_VERSION,
/// for a client that asked with a newer ApiVersions than strata knows: KIP-511).
pub fn api_versions(error_code: i16) -> ApiVersionsResponse {
    let api_keys = ADVERTISED
        .iter()
        .map(|(key, min, max)| {
            ApiVersion::default().with_api_key(*key as i16).with_min_version(*min).with_max_version(*max)
        })
        .collect();
    ApiVersionsResponse::default().with_error_code(error_code).with_api_keys(api_keys)
}

/// An advertised API's name for metric labels, made once instead of formatted per request.
pub fn api_name(key: ApiKey) -> &'static str {
    static NAMES: std::sync::OnceLock<Vec<(ApiKey, &'static str)>> = std::sync::OnceLock::new();
    let names = NAMES.get_or_init(|| {
        // Leaked once per advertised API: a fixed, small set of labels for the process's life.
        ADVERTISED.iter().map(|(key, _, _)| (*key, &*Box::leak(format!("{key:?}").into_boxed_str()))).collect()
    });
    names.iter().find(|(known, _)| *known == key).map_or("Unknown", |(_, name)| name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_names_are_the_api_keys_names() {
        assert_eq!(api_name(ApiKey::Produce), "Produce");
        assert_eq!(api_name(ApiKey::ConsumerGroupHeartbeat), "ConsumerGroupHeartbeat");
        assert_eq!(api_name(ApiKey::Produce).as_ptr(), api_name(ApiKey::Produce).as_ptr(), "made once");
    }

    #[test]
    fn every_advertised_range_is_one_the_codec_can_decode() {
        for (key, min, max) in ADVERTISED {
            let codec = key.valid_versions();
            let decodable_min = if *key == ApiKey::Produce { FIRST_REAL_PRODUCE } else { *min };
            assert!(codec.min <= decodable_min && *max <= codec.max, "{key:?} {min}..{max} vs {codec}");
        }
    }

    #[test]
    fn the_feature_checks_of_older_librdkafka_find_their_versions() {
        // librdkafka < 2.11.1 needs these exact versions inside the ranges (KAFKA.md §2.2).
        for (key, version) in [(ApiKey::Produce, 0), (ApiKey::Produce, 3), (ApiKey::Fetch, 4), (ApiKey::ListOffsets, 1)]
        {
            assert!(supported(key, version), "{key:?} v{version}");
        }
        assert!(supported(ApiKey::Fetch, 12) && !supported(ApiKey::Fetch, 13));
        for key in
            [ApiKey::JoinGroup, ApiKey::SyncGroup, ApiKey::Heartbeat, ApiKey::LeaveGroup, ApiKey::FindCoordinator]
        {
            assert!(supported(key, 0), "{key:?} v0: librdkafka < 2.11.1 turns groups off without it");
        }
        assert!(supported(ApiKey::OffsetCommit, 2) && supported(ApiKey::OffsetFetch, 1));
    }
}
