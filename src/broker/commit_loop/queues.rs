//! One commit loop per shard, and the queue in front of each: a job goes to the loop of the
//! shard that carries what it changes (`Shards::of_op`).
use tokio::sync::mpsc;

use super::{Job, Reply};
use crate::broker::shards::Shards;

/// The loop that took a job stopped: the broker is shutting down.
#[derive(Debug)]
pub struct Stopped;

pub struct Queues {
    shards: Shards,
    /// Indexed by shard.
    senders: Vec<mpsc::Sender<Job>>,
}

impl Queues {
    pub fn new(shards: Shards, senders: Vec<mpsc::Sender<Job>>) -> Self {
        debug_assert_eq!(senders.len() as u64, shards.count());
        Queues { shards, senders }
    }

    /// Queues a job on its shard's loop. An op for every shard (forgetting producers) goes to
    /// each; it must want no answer.
    pub async fn send(&self, job: Job) -> Result<(), Stopped> {
        let Job::Op { op, durable, reply } = job else { return self.stop().await };
        let targets = self.shards.of_op(&op);
        if let [shard] = targets[..] {
            return self.send_to(shard, Job::Op { op, durable, reply }).await;
        }
        debug_assert!(matches!(reply, Reply::Nobody), "an op for every shard has one answer per shard");
        for shard in targets {
            self.send_to(shard, Job::Op { op: op.clone(), durable, reply: Reply::Nobody }).await?;
        }
        Ok(())
    }

    /// Queues a job on `shard`'s loop.
    pub async fn send_to(&self, shard: u64, job: Job) -> Result<(), Stopped> {
        let sender = self.senders.get(shard as usize).ok_or(Stopped)?;
        sender.send(job).await.map_err(|_| Stopped)
    }

    /// Asks every loop to finish what is queued and stop.
    pub async fn stop(&self) -> Result<(), Stopped> {
        for sender in &self.senders {
            let _ = sender.send(Job::Stop).await;
        }
        Ok(())
    }
}
