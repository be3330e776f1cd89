//! How long a cooperative rebalance takes: from a member's JoinGroup to every partition owned
//! by its final owner (DescribeGroup stable, balanced), with the Rust group consumer's own
//! heartbeats and the broker's default session timeout. A 6-partition topic, 2 members, then a
//! third joins; repeated and summarised.
//!
//! `make bench-rebalance`; `STRATA_BENCH_ROUNDS` sets the repetitions (default 5).
use std::time::{Duration, Instant};

use strata::client::{GroupConsumer, GroupConsumerConfig, connect};
use strata::config::BrokerConfig;
use strata::proto::{CreateTopicRequest, DescribeGroupRequest, GroupState};
use tokio::net::TcpListener;

fn main() -> anyhow::Result<()> {
    let rounds: usize = std::env::var("STRATA_BENCH_ROUNDS").ok().and_then(|s| s.parse().ok()).unwrap_or(5);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async {
        let dir = tempfile::tempdir()?;
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?.to_string();
        let config = BrokerConfig { data_dir: dir.path().join("data"), ..BrokerConfig::default() };
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(strata::server::run(
            strata::server::FrontEnds { grpc: listener, kafka: None },
            config,
            async move {
                let _ = stopped.await;
            },
        ));
        let mut admin = loop {
            match connect(&addr).await {
                Ok(c) => break c,
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        };
        admin
            .create_topic(CreateTopicRequest { name: "t".into(), partitions: 6, config: None, ..Default::default() })
            .await?;
        let mut to_two = Vec::new();
        let mut to_three = Vec::new();
        for round in 0..rounds {
            let group = format!("g{round}");
            let config = GroupConsumerConfig::new(&group, &["t"]);
            let a = GroupConsumer::join(connect(&addr).await?, config.clone()).await?;
            let started = Instant::now();
            let b = GroupConsumer::join(connect(&addr).await?, config.clone()).await?;
            to_two.push(wait_balanced(&mut admin, &group, 2, started).await?);
            let started = Instant::now();
            let c = GroupConsumer::join(connect(&addr).await?, config).await?;
            to_three.push(wait_balanced(&mut admin, &group, 3, started).await?);
            for consumer in [a, b, c] {
                consumer.close().await?;
            }
        }
        report("1 → 2 members (6 partitions: 6/0 → 3/3)", &mut to_two);
        report("2 → 3 members (6 partitions: 3/3 → 2/2/2)", &mut to_three);
        let _ = stop.send(());
        server.await??;
        anyhow::Ok(())
    })
}

/// Time from `started` until the group is stable with `members` members of equal share.
async fn wait_balanced(
    admin: &mut strata::client::Connection,
    group: &str,
    members: usize,
    started: Instant,
) -> anyhow::Result<Duration> {
    loop {
        let d = admin.describe_group(DescribeGroupRequest { group: group.into() }).await?.into_inner();
        let shares: Vec<usize> =
            d.members.iter().map(|m| m.assignment.iter().map(|a| a.partitions.len()).sum()).collect();
        if d.state == GroupState::Stable as i32 && shares.len() == members && shares.iter().all(|s| *s == 6 / members) {
            return Ok(started.elapsed());
        }
        if started.elapsed() > Duration::from_secs(60) {
            anyhow::bail!("group {group} not balanced after 60 s: {shares:?}");
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

fn report(name: &str, samples: &mut [Duration]) {
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let median = samples[samples.len() / 2];
    let max = samples[samples.len() - 1];
    println!("{name:<44} median {:>7.1} ms   max {:>7.1} ms   ({} rounds)", ms(median), ms(max), samples.len());
}
