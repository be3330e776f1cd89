//! A consumer-group member: joins, heartbeats in the background, reads its assigned partitions
//! from the committed offsets, and commits (every interval, or when asked).
//!
//! Hand-off is cooperative: when the broker takes a partition away, the heartbeat task first
//! commits the position reached in it, then stops reading it and reports the release; records
//! fetched from it after that are dropped. So, with nobody failing, every record is delivered
//! once across the group; after a member dies, its successor resumes from the last commit
//! (at least once).
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::Mutex;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tonic::{Code, Status};

use super::Connection;
use super::consumer::fetch_through_failover;
use super::membership::{Membership, Tp, commit_positions, heartbeat_loop, rejoin};
use super::position::{is_out_of_range, reset_offset, starting_offset};
use crate::proto;

/// Where to start when the group has no committed offset for a partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AutoOffsetReset {
    #[default]
    Earliest,
    Latest,
}

#[derive(Debug, Clone)]
pub struct GroupConsumerConfig {
    pub group: String,
    pub topics: Vec<String>,
    pub client_id: String,
    /// 0 = the broker's default.
    pub session_timeout: Duration,
    pub auto_offset_reset: AutoOffsetReset,
    /// Commit positions this often during `poll`; `None` = only on `commit()` and hand-offs.
    pub auto_commit_interval: Option<Duration>,
    /// How long `poll` waits for data when every partition is caught up.
    pub max_wait: Duration,
}

