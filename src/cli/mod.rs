//! The `strata` command line: `strata serve` runs the broker; the other commands are its client
//! (topics, produce, consume, groups), like kafka-topics.sh, kcat and rpk in one binary.
mod cluster;
#[cfg(test)]
mod config_example;
mod config_file;
mod consume;
mod dev_cluster;
mod group;
mod logging;
mod output;
mod produce;
mod serve;
mod topic;

use std::ffi::OsString;
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

use output::OutputFormat;

#[derive(Debug, Parser)]
#[command(name = "strata", version, about = "A durable, partitioned event-log broker")]
pub struct Cli {
    /// Broker for client commands: one address, or a comma-separated bootstrap list of a
    /// cluster's brokers (requests follow the leader).
    #[arg(long, global = true, env = "STRATA_BROKER", default_value = "127.0.0.1:9392")]
    broker: String,
    /// Output of client commands.
    #[arg(long, global = true, value_enum, default_value = "text")]
    output: OutputFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the broker.
    Serve(Box<serve::ServeArgs>),
    /// Run a local cluster of N brokers (each with its own ports and data dir) until Ctrl-C.
    DevCluster(dev_cluster::DevClusterArgs),
    #[command(flatten)]
    Client(ClientCommand),
}

#[derive(Debug, Subcommand)]
enum ClientCommand {
    /// Create, list, describe, alter and delete topics.
    #[command(subcommand)]
    Topic(topic::TopicCommand),
    /// Produce stdin lines as records.
    Produce(produce::ProduceArgs),
    /// Print records.
    Consume(consume::ConsumeArgs),
    /// Inspect and manage consumer groups.
    #[command(subcommand)]
    Group(group::GroupCommand),
    /// Inspect the cluster: brokers, shards, leaders, followers' lag.
    #[command(subcommand)]
    Cluster(cluster::ClusterCommand),
}

impl Cli {
    /// The command line, with the settings of `strata serve --config FILE` added; exits with
    /// clap's message (and status 2) when either is wrong, as `Cli::parse` does.
    pub fn parse_with_config() -> Cli {
        with_config_file(std::env::args_os().collect()).unwrap_or_else(|e| e.exit())
    }

    pub fn run(self) -> ExitCode {
        let result = match self.command {
            Command::Serve(args) => args.run(),
            Command::DevCluster(args) => args.run(),
            Command::Client(command) => run_client(&self.broker, self.output, command),
        };
        match result {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("strata: {}", output::explain(&e, &self.broker));
                ExitCode::FAILURE
            }
        }
    }
}

/// Parses `argv`; for `serve --config FILE`, parses it again with the file's settings appended as
/// flags, for those the command line and the environment left unset.
fn with_config_file(mut argv: Vec<OsString>) -> Result<Cli, clap::Error> {
    let mut command = Cli::command();
    let matches = command.try_get_matches_from_mut(argv.iter())?;
    let Some(("serve", serve)) = matches.subcommand() else {
        return Cli::from_arg_matches(&matches);
    };
    let Some(path) = serve.get_one::<std::path::PathBuf>(config_file::CONFIG_FLAG) else {
        return Cli::from_arg_matches(&matches);
    };
    let serve_command = command.find_subcommand("serve").expect("serve is a subcommand");
    let flags = config_file::file_flags(path, serve_command, serve)
        .map_err(|e| command.error(clap::error::ErrorKind::InvalidValue, e))?;
    argv.extend(flags);
    // The command line parsed without the file, so an error now comes from the file.
    Cli::try_parse_from(argv).map_err(|e| {
        let rendered = e.render().to_string();
        let message = rendered.trim_start_matches("error: ").trim_end();
        command.error(e.kind(), format!("in config file {}: {message}", path.display()))
    })
}

fn run_client(broker: &str, format: OutputFormat, command: ClientCommand) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let client = crate::client::connect(broker).await?;
        match command {
            ClientCommand::Topic(cmd) => cmd.run(client, format).await,
            ClientCommand::Produce(args) => args.run(client, format).await,
            ClientCommand::Consume(args) => args.run(client, format).await,
            ClientCommand::Group(cmd) => cmd.run(client, format).await,
            ClientCommand::Cluster(cmd) => cmd.run(client, format).await,
        }
    })
}
