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

#[path = "../../src/storage/compression.rs"]
pub mod compression;

#[path = "../../src/kafka/versions.rs"]
pub mod kafka_versions;
