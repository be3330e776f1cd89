//! strata's pure storage decoders, compiled straight from the main crate's sources so that the
//! fuzz build needs neither RocksDB nor the rest of the broker.
pub mod storage {
    #[path = "../../../src/storage/varint.rs"]
    pub mod varint;

    #[path = "../../../src/storage/batch.rs"]
    pub mod batch;

    #[path = "../../../src/storage/keys.rs"]
    pub mod keys;
}