impl GroupConsumerConfig {
    pub fn new(group: &str, topics: &[&str]) -> Self {
        GroupConsumerConfig {
            group: group.into(),
            topics: topics.iter().map(|t| t.to_string()).collect(),
            client_id: "strata-rust".into(),
            session_timeout: Duration::ZERO,
            auto_offset_reset: AutoOffsetReset::Earliest,
            auto_commit_interval: Some(Duration::from_secs(5)),
            max_wait: Duration::from_millis(200),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsumedRecord {
    pub topic: String,
    pub partition: u32,
    pub offset: i64,
    pub timestamp_ms: i64,
    pub key: Option<Bytes>,
    pub value: Bytes,
    pub headers: BTreeMap<String, Bytes>,
}

impl ConsumedRecord {
    pub fn from_stored(topic: &str, partition: u32, r: proto::StoredRecord) -> Self {
        ConsumedRecord {
            topic: topic.to_string(),
            partition,
            offset: r.offset,
            timestamp_ms: r.timestamp_ms,
            key: r.key,
            value: r.value,
            headers: r.headers,
        }
    }
}

pub struct GroupConsumer {
    client: Connection,
    config: GroupConsumerConfig,
    state: Arc<Mutex<Membership>>,
    stop: CancellationToken,
    heartbeats: tokio::task::JoinHandle<()>,
    last_commit: Instant,
    next_partition: usize,
}

impl GroupConsumer {
    /// Joins the group and starts heartbeating.
    pub async fn join(client: Connection, config: GroupConsumerConfig) -> Result<Self, Status> {
        let state = Arc::new(Mutex::new(Membership::default()));
        let mut joining = client.clone();
        rejoin(&mut joining, &config, &mut *state.lock().await).await?;
        let stop = CancellationToken::new();
        let heartbeats = tokio::spawn(heartbeat_loop(client.clone(), config.clone(), state.clone(), stop.clone()));
        Ok(GroupConsumer { client, config, state, stop, heartbeats, last_commit: Instant::now(), next_partition: 0 })
    }

    pub async fn member_id(&self) -> String {
        self.state.lock().await.member_id.clone()
    }

    /// The partitions assigned now.
    pub async fn assignment(&self) -> BTreeSet<Tp> {
        self.state.lock().await.positions.keys().cloned().collect()
    }

    /// The next records from the assigned partitions (empty if none arrived within `max_wait`).
    pub async fn poll(&mut self) -> Result<Vec<ConsumedRecord>, Status> {
        self.maybe_auto_commit().await;
        let assigned: Vec<Tp> = self.assignment().await.into_iter().collect();
        if assigned.is_empty() {
            tokio::time::sleep(self.config.max_wait).await;
            return Ok(Vec::new());
        }
        for i in 0..assigned.len() {
            let tp = &assigned[(self.next_partition + i) % assigned.len()];
            let last = i + 1 == assigned.len();
            let wait = if last { self.config.max_wait } else { Duration::ZERO };
            let records = match self.fetch_partition(tp, wait).await {
                // Its topic was deleted: the next heartbeat takes the partition away.
                Err(status) if status.code() == Code::NotFound => continue,
                other => other?,
            };
            if !records.is_empty() {
                self.next_partition = (self.next_partition + i + 1) % assigned.len();
                return Ok(records);
            }
        }
        Ok(Vec::new())
    }

    /// Fetches from one partition and advances its position, unless it was revoked meanwhile.
    async fn fetch_partition(&mut self, tp: &Tp, wait: Duration) -> Result<Vec<ConsumedRecord>, Status> {
        let Some(offset) = self.position(tp).await? else { return Ok(Vec::new()) };
        let request = proto::FetchRequest {
            topic: tp.0.clone(),
            partition: tp.1,
            offset,
            max_bytes: 0,
            max_wait_ms: wait.as_millis() as u32,
        };
        let response = match fetch_through_failover(&mut self.client, request).await {
            Ok(r) => r,
            Err(status) if is_out_of_range(&status) => {
                let reset = reset_offset(&mut self.client, &tp.0, tp.1, self.config.auto_offset_reset).await?;
                self.advance(tp, offset, reset).await;
                return Ok(Vec::new());
            }
            Err(status) => return Err(status),
        };
        let Some(last) = response.records.last() else { return Ok(Vec::new()) };
        if !self.advance(tp, offset, last.offset + 1).await {
            return Ok(Vec::new()); // revoked while fetching: the new owner reads these
        }
        Ok(response.records.into_iter().map(|r| ConsumedRecord::from_stored(&tp.0, tp.1, r)).collect())
    }

    /// The partition's position, looking it up on first use; `None` if no longer assigned.
    async fn position(&mut self, tp: &Tp) -> Result<Option<i64>, Status> {
        if let Some(known) = self.state.lock().await.positions.get(tp).copied() {
            if known.is_some() {
                return Ok(known);
            }
        } else {
            return Ok(None);
        }
        let start =
            starting_offset(&mut self.client, &self.config.group, &tp.0, tp.1, self.config.auto_offset_reset).await?;
        let mut state = self.state.lock().await;
        Ok(match state.positions.get_mut(tp) {
            Some(slot @ None) => {
                *slot = Some(start);
                // Commit the start too: a later owner must not reset again (to a newer "latest")
                // and skip what arrived in between.
                state.dirty.insert(tp.clone());
                Some(start)
            }
            Some(Some(existing)) => Some(*existing),
            None => None,
        })
    }

    /// Moves `tp` from `from` to `to` if it is still assigned at `from`.
    async fn advance(&self, tp: &Tp, from: i64, to: i64) -> bool {
        let mut state = self.state.lock().await;
        match state.positions.get_mut(tp) {
            Some(slot) if *slot == Some(from) => {
                *slot = Some(to);
                state.dirty.insert(tp.clone());
                true
            }
            _ => false,
        }
    }

    /// Auto-commit failures are logged, not returned (as in Kafka): the next one retries, and
    /// hand-offs commit on their own.
    async fn maybe_auto_commit(&mut self) {
        if let Some(every) = self.config.auto_commit_interval
            && self.last_commit.elapsed() >= every
            && let Err(status) = self.commit().await
        {
            tracing::warn!(group = %self.config.group, %status, "auto-commit failed");
        }
    }

    /// Moves an assigned partition's position back (or forward) to `offset`, e.g. to give back
    /// records a poll returned but the application did not process. Returns false if the
    /// partition is not assigned.
    pub async fn seek(&mut self, topic: &str, partition: u32, offset: i64) -> bool {
        let mut state = self.state.lock().await;
        let tp = (topic.to_string(), partition);
        match state.positions.get_mut(&tp) {
            Some(slot) => {
                *slot = Some(offset);
                state.dirty.insert(tp);
                true
            }
            None => false,
        }
    }

    /// Commits the position of every assigned partition read since the last commit.
    pub async fn commit(&mut self) -> Result<(), Status> {
        self.last_commit = Instant::now();
        let mut state = self.state.lock().await;
        let dirty: Vec<Tp> = state.dirty.iter().cloned().collect();
        commit_positions(&mut self.client, &self.config.group, &mut state, &dirty).await
    }

    /// Commits, leaves the group (its partitions move at once) and stops heartbeating.
    pub async fn close(mut self) -> Result<(), Status> {
        let committed = self.commit().await;
        self.stop.cancel();
        let _ = (&mut self.heartbeats).await;
        let member_id = self.state.lock().await.member_id.clone();
        let request = proto::LeaveGroupRequest { group: self.config.group.clone(), member_id };
        // Leave even if the commit failed, so the partitions move now, not after the session.
        let left = self.client.leave_group(request).await;
        committed?;
        left?;
        Ok(())
    }

    /// Stops without committing or leaving, as a crashed process would: the broker moves its
    /// partitions when its session expires.
    pub fn abandon(self) {
        self.stop.cancel();
        self.heartbeats.abort();
    }
}

impl Drop for GroupConsumer {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}
