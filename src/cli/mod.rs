//! The `strata` command line. `strata serve` runs the broker; client commands come later.
mod logging;
mod serve;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "strata", version, about = "A durable, partitioned event-log broker")]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the broker.
    Serve(serve::ServeArgs),
}

impl Cli {
    pub fn run(self) -> ExitCode {
        let result = match self.command {
            Command::Serve(args) => args.run(),
        };
        match result {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("strata: {e:#}");
                ExitCode::FAILURE
            }
        }
    }
}
