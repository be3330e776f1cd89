//! The cluster half of `strata.v1.Broker`: Metadata, ClusterStatus, and the placement (leader,
//! replicas, in-sync replicas, leader epoch) every topic description carries. Only a shard's
//! leader knows which of its replicas are in sync, so a broker asks each shard's leader for its
//! view, and keeps its own for a shard whose leader does not answer within a second. A broker
//! that keeps no copy of a partition (its shard is on other brokers) asks its leader for its
//! offsets and size too.
use std::collections::BTreeMap;
use std::time::Duration;

use tonic::metadata::MetadataMap;
use tonic::{Request, Response, Status};

use super::convert;
use super::convert_cluster::{cluster_status, place};
use super::forward::{onward, was_forwarded};
use super::service::BrokerService;
use crate::broker::shards::META_SHARD;
use crate::proto;

/// How long a follower waits for the leader's view before answering with its own.
const LEADER_VIEW_TIMEOUT: Duration = Duration::from_secs(1);

impl BrokerService {
    pub(super) async fn metadata_impl(
        &self,
        request: Request<proto::MetadataRequest>,
    ) -> Result<Response<proto::MetadataResponse>, Status> {
        let (metadata, _, req) = request.into_parts();
        let view = self.cluster_view(&metadata).await;
        let names = if req.topics.is_empty() {
            self.broker.list_topics().into_iter().map(|t| t.name).collect()
        } else {
            req.topics
        };
        let mut topics = Vec::with_capacity(names.len());
        for name in names {
            topics.push(convert::topic(self.broker.describe_topic(&name)?));
        }
        self.place_all(&mut topics, &view, &metadata).await;
        let brokers = view.brokers.iter().map(|b| proto::BrokerAddress { id: b.id, address: b.address.clone() });
        Ok(Response::new(proto::MetadataResponse { brokers: brokers.collect(), topics, cluster_id: view.cluster_id }))
    }

    pub(super) async fn cluster_status_impl(
        &self,
        request: Request<proto::ClusterStatusRequest>,
    ) -> Result<Response<proto::ClusterStatusResponse>, Status> {
        Ok(Response::new(self.cluster_view(request.metadata()).await))
    }

    /// `topic` with its partitions' placement filled in.
    pub(super) async fn placed(&self, topic: proto::Topic, metadata: &MetadataMap) -> proto::Topic {
        let mut placed = self.placed_all(vec![topic], metadata).await;
        placed.pop().unwrap_or_default()
    }

    pub(super) async fn placed_all(&self, mut topics: Vec<proto::Topic>, metadata: &MetadataMap) -> Vec<proto::Topic> {
        let view = self.cluster_view(metadata).await;
        self.place_all(&mut topics, &view, metadata).await;
        topics
    }

    /// Places every partition of `topics`; those this broker keeps no copy of get their log's
    /// offsets and size from their leader (unless this call was forwarded: the caller asks).
    async fn place_all(
        &self,
        topics: &mut [proto::Topic],
        view: &proto::ClusterStatusResponse,
        metadata: &MetadataMap,
    ) {
        for topic in topics.iter_mut() {
            self.place(topic, view);
        }
        let me = view.answered_by;
        let elsewhere = |p: &proto::PartitionInfo| !p.replicas.is_empty() && !p.replicas.contains(&me);
        let mut leaders: BTreeMap<u64, String> = BTreeMap::new();
        let mut names = Vec::new();
        for topic in topics.iter() {
            for partition in topic.partitions.iter().filter(|p| elsewhere(p)) {
                let addr = view.brokers.iter().find(|b| Some(b.id) == partition.leader).map(|b| b.address.clone());
                leaders.extend(partition.leader.zip(addr));
                if names.last() != Some(&topic.name) {
                    names.push(topic.name.clone());
                }
            }
        }
        if was_forwarded(metadata) || leaders.is_empty() {
            return;
        }
        let names = &names;
        let asked = leaders.iter().map(|(id, addr)| async move { (*id, self.leader_topics(addr, names).await) });
        for (leader, answer) in futures::future::join_all(asked).await {
            let Some(theirs) = answer else { continue };
            take_led_partitions(topics, leader, theirs);
        }
    }

