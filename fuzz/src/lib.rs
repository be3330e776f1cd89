//! strata's pure decoders (stored batches, keys, the Kafka listener's version table), compiled
//! straight from the main crate's sources so that the fuzz build needs neither RocksDB nor the
//! rest of the broker. They sit at the crate root, as
//! siblings, because that is how they refer to each other (`super::varint`).
#[path = "../../src/storage/varint.rs"]
pub mod varint;

#[path = "../../src/storage/batch.rs"]
pub mod batch;

#[path = "../../src/storage/keys.rs"]
pub mod keys;

/// The shared pieces batch.rs and compression.rs use, at the paths they use them by
/// (`crate::records::codec`, `crate::records::record`).
pub mod records {
    pub use super::records_codec as codec;
    pub use super::records_record as record;
}

#[path = "../../src/records/codec.rs"]
pub mod records_codec;

#[path = "../../src/records/record.rs"]
pub mod records_record;

#[path = "../../src/storage/compression.rs"]
pub mod compression;

#[path = "../../src/kafka/versions.rs"]
pub mod kafka_versions;
