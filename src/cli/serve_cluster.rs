//! `serve`'s cluster flags: checked against each other when the broker starts, and turned into
//! the cluster's config once the listeners are bound.
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use tokio::net::TcpListener;

use super::{ServeArgs, dialable};
use crate::cluster::ClusterConfig;
use crate::kafka::Advertised;

impl ServeArgs {
    /// The cluster flags, if any were given; `None` for a single broker.
    pub(super) fn cluster_flags(&self) -> anyhow::Result<Option<ClusterFlags>> {
        let flag = if self.join.is_some() { "--join" } else { "--seeds" };
        if self.join.is_some() && !self.seeds.is_empty() {
            anyhow::bail!(
                "--join and --seeds are both set (seeds may come from the config file or STRATA_SEEDS): a broker that \
                 joins learns the seeds from the cluster; leave --seeds out"
            );
        }
        if self.seeds.is_empty() && self.join.is_none() {
            if self.peer_listen.is_some() || self.peer_advertise.is_some() {
                anyhow::bail!(
                    "--peer-listen and --peer-advertise need --seeds (the peer addresses of the cluster's seeds) or --join"
                );
            }
            if !self.topic_replication_factors.is_empty() {
                anyhow::bail!(
                    "--topic-replication-factors needs --seeds: a single broker keeps one copy of each partition"
                );
            }
            return Ok(None);
        }
        let peer_listen = self
            .peer_listen
            .with_context(|| format!("{flag} needs --peer-listen (where other brokers reach this one)"))?;
        if self.node_id.is_none() {
            anyhow::bail!("{flag} needs --node-id: every broker of a cluster has its own");
        }
        Ok(Some(ClusterFlags {
            peer_listen,
            peer_advertise: self.peer_advertise.clone(),
            advertise: self.advertise.clone(),
            seeds: self.seeds.clone(),
            join: self.join.clone(),
            // As many as there are seeds: each broker leads one, and partitions spread over all.
            data_shards: match (&self.join, self.data_shards) {
                (Some(_), Some(_)) => return Err(fixed_when_forming("--data-shards", "STRATA_DATA_SHARDS")),
                (Some(_), None) => None,
                (None, asked) => Some(asked.unwrap_or(self.seeds.len() as u64)),
            },
            replication_factor: self.replication_factor()?,
            other_replication_factors: self.other_replication_factors()?,
            heartbeat: self.raft_heartbeat,
            election_timeout: self.raft_election_timeout,
            replica_lag_time_max: self.replica_lag_time_max,
            raft_log_keep_entries: self.raft_log_keep_entries,
            min_free_disk: self.min_free_disk,
        }))
    }

    /// The copies of each data shard a forming cluster asks for: 0 for every broker, as many
    /// as the seeds or more (so brokers that join later get a copy too). `None` for a joining
    /// broker: the cluster's.
    fn replication_factor(&self) -> anyhow::Result<Option<u64>> {
        let seeds = self.seeds.len() as u64;
        let asked = match (&self.join, self.default_replication_factor) {
            (Some(_), Some(_)) => {
                return Err(fixed_when_forming("--default-replication-factor", "STRATA_DEFAULT_REPLICATION_FACTOR"));
            }
            (Some(_), None) => return Ok(None),
            (None, Some(0)) => anyhow::bail!("--default-replication-factor must be at least 1"),
            (None, Some(asked)) if asked > seeds => anyhow::bail!(
                "--default-replication-factor {asked} needs at least {asked} seeds; --seeds lists {seeds}: list more \
                 seeds or ask for fewer copies"
            ),
            (None, asked) => asked.unwrap_or(seeds.min(3)),
        };
        if asked < seeds && self.data_shards == Some(0) {
            anyhow::bail!(
                "--default-replication-factor {asked} puts partitions on some of the {seeds} seeds, but --data-shards 0 \
                 keeps every partition in the metadata shard, on every broker: leave --data-shards out or ask for \
                 {seeds} copies"
            );
        }
        Ok(Some(if asked >= seeds { 0 } else { asked }))
    }

    /// The other factors topics may ask for, as `Shards` keeps them (bit `f`: `f` copies);
    /// `None` for a joining broker: the cluster's.
    fn other_replication_factors(&self) -> anyhow::Result<Option<u64>> {
        let flag = "--topic-replication-factors";
        if self.join.is_some() {
            if !self.topic_replication_factors.is_empty() {
                return Err(fixed_when_forming(flag, "STRATA_TOPIC_REPLICATION_FACTORS"));
            }
            return Ok(None);
        }
        let seeds = self.seeds.len() as u64;
        let default = match self.replication_factor()? {
            Some(0) | None => seeds,
            Some(copies) => copies,
        };
        let mut factors = 0u64;
        for &factor in &self.topic_replication_factors {
            if factor == 0 || factor > seeds.min(63) {
                anyhow::bail!("{flag}: {factor} copies needs 1 to {} (the seeds listed)", seeds.min(63));
            }
            if factor == default {
                anyhow::bail!("{flag}: {factor} is already --default-replication-factor; list only the others");
            }
            factors |= 1 << factor;
        }
        if factors != 0 && self.data_shards == Some(0) {
            anyhow::bail!("{flag} needs data shards of its own; --data-shards 0 keeps every partition in one shard");
        }
        Ok(Some(factors))
    }
}

/// The refusal of `flag` (or its `env` variable) given with --join: the cluster's stays.
fn fixed_when_forming(flag: &str, env: &str) -> anyhow::Error {
    anyhow::anyhow!(
        "{flag} is fixed when a cluster forms; a broker that joins takes the cluster's: leave it out (of the config \
         file and {env} too)"
    )
}

/// The cluster flags, until the listeners are bound.
pub(super) struct ClusterFlags {
    pub(super) peer_listen: SocketAddr,
    peer_advertise: Option<Advertised>,
    advertise: Option<Advertised>,
    seeds: Vec<String>,
    join: Option<String>,
    data_shards: Option<u64>,
    replication_factor: Option<u64>,
    other_replication_factors: Option<u64>,
    heartbeat: Duration,
    election_timeout: (Duration, Duration),
    replica_lag_time_max: Duration,
    raft_log_keep_entries: u64,
    min_free_disk: u64,
}

impl ClusterFlags {
    /// With the bound addresses: peers and clients are handed the bound addresses (a port 0
    /// is the one bound) unless --peer-advertise and --advertise say otherwise.
    pub(super) fn config(
        self,
        listener: &TcpListener,
        peer_listener: &TcpListener,
        kafka_addr: String,
    ) -> anyhow::Result<ClusterConfig> {
        let peer = ("--peer-listen", "--peer-advertise");
        let peer_addr = dialable(self.peer_advertise, peer_listener, peer)?;
        let client_addr = dialable(self.advertise, listener, ("--listen", "--advertise"))?;
        Ok(ClusterConfig {
            kafka_addr,
            peer_addr: peer_addr.to_string(),
            client_addr: client_addr.to_string(),
            seeds: self.seeds,
            join: self.join,
            data_shards: self.data_shards,
            replication_factor: self.replication_factor,
            other_replication_factors: self.other_replication_factors,
            heartbeat: self.heartbeat,
            election_timeout: self.election_timeout,
            replica_lag_time_max: self.replica_lag_time_max,
            raft_log_keep_entries: self.raft_log_keep_entries,
            min_free_disk: self.min_free_disk,
        })
    }
}
