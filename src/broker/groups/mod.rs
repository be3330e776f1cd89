//! Consumer groups, coordinated in the broker (KIP-848 style): members join with their
//! subscriptions, the coordinator computes a balanced, sticky assignment, and partitions move
//! cooperatively: never owned twice, never stopping the partitions that do not move.
//! Membership lives in memory (members rejoin after a restart); committed offsets are durable.
mod assignor;
mod group;
mod ops;

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub use group::GroupState;
pub use ops::{GroupDescription, GroupListing, GroupOffsetLag, MemberDescription, Membership};

use group::Group;

/// Session timeout bounds and the default, as server flags set them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupConfig {
    pub min_session_timeout: Duration,
    pub max_session_timeout: Duration,
    /// Used when a member asks for 0.
    pub default_session_timeout: Duration,
}

impl Default for GroupConfig {
    fn default() -> Self {
        GroupConfig {
            min_session_timeout: Duration::from_secs(6),
            max_session_timeout: Duration::from_secs(30 * 60),
            default_session_timeout: Duration::from_secs(45),
        }
    }
}

/// Every group's membership.
#[derive(Debug, Default)]
pub struct Coordinator {
    groups: Mutex<HashMap<String, Group>>,
    next_member: AtomicU64,
}

impl Coordinator {
    fn with_groups<T>(&self, f: impl FnOnce(&mut HashMap<String, Group>) -> T) -> T {
        f(&mut self.groups.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// A member id unique across restarts of this broker.
    fn new_member_id(&self) -> String {
        let boot = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64);
        format!("m-{boot:x}-{}", self.next_member.fetch_add(1, Ordering::Relaxed))
    }

    /// Whether a member of `group` subscribes to `topic`.
    pub fn subscribed(&self, group: &str, topic: &str) -> bool {
        self.with_groups(|groups| {
            groups.get(group).is_some_and(|g| g.members.values().any(|m| m.topics.contains(topic)))
        })
    }

    pub fn has_members(&self, group: &str) -> bool {
        self.with_groups(|groups| groups.get(group).is_some_and(|g| !g.members.is_empty()))
    }

    /// Removes members whose session expired, in every group.
    pub fn expire_sessions(&self) {
        let now = tokio::time::Instant::now();
        self.with_groups(|groups| {
            for group in groups.values_mut() {
                for id in group.expire(now) {
                    tracing::info!(group = %group.name, member = %id, "session expired; member removed");
                }
            }
        });
    }
}

/// Sweeps expired sessions until shutdown.
pub fn spawn_session_sweeper(broker: std::sync::Arc<super::Broker>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(Duration::from_millis(100));
        loop {
            tokio::select! {
                _ = broker.shutdown.cancelled() => return,
                _ = ticks.tick() => {
                    broker.groups.expire_sessions();
                    broker.classic.expire_sessions();
                }
            }
        }
    })
}
