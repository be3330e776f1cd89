//! The `strata` command line: `strata serve` runs the broker; the other commands are its client
//! (topics, produce, consume, groups), like kafka-topics.sh, kcat and rpk in one binary.
mod cluster;
mod consume;
mod dev_cluster;
mod group;
mod logging;
mod output;
mod produce;
mod serve;
mod topic;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

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
