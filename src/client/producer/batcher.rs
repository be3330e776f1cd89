//! The producer's task: groups records into per-partition batches, sends ready ones (one in
//! flight per partition), and with idempotence keeps the sequences and renews the producer's
//! identity when they can no longer be trusted.
use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};

use tokio::sync::{mpsc, oneshot};
use tokio::task::{Id, JoinSet};
use tokio::time::Instant;
use tonic::Status;

use super::send::{Sent, send_batch};
use super::sequences::{Sequences, init_producer_id};
use super::{Command, Delivery, ProducerConfig};
use crate::client::Connection;
use crate::proto;
use crate::records::partitioner::partition_for_key;

pub(super) struct Batch {
    pub records: Vec<proto::Record>,
    pub deliveries: Vec<Delivery>,
    bytes: usize,
    since: Instant,
    /// When retrying stops (idempotent sends; set at the first attempt).
    pub deadline: Option<Instant>,
    /// How often this batch made the producer renew its id.
    pub renewals: u32,
}

type Renewed = Result<proto::InitProducerIdResponse, Status>;

pub(super) struct Batcher {
    client: Connection,
    topic: String,
    partitions: u32,
    config: ProducerConfig,
    /// Per partition, batches waiting to be sent, oldest first; only the last one grows.
    open: BTreeMap<u32, VecDeque<Batch>>,
    in_flight: BTreeSet<u32>,
    /// The partition each send task is for, so a task that panicked frees its partition.
    tasks: HashMap<Id, u32>,
    sticky: u32,
    flushes: Vec<oneshot::Sender<()>>,
    /// With idempotence: the producer's identity and sequences.
    sequences: Option<Sequences>,
    /// The identity must be renewed once nothing is in flight; nothing is sent until then.
    renewing: bool,
    /// Set once fenced: every later send fails with it.
    fenced: Option<Status>,
}

impl Batcher {
    pub fn new(
        client: Connection,
        topic: String,
        partitions: u32,
        config: ProducerConfig,
        sequences: Option<Sequences>,
    ) -> Self {
        Batcher {
            client,
            topic,
            partitions,
            config,
            open: BTreeMap::new(),
            in_flight: BTreeSet::new(),
            tasks: HashMap::new(),
            sticky: 0,
            flushes: Vec::new(),
            sequences,
            renewing: false,
            fenced: None,
        }
    }

    pub async fn run(mut self, mut commands: mpsc::Receiver<Command>) {
        let mut sending: JoinSet<(u32, Sent)> = JoinSet::new();
        let mut renewals: JoinSet<Renewed> = JoinSet::new();
        let mut closed = false;
        loop {
            // Renew only with nothing in flight (no answer under the old identity can come
            // later) and something to send (a broker that stays away costs nothing meanwhile).
            let idle = renewals.is_empty() && sending.is_empty() && !self.open.is_empty();
            if let Some(sequences) = self.sequences.as_ref().filter(|_| self.renewing && idle) {
                renewals.spawn(init_producer_id(self.client.clone(), sequences.renewal(), self.config.clone()));
            }
            self.dispatch(&mut sending);
            if closed && self.open.is_empty() && sending.is_empty() {
                return;
            }
            if self.open.is_empty() && sending.is_empty() {
                for flushed in self.flushes.drain(..) {
                    let _ = flushed.send(());
                }
            }
            let linger = self.next_deadline();
            let lingering = linger.is_some();
            let linger = linger.unwrap_or_else(Instant::now);
            tokio::select! {
                command = commands.recv(), if !closed => match command {
                    Some(Command::Send { record, partition, done }) => self.add(record, partition, done),
                    Some(Command::Flush(done)) => self.flushes.push(done),
                    None => closed = true,
                },
                Some(done) = sending.join_next_with_id(), if !sending.is_empty() => {
                    let task = done.as_ref().map_or_else(|e| e.id(), |(id, _)| *id);
                    if let Some(partition) = self.tasks.remove(&task) {
                        self.in_flight.remove(&partition);
                    }
                    if let Ok((_, (partition, sent))) = done {
                        self.sent(partition, sent);
                    }
                }
                Some(done) = renewals.join_next(), if !renewals.is_empty() => {
                    let renewed = done.unwrap_or_else(|e| Err(Status::internal(format!("renewing the producer id: {e}"))));
                    self.renewed(renewed);
                }
                _ = tokio::time::sleep_until(linger), if lingering => {}
            }
        }
    }

