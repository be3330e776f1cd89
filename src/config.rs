//! Broker configuration: every knob with its default, plus parsers for human-readable sizes
//! (`1MiB`) and durations (`7d`, `250ms`).
use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use crate::broker::CommitLogTap;
use crate::broker::groups::GroupConfig;
use crate::broker::producers::ProducerLimits;
use crate::storage::StoreOptions;

/// When the write-ahead log reaches the disk, and so what an acknowledgement promises.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FsyncPolicy {
    /// A produce with acks ALL (and every offset commit) is acknowledged only after the WAL
    /// holding it was fsynced: it survives kill -9 and power loss.
    Always,
    /// Acknowledged after the write; the WAL is fsynced every period. A process crash loses
    /// nothing (the OS has the data); a power loss can lose up to one period.
    Interval(Duration),
    /// Never fsynced by strata: a process crash loses nothing, a power loss can lose whatever
    /// the OS had not written back.
    Never,
}

impl FromStr for FsyncPolicy {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "always" => Ok(FsyncPolicy::Always),
            "never" => Ok(FsyncPolicy::Never),
            _ => {
                let period = s
                    .strip_prefix("interval=")
                    .ok_or_else(|| format!("\"{s}\" is not one of: always, interval=<duration>, never"))?;
                let period = parse_duration(period)?;
                if period.is_zero() {
                    return Err("fsync interval must be greater than zero".into());
                }
                Ok(FsyncPolicy::Interval(period))
            }
        }
    }
}

/// Parses `1MiB`, `64KiB`, `1GiB`, `10MB`, `512` (bytes).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (number, unit) = s.split_at(split);
    let number: u64 = number.parse().map_err(|_| format!("\"{s}\" is not a size like 1MiB or 4096"))?;
    let multiplier: u64 = match unit.trim() {
        "" | "B" => 1,
        "KiB" | "K" | "k" => 1 << 10,
        "MiB" | "M" => 1 << 20,
        "GiB" | "G" => 1 << 30,
        "TiB" | "T" => 1 << 40,
        "KB" | "kB" => 1_000,
        "MB" => 1_000_000,
        "GB" => 1_000_000_000,
        other => return Err(format!("unknown size unit \"{other}\" in \"{s}\" (use B, KiB, MiB, GiB, KB, MB, GB)")),
    };
    number.checked_mul(multiplier).ok_or_else(|| format!("size \"{s}\" is too large"))
}

/// Parses `7d`, `30s`, `250ms`, `1h 30m`.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    humantime::parse_duration(s.trim()).map_err(|e| format!("\"{s}\" is not a duration like 30s or 7d: {e}"))
}

/// Parses a retention time: `7d`, `12h`, ... or `none` / `-1` for forever. Returns ms, -1 = forever.
pub fn parse_retention_ms(s: &str) -> Result<i64, String> {
    parse_limit(s, "retention", |v| Ok(parse_duration(v)?.as_millis()))
}

/// Parses a retention size: `1GiB`, ... or `none` / `-1` for unlimited. Returns bytes, -1 = none.
pub fn parse_retention_bytes(s: &str) -> Result<i64, String> {
    parse_limit(s, "retention bytes", |v| Ok(u128::from(parse_size(v)?)))
}

/// A positive limit, or `none` / `-1` for unlimited (returned as -1).
fn parse_limit(s: &str, what: &str, parse: impl Fn(&str) -> Result<u128, String>) -> Result<i64, String> {
    match s.trim() {
        "none" | "-1" => Ok(-1),
        other => match parse(other)? {
            0 => Err(format!("{what} must be greater than zero (or none)")),
            n => i64::try_from(n).map_err(|_| format!("{what} \"{s}\" is too large")),
        },
    }
}

/// Broker-wide retention defaults; each topic may override either. -1 = unlimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetentionDefaults {
    /// Records older than this (by their batch's newest timestamp) are deleted.
    pub ms: i64,
    /// Oldest batches are deleted while a partition holds more than this.
    pub bytes: i64,
}

impl Default for RetentionDefaults {
    fn default() -> Self {
        RetentionDefaults { ms: 7 * 24 * 3600 * 1000, bytes: -1 }
    }
}

/// Everything the broker core needs; the server adds its listen address.
#[derive(Debug, Clone)]
pub struct BrokerConfig {
    pub data_dir: PathBuf,
    /// This broker's id (`--node-id`); `None` takes the data dir's (1 for a new one).
    pub node_id: Option<u64>,
    pub fsync: FsyncPolicy,
    /// Largest record payload (key + value + headers) accepted.
    pub max_record_bytes: usize,
    /// Largest total record payload in one produce request.
    pub max_request_bytes: usize,
    /// Partitions of a topic created with `partitions = 0`.
    pub default_partitions: u32,
    /// Kafka clients' Metadata requests create the topics they name that do not exist.
    pub auto_create_topics: bool,
    /// Produce bytes queued for the commit loop at most; beyond it producers wait.
    pub max_inflight_bytes: usize,
    /// Subscribe response bytes not yet sent, across all streams (see `broker::stream_buffer`).
    pub max_stream_buffer_bytes: usize,
    /// Client connections served at once; more are closed as soon as they are accepted.
    pub max_connections: usize,
    /// Concurrent requests and streams per connection (HTTP/2 max concurrent streams).
    pub max_streams_per_connection: u32,
    /// How long a producer waits for room in the queue before RESOURCE_EXHAUSTED.
    pub enqueue_timeout: Duration,
    pub retention: RetentionDefaults,
    /// How often retention is enforced.
    pub retention_check_interval: Duration,
    /// Consumer-group session timeout bounds.
    pub groups: GroupConfig,
    /// Idempotent producers' expiry and memory limit.
    pub producers: ProducerLimits,
    /// For tests: receives every commit-log entry applied (see `broker::replica`).
    pub commit_log_tap: Option<CommitLogTap>,
    /// How often state gauges (offsets, lag, RocksDB) are refreshed; `None` = not at all
    /// (no metrics exporter).
    pub stats_interval: Option<Duration>,
    pub store: StoreOptions,
}

