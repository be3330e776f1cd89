//! gRPC: the `strata.v1.Broker` service, its conversions and the one error mapping.
mod convert;
mod convert_cluster;
mod convert_groups;
pub mod forward;
mod metrics_layer;
mod server;
mod service;
mod service_cluster;
mod service_groups;
pub mod status;

pub use server::serve;
pub use service::BrokerService;
