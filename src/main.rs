//! The `strata` binary: parse the command line, run it.
fn main() -> std::process::ExitCode {
    strata::cli::Cli::parse_with_config().run()
}
