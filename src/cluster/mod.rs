//! Replication: brokers form a cluster whose commit logs are openraft groups, one per shard
//! (`broker::shards`). Every broker
//! applies every committed entry with the same code a single broker uses, so replicas hold the
//! same bytes; the leader takes the writes and serves the reads, and answers a produce once a
//! majority has it and it is applied.
//!
//! ```text
//! commit loop ──propose──▶ Raft (openraft) ──append──▶ log_store (RocksDB `raftlog`)
//!                              │  ▲ peers: network (client) / peer_service (server)
//!                              ▼  │
//!                         state_machine ──apply──▶ broker::apply / broker::catalog
//! ```
//! `node` opens a broker this way and forms the cluster from its seeds. openraft is an alpha
//! pinned exactly: nothing outside this module names its types.
mod addresses;
mod apply_batch;
mod balance;
mod codec;
mod copies_balance;
mod data_dir_copy;
mod directory;
mod disk_guard;
mod disk_wait;
mod entry_cache;
mod entry_sizes;
mod formation;
mod hand_over;
mod join;
mod left_shard;
mod log_store;
#[cfg(test)]
mod log_store_tests;
mod membership;
mod network;
mod node;
mod peer_service;
mod raft_log;
mod removal;
mod removal_check;
mod serve;
mod shard;
mod shard_snapshot;
mod state_machine;
mod stopped;
mod trim;
mod types;
mod wal_syncer;
mod watch;

pub use formation::form;
pub use node::{ClusterConfig, hello, open_broker};
pub use peer_service::PeerService;
pub use serve::run;
pub use types::Raft;
pub use watch::describe_metrics;
