//! A broker that stops answering while it is being given a copy of a shard: the shard's leader
//! takes it out again after a while, instead of waiting for good with the shard's log trims
//! (and the removal or the copies balancer that asked for the copy) held back.
use std::time::Duration;

use strata::proto::{self, peer};
use tonic::Code;

use crate::cluster::{Cluster, status_once};

/// Four brokers, each data shard on three of them.
const BROKERS: usize = 4;
const SHARD: u64 = 1;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broker_frozen_while_given_a_copy_is_taken_out_of_the_shard_again() {
    let mut cluster = Cluster::start_with(BROKERS, &["--default-replication-factor", "3"]);
    let status = shard_status_once_led(&cluster, 0).await;
    let mut members = shard_of(&status).members.clone();
    members.sort_unstable();
    let target = (1..=BROKERS as u64).find(|id| !members.contains(id)).expect("a broker without the shard");
    let broker = status.brokers.iter().find(|b| b.id == target).expect("listed").clone();
    // A member of the shard is asked, as a removal or the balancer asks the shard's leader.
    let asked = members[0] as usize - 1;

    // Frozen (alive to the kernel, silent to its peers), then given a copy of the shard.
    cluster.pause(target as usize - 1);
    let refused = copy_to(&cluster, asked, &status.cluster_id, &broker).await.expect_err("the copy never completes");
    assert_eq!(refused.code(), Code::FailedPrecondition, "{}", refused.message());
    assert!(refused.message().contains("stopped answering"), "says why: {}", refused.message());
    let after = shard_status_once_led(&cluster, asked).await;
    let shard = shard_of(&after);
    assert!(shard.learners.is_empty(), "taken out again: {shard:?}");
    let mut members_after = shard.members.clone();
    members_after.sort_unstable();
    assert_eq!(members_after, members, "the shard's members are as before");

    // Thawed, it can be given the copy.
    cluster.resume(target as usize - 1);
    copy_to(&cluster, asked, &status.cluster_id, &broker).await.expect("copied once it answers");
    let copied = shard_status_once_led(&cluster, asked).await;
    assert!(shard_of(&copied).members.contains(&target), "{copied:?}");
}

/// The cluster's status as broker `asked` sees it, once the data shard has a leader (bounded:
/// 60 s).
async fn shard_status_once_led(cluster: &Cluster, asked: usize) -> proto::ClusterStatusResponse {
    let led =
        |status: &proto::ClusterStatusResponse| status.shards.iter().any(|s| s.shard == SHARD && s.leader.is_some());
    status_once(&cluster.addr(asked).to_string(), &format!("a leader of shard {SHARD}"), led).await
}

fn shard_of(status: &proto::ClusterStatusResponse) -> &proto::ShardStatus {
    status.shards.iter().find(|s| s.shard == SHARD).expect("the shard is listed")
}

/// Asks broker `asked` to give `broker` a copy of the shard, as a removal or the copies
/// balancer does; sent again while the shard elects a leader (bounded).
async fn copy_to(
    cluster: &Cluster,
    asked: usize,
    cluster_id: &str,
    broker: &proto::BrokerStatus,
) -> Result<(), tonic::Status> {
    let address = format!("http://{}", cluster.peer(asked));
    let mut member = peer::peer_client::PeerClient::connect(address).await.expect("peer");
    let node = peer::Node {
        peer_addr: broker.peer_address.clone(),
        client_addr: broker.address.clone(),
        kafka_addr: String::new(),
    };
    let change = peer::ChangeMembersRequest {
        group: SHARD,
        node_id: broker.id,
        add: Some(node),
        copy: true,
        ..Default::default()
    };
    let mut answer = Err(tonic::Status::unavailable("not asked"));
    // Bounded: freezing broker 1 costs the metadata shard its leader, and an election.
    for _ in 0..30 {
        let mut request = tonic::Request::new(change.clone());
        request.set_timeout(Duration::from_secs(120));
        request.metadata_mut().insert("strata-cluster-id", cluster_id.parse().expect("an ASCII cluster id"));
        answer = member.change_members(request).await.map(drop);
        match &answer {
            Err(status) if status.code() == Code::Unavailable => tokio::time::sleep(Duration::from_secs(1)).await,
            _ => break,
        }
    }
    answer
}
