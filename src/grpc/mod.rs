//! gRPC: the `strata.v1.Broker` service, its conversions and the one error mapping.
mod convert;
mod server;
mod service;
pub mod status;

pub use server::run;
pub use service::BrokerService;
