//! How a batch's records are compressed: Kafka's codecs, by their attribute value (a gRPC
//! producer may ask for one; storage compresses and opens them).

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Codec {
    #[default]
    None = 0,
    Gzip = 1,
    Snappy = 2,
    Lz4 = 3,
    Zstd = 4,
}
