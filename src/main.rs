//! The `strata` binary: parse the command line, run it.
use clap::Parser;

fn main() -> std::process::ExitCode {
    strata::cli::Cli::parse().run()
}
