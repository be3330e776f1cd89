//! Brokers' client addresses follow their restarts. The membership records each broker's
//! client (`--advertise`) and Kafka (`--kafka-advertise`) address when the cluster forms; a
//! broker restarted with others (a new host, a container's new IP) would otherwise be handed
//! out at its old ones. The leader asks every member (Hello, on its unchanged peer address)
//! every few seconds, and records changed addresses in the membership (openraft `SetNodes`,
//! which keeps the voters).
use std::collections::BTreeMap;
use std::time::Duration;

use openraft::ChangeMembers;
use openraft::async_runtime::WatchReceiver;

use super::node::{Asking, hello_once};
use super::types::{BrokerNode, Raft};

/// How often the leader asks the members for their addresses.
const EVERY: Duration = Duration::from_secs(5);
/// How long one member may take to answer.
const ANSWER_WITHIN: Duration = Duration::from_secs(2);

/// Runs on every broker until aborted; acts in each shard it leads, asking each member once
/// per round whatever the number of shards.
pub async fn keep_current(rafts: Vec<Raft>, asking: Asking) {
    let mut ticker = tokio::time::interval(EVERY);
    loop {
        ticker.tick().await;
        let led: Vec<(&Raft, BTreeMap<u64, BrokerNode>)> = rafts
            .iter()
            .filter_map(|raft| {
                let metrics = raft.metrics().borrow_watched().clone();
                let nodes = metrics.membership_config.membership().nodes().map(|(id, n)| (*id, n.clone())).collect();
                (metrics.current_leader == Some(asking.me)).then_some((raft, nodes))
            })
            .collect();
        let mut members: BTreeMap<u64, BrokerNode> = BTreeMap::new();
        for (_, nodes) in &led {
            members.extend(nodes.iter().map(|(id, node)| (*id, node.clone())));
        }
        for (id, known) in members {
            let Some(current) = addresses_now(id, &known, &asking).await else { continue };
            for (raft, nodes) in &led {
                if nodes.get(&id).is_some_and(|recorded| *recorded != current) {
                    record(raft, id, &current).await;
                }
            }
        }
    }
}

/// Records broker `id`'s new addresses in `raft`'s membership.
async fn record(raft: &Raft, id: u64, current: &BrokerNode) {
    tracing::info!(node = id, client = %current.client_addr, kafka = %current.kafka_addr, "a broker's addresses changed; recording them");
    let change = ChangeMembers::SetNodes(BTreeMap::from([(id, current.clone())]));
    if let Err(e) = raft.change_membership(change, true).await {
        tracing::warn!(node = id, error = %e, "recording a broker's new addresses");
    }
}

/// What broker `id` says its addresses are now; `None` if it did not answer, or another broker
/// answered at its peer address.
async fn addresses_now(id: u64, recorded: &BrokerNode, asking: &Asking) -> Option<BrokerNode> {
    let asked = tokio::time::timeout(ANSWER_WITHIN, hello_once(&recorded.peer_addr, asking)).await;
    let answer = asked.ok()?.ok()?;
    (answer.node_id == id).then(|| BrokerNode {
        peer_addr: recorded.peer_addr.clone(),
        client_addr: answer.client_addr,
        kafka_addr: answer.kafka_addr,
    })
}
