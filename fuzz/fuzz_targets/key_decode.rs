//! Key decoding never panics, and what decodes re-encodes to the same bytes.
#![no_main]
use libfuzzer_sys::fuzz_target;
use strata_fuzz::keys;

fuzz_target!(|data: &[u8]| {
    if let Some(offset) = keys::decode_offset_key(data) {
        assert_eq!(&keys::offset_key(offset)[..], data, "offset keys round-trip");
    }
    if let Some((topic, partition)) = keys::committed_offset_topic_partition(data) {
        assert_eq!(keys::committed_offset_topic(data), Some(topic.as_bytes()));
        assert_eq!(&data[data.len() - 4..], &partition.to_be_bytes()[..], "the partition is the key's last 4 bytes");
    }
    if let Ok(name) = std::str::from_utf8(data) {
        if let Some(slot) = keys::parse_partition_cf_name(name) {
            assert_eq!(keys::parse_partition_cf_name(&keys::partition_cf_name(slot)), Some(slot));
        }
    }
});