impl Default for BrokerConfig {
    fn default() -> Self {
        BrokerConfig {
            data_dir: PathBuf::from("./data"),
            node_id: None,
            fsync: FsyncPolicy::Always,
            max_record_bytes: 1 << 20,
            max_request_bytes: 16 << 20,
            default_partitions: 1,
            auto_create_topics: false,
            max_inflight_bytes: 256 << 20,
            max_stream_buffer_bytes: 256 << 20,
            enqueue_timeout: Duration::from_secs(30),
            max_connections: 10_000,
            max_streams_per_connection: 1_000,
            retention: RetentionDefaults::default(),
            retention_check_interval: Duration::from_secs(30),
            groups: GroupConfig::default(),
            producers: ProducerLimits::default(),
            commit_log_tap: None,
            stats_interval: None,
            store: StoreOptions::default(),
        }
    }
}

/// Most partitions a topic may have.
pub const MAX_PARTITIONS: u32 = 10_000;

impl BrokerConfig {
    /// Rejects combinations that cannot work, naming the flag to change.
    pub fn validate(&self) -> Result<(), String> {
        if self.max_record_bytes == 0 {
            return Err("--max-record-bytes must be greater than zero".into());
        }
        if self.max_request_bytes < self.max_record_bytes {
            return Err("--max-request-bytes must be at least --max-record-bytes".into());
        }
        if self.max_inflight_bytes < self.max_request_bytes {
            return Err("the in-flight byte limit must be at least --max-request-bytes".into());
        }
        let g = self.groups;
        if g.min_session_timeout.is_zero() || g.min_session_timeout > g.max_session_timeout {
            return Err("--group-min-session-timeout must be > 0 and <= --group-max-session-timeout".into());
        }
        if self.max_connections == 0 || self.max_streams_per_connection == 0 {
            return Err("--max-connections and --max-streams-per-connection must be greater than zero".into());
        }
        if self.retention_check_interval.is_zero() {
            return Err("--retention-check-interval must be greater than zero".into());
        }
        if self.producers.expiry.is_zero() {
            return Err("--producer-id-expiry must be greater than zero".into());
        }
        if self.producers.max_bytes < 1 << 20 {
            return Err("--max-producer-state must be at least 1MiB".into());
        }
        if !(1..=MAX_PARTITIONS).contains(&self.default_partitions) {
            return Err(format!("--default-partitions must be within 1..={MAX_PARTITIONS}"));
        }
        Ok(())
    }
}

/// The server process: the broker plus where it listens.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub listen: SocketAddr,
    pub broker: BrokerConfig,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_fsync_policies() {
        assert_eq!("always".parse(), Ok(FsyncPolicy::Always));
        assert_eq!("never".parse(), Ok(FsyncPolicy::Never));
        assert_eq!("interval=250ms".parse(), Ok(FsyncPolicy::Interval(Duration::from_millis(250))));
        assert!("interval=0s".parse::<FsyncPolicy>().is_err());
        assert!("sometimes".parse::<FsyncPolicy>().unwrap_err().contains("always"));
    }

    #[test]
    fn parses_human_sizes() {
        assert_eq!(parse_size("1MiB"), Ok(1 << 20));
        assert_eq!(parse_size("64KiB"), Ok(64 << 10));
        assert_eq!(parse_size("10MB"), Ok(10_000_000));
        assert_eq!(parse_size("4096"), Ok(4096));
        assert!(parse_size("1XB").unwrap_err().contains("unknown size unit"));
        assert!(parse_size("99999999999TiB").is_err());
    }

    #[test]
    fn parses_human_durations() {
        assert_eq!(parse_duration("7d"), Ok(Duration::from_secs(7 * 86_400)));
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert!(parse_duration("soon").is_err());
    }

    #[test]
    fn parses_retention_limits() {
        assert_eq!(parse_retention_ms("7d"), Ok(7 * 86_400_000));
        assert_eq!(parse_retention_ms("none"), Ok(-1));
        assert!(parse_retention_ms("0s").is_err());
        assert_eq!(parse_retention_bytes("1GiB"), Ok(1 << 30));
        assert_eq!(parse_retention_bytes("-1"), Ok(-1));
        assert!(parse_retention_bytes("0").is_err());
    }

    #[test]
    fn validate_names_the_flag() {
        let config = BrokerConfig { max_request_bytes: 10, ..BrokerConfig::default() };
        assert!(config.validate().unwrap_err().contains("--max-request-bytes"));
        assert!(BrokerConfig::default().validate().is_ok());
    }
}