    fn add(&mut self, record: proto::Record, explicit: Option<u32>, done: Delivery) {
        if let Some(fenced) = &self.fenced {
            let _ = done.send(Err(fenced.clone()));
            return;
        }
        let partition = match (explicit, &record.key) {
            (Some(p), _) => p,
            (None, Some(key)) => partition_for_key(key, self.partitions),
            (None, None) => self.sticky,
        };
        let bytes = record.value.len() + record.key.as_ref().map_or(0, |k| k.len());
        let queue = self.open.entry(partition).or_default();
        // A full batch is closed, so a partition waiting on a slow request never builds one
        // larger than the broker accepts.
        if queue.back().is_none_or(|b| b.bytes >= self.config.batch_size) {
            let since = Instant::now();
            queue.push_back(Batch {
                records: Vec::new(),
                deliveries: Vec::new(),
                bytes: 0,
                since,
                deadline: None,
                renewals: 0,
            });
        }
        let Some(batch) = queue.back_mut() else { return };
        batch.records.push(record);
        batch.deliveries.push(done);
        batch.bytes += bytes;
    }

    /// Acts on how a send ended.
    fn sent(&mut self, partition: u32, sent: Sent) {
        match sent {
            Sent::Delivered { stamp: Some(stamp), records } => {
                if let Some(sequences) = &mut self.sequences {
                    sequences.advance(partition, stamp, records);
                }
            }
            Sent::Delivered { stamp: None, .. } | Sent::Failed => {}
            Sent::Renew(batch) => match &self.fenced {
                Some(fenced) => batch.fail(fenced),
                None => {
                    self.open.entry(partition).or_default().push_front(batch);
                    self.renewing = true;
                }
            },
            Sent::Unresolved => self.renewing = self.fenced.is_none(),
            Sent::Fenced(status) => self.fence(status),
        }
    }

    /// A newer instance took over: fail what waits and everything sent later.
    fn fence(&mut self, status: Status) {
        self.fail_open(&status);
        self.renewing = false;
        self.fenced = Some(status);
    }

    fn renewed(&mut self, renewed: Renewed) {
        match renewed {
            Ok(identity) if self.fenced.is_none() => {
                if let Some(sequences) = &mut self.sequences {
                    sequences.renewed(identity);
                }
                self.renewing = false;
            }
            Ok(_) => {}
            Err(status) if status.code() == tonic::Code::FailedPrecondition => self.fence(status),
            // The broker stayed away for the delivery timeout: what waits fails, and the next
            // record sent tries again.
            Err(status) => self.fail_open(&status),
        }
    }

    fn fail_open(&mut self, status: &Status) {
        for batch in std::mem::take(&mut self.open).into_values().flatten() {
            batch.fail(status);
        }
    }

    /// When the next batch that could be sent becomes ready by lingering; `None` if every
    /// waiting batch is blocked behind an in-flight request or a renewal (their completion
    /// wakes the loop).
    fn next_deadline(&self) -> Option<Instant> {
        if self.in_flight.len() >= self.config.max_in_flight || self.renewing {
            return None;
        }
        self.open
            .iter()
            .filter(|(p, _)| !self.in_flight.contains(p))
            .filter_map(|(_, queue)| queue.front().map(|b| b.since + self.config.linger))
            .min()
    }

    /// Sends every batch that is ready and whose partition has nothing in flight.
    fn dispatch(&mut self, sending: &mut JoinSet<(u32, Sent)>) {
        if self.renewing {
            return;
        }
        let flushing = !self.flushes.is_empty();
        let ready: Vec<u32> = self
            .open
            .iter()
            .filter(|(p, queue)| {
                let Some(b) = queue.front() else { return false };
                let full = queue.len() > 1 || b.bytes >= self.config.batch_size || b.deadline.is_some();
                !self.in_flight.contains(p) && (flushing || full || b.since.elapsed() >= self.config.linger)
            })
            .map(|(p, _)| *p)
            .collect();
        for partition in ready {
            if self.in_flight.len() >= self.config.max_in_flight {
                return;
            }
            let Some(queue) = self.open.get_mut(&partition) else { continue };
            let Some(batch) = queue.pop_front() else { continue };
            if queue.is_empty() {
                self.open.remove(&partition);
            }
            if partition == self.sticky {
                self.sticky = (self.sticky + 1) % self.partitions; // a new batch, a new sticky partition
            }
            self.in_flight.insert(partition);
            let stamp = self.sequences.as_ref().map(|s| s.stamp(partition));
            let (client, topic, config) = (self.client.clone(), self.topic.clone(), self.config.clone());
            let task = sending.spawn(async move {
                let sent = send_batch(client, topic, partition, batch, &config, stamp).await;
                (partition, sent)
            });
            self.tasks.insert(task.id(), partition);
        }
    }
}
