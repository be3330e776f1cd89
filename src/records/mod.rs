//! Pure pieces every layer shares (the core, storage, both front ends and the client), with
//! no I/O and no dependency on any of them: Kafka's partitioner, idempotent producers'
//! sequence arithmetic, the record readers get back, and batch codecs.
pub mod codec;
pub mod partitioner;
pub mod record;
pub mod sequence;

pub use codec::Codec;
pub use record::StoredRecord;
