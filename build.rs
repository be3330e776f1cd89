//! Compiles `proto/` into Rust (tonic + prost) and writes the descriptor set that the gRPC
//! reflection service serves, so grpcurl and other languages need no copy of our protos.
use std::{env, path::PathBuf};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out_dir = PathBuf::from(env::var("OUT_DIR")?);
    tonic_prost_build::configure()
        .file_descriptor_set_path(out_dir.join("strata_descriptor.bin"))
        // Bytes lets record payloads move from the request into a batch without a copy.
        .bytes(".")
        // Ordered maps make the encoded header order deterministic.
        .btree_map(".")
        .compile_protos(
            &[
                "proto/strata/v1/broker.proto",
                "proto/strata/v1/meta.proto",
                "proto/strata/v1/log.proto",
                "proto/strata/v1/peer.proto",
            ],
            &["proto"],
        )?;
    Ok(())
}
