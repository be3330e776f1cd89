//! strata's integration tests: a real gRPC server on port 0 with a temp data dir per test.
mod process;
mod support;

mod cli;
mod client;
mod consumer;
mod corruption;
mod crash;
mod dashboards;
mod disk_full;
mod errors;
mod fetch_wait;
mod flush_limit;
mod groups;
mod hostile;
mod limits;
mod memtable_budget;
mod model;
mod offsets;
mod produce_fetch;
mod restart;
mod retention;
mod routing;
mod scale;
mod service_discovery;
mod topic_changes;