    /// The topics `names` as the broker at `addr` stores them, if it answers within a second.
    async fn leader_topics(&self, addr: &str, names: &[String]) -> Option<Vec<proto::Topic>> {
        let asked = async {
            let mut client = self.forward.client(addr)?;
            client.metadata(onward(proto::MetadataRequest { topics: names.to_vec() })).await
        };
        match tokio::time::timeout(LEADER_VIEW_TIMEOUT, asked).await {
            Ok(Ok(answer)) => Some(answer.into_inner().topics),
            _ => None,
        }
    }

    /// Fills in where each of `topic`'s partitions is, from the shard that carries it.
    fn place(&self, topic: &mut proto::Topic, view: &proto::ClusterStatusResponse) {
        let Ok(known) = self.broker.topic(&topic.name) else { return };
        let shards = self.broker.shards();
        place(topic, view, |partition| shards.of_partition(known.meta.id, partition));
    }

    /// This broker's own view, with the partitions each shard carries.
    fn local_view(&self) -> proto::ClusterStatusResponse {
        let mut local = cluster_status(self.broker.cluster_status(), &self.advertised);
        let shards = self.broker.shards();
        for topic in self.broker.topics_snapshot() {
            for partition in 0..topic.meta.partitions {
                let carrier = shards.of_partition(topic.meta.id, partition);
                if let Some(shard) = local.shards.iter_mut().find(|s| s.shard == carrier) {
                    shard.partitions += 1;
                }
            }
        }
        local
    }

    /// The cluster as its leaders see it: each shard's status from its leader (the brokers
    /// from the metadata shard's), this broker's own for any that does not answer in time.
    async fn cluster_view(&self, metadata: &MetadataMap) -> proto::ClusterStatusResponse {
        let mut view = self.local_view();
        if was_forwarded(metadata) {
            return view;
        }
        let mut leaders: Vec<String> = Vec::new();
        for shard in &view.shards {
            let addr = view.brokers.iter().find(|b| Some(b.id) == shard.leader && b.id != view.answered_by);
            if let Some(addr) = addr.map(|b| b.address.clone()).filter(|a| !leaders.contains(a)) {
                leaders.push(addr);
            }
        }
        let asked = leaders.iter().map(|addr| self.leader_view(addr));
        for answer in futures::future::join_all(asked).await.into_iter().flatten() {
            take_led_shards(&mut view, answer);
        }
        view
    }

    /// A leader's own view, if it answers within a second.
    async fn leader_view(&self, addr: &str) -> Option<proto::ClusterStatusResponse> {
        let asked = async {
            let mut client = self.forward.client(addr)?;
            client.cluster_status(onward(proto::ClusterStatusRequest {})).await
        };
        match tokio::time::timeout(LEADER_VIEW_TIMEOUT, asked).await {
            Ok(Ok(answer)) => Some(answer.into_inner()),
            _ => None,
        }
    }
}

/// Takes from `leader`'s topics the log offsets and sizes of the partitions it leads.
fn take_led_partitions(topics: &mut [proto::Topic], leader: u64, theirs: Vec<proto::Topic>) {
    for their_topic in theirs {
        let Some(mine) = topics.iter_mut().find(|t| t.name == their_topic.name) else { continue };
        for their in their_topic.partitions.into_iter().filter(|p| p.leader == Some(leader)) {
            if let Some(p) = mine.partitions.iter_mut().find(|p| p.partition == their.partition) {
                (p.log_start_offset, p.high_watermark, p.size_bytes) =
                    (their.log_start_offset, their.high_watermark, their.size_bytes);
            }
        }
    }
}

/// Takes from a leader's view the shards it leads (and, from the metadata shard's leader, the
/// brokers as it knows them).
fn take_led_shards(view: &mut proto::ClusterStatusResponse, answer: proto::ClusterStatusResponse) {
    let leader = answer.answered_by;
    for theirs in answer.shards.into_iter().filter(|s| s.leader == Some(leader)) {
        if theirs.shard == META_SHARD {
            view.brokers.clone_from(&answer.brokers);
        }
        if let Some(mine) = view.shards.iter_mut().find(|s| s.shard == theirs.shard) {
            *mine = proto::ShardStatus { partitions: mine.partitions, ..theirs };
        }
    }
}
