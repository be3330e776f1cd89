//! strata: a durable, partitioned event-log broker on RocksDB, served over gRPC.
//!
//! # Layout
//! ```text
//! grpc/     tonic service: thin handlers, proto ⇄ domain (convert.rs), Error → Status (status.rs)
//!   │
//! broker/   topics and partitions in memory; produce, fetch, offsets, admin — one file each;
//!   │       commit_loop/ is the single writer that group-commits every partition's batches,
//!   │       producers/ the idempotent producers' windows it checks each batch against
//!   │
//! storage/  RocksDB: a column family per partition keyed by big-endian base offset, one
//!           RecordBatch v2 value per produced batch (CRC-32C), `meta` and `offsets` families;
//!           housekeeping/ the background threads that tend it (flushes, heap trims, WAL syncs)
//!
//! cluster/  openraft: the commit log replicated to every broker (RaftLog), peers, formation
//! client/   the Rust client (routed to the leader, idempotent producer, consumers); cli/ the binary
//! ```
//! `docs/ARCHITECTURE.md` is the whole map: flows, invariants, where to change what.
//! A produce flows handler → `Broker::produce` (route + encode) → commit loop (sequence check
//! for idempotent batches, assign offsets, one WriteBatch + one fsync per group) → high
//! watermark published → long-polls wake.
//! `config.rs` holds every knob; `cli/` is the `strata` binary's command line.
pub mod broker;
pub mod cli;
pub mod client;
pub mod cluster;
pub mod config;
pub mod error;
pub mod grpc;
pub mod kafka;
pub mod metrics;
pub mod process_memory;
pub mod records;
pub mod server;
pub mod storage;

pub use error::{Error, Result};

/// Generated protobuf types and the gRPC client/server.
pub mod proto {
    tonic::include_proto!("strata.v1");

    /// Encoded descriptors of `proto/`, served by gRPC reflection.
    pub const FILE_DESCRIPTOR_SET: &[u8] = tonic::include_file_descriptor_set!("strata_descriptor");

    /// What strata persists about itself (not part of the API).
    pub mod meta {
        tonic::include_proto!("strata.meta.v1");
    }

    /// The commit log's entries (not part of the API).
    pub mod log {
        tonic::include_proto!("strata.log.v1");
    }

    /// Broker-to-broker messages: Raft and the cluster handshake (not part of the API).
    pub mod peer {
        tonic::include_proto!("strata.peer.v1");
    }
}
