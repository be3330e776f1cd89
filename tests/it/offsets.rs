//! Committed consumer offsets.
use strata::proto;
use tonic::Code;

use crate::support::*;

pub fn commit(group: &str, topic: &str, offsets: &[(u32, i64)]) -> proto::CommitOffsetsRequest {
    proto::CommitOffsetsRequest {
        group: group.into(),
        topic: topic.into(),
        offsets: offsets
            .iter()
            .map(|(partition, offset)| proto::OffsetCommit {
                partition: *partition,
                offset: *offset,
                metadata: format!("m{offset}"),
            })
            .collect(),
        member_id: None,
        member_epoch: None,
    }
}

pub async fn committed(client: &mut Client, group: &str, topic: &str) -> Vec<(u32, i64, String)> {
    let request = proto::FetchCommittedOffsetsRequest { group: group.into(), topic: topic.into(), partitions: vec![] };
    let response = client.fetch_committed_offsets(request).await.expect("fetch committed").into_inner();
    response.offsets.into_iter().map(|o| (o.partition, o.offset, o.metadata)).collect()
}

#[tokio::test]
async fn commits_are_read_back_per_group_with_minus_one_for_none() {
    let broker = TestBroker::start().await;
    let mut client = broker.client().await;
    create_topic(&mut client, "t", 3).await;
    produce_to(&mut client, "t", 0, vec![record("a"), record("b")]).await;
    produce_to(&mut client, "t", 2, vec![record("c")]).await;

    client.commit_offsets(commit("g1", "t", &[(0, 2), (2, 1)])).await.expect("commit");
    client.commit_offsets(commit("g2", "t", &[(0, 1)])).await.expect("commit");
    client.commit_offsets(commit("g1", "t", &[(0, 1)])).await.expect("a commit may move back");

    assert_eq!(
        committed(&mut client, "g1", "t").await,
        vec![(0, 1, "m1".into()), (1, -1, String::new()), (2, 1, "m1".into())]
    );
    assert_eq!(committed(&mut client, "g2", "t").await[0], (0, 1, "m1".into()));
    let only = proto::FetchCommittedOffsetsRequest { group: "g1".into(), topic: "t".into(), partitions: vec![2] };
    let response = client.fetch_committed_offsets(only).await.expect("fetch").into_inner();
    assert_eq!(response.offsets.len(), 1);
    assert_eq!(response.offsets[0].offset, 1);
}

#[tokio::test]
async fn bad_commits_are_rejected_and_change_nothing() {
    let broker = TestBroker::start().await;
    let mut client = broker.client().await;
    create_topic(&mut client, "t", 2).await;
    produce_to(&mut client, "t", 0, vec![record("a")]).await;

    let past_end = client.commit_offsets(commit("g", "t", &[(0, 1), (1, 5)])).await.unwrap_err();
    assert_eq!(past_end.code(), Code::OutOfRange);
    let unknown_partition = client.commit_offsets(commit("g", "t", &[(7, 0)])).await.unwrap_err();
    assert_eq!(unknown_partition.code(), Code::NotFound);
    let unknown_topic = client.commit_offsets(commit("g", "nope", &[(0, 0)])).await.unwrap_err();
    assert_eq!(unknown_topic.code(), Code::NotFound);
    let empty_group = client.commit_offsets(commit("", "t", &[(0, 0)])).await.unwrap_err();
    assert_eq!(empty_group.code(), Code::InvalidArgument);
    assert_eq!(committed(&mut client, "g", "t").await.iter().filter(|c| c.1 != -1).count(), 0);
}

#[tokio::test]
async fn deleting_a_topic_deletes_its_committed_offsets() {
    let broker = TestBroker::start().await;
    let mut client = broker.client().await;
    create_topic(&mut client, "t", 1).await;
    create_topic(&mut client, "other", 1).await;
    produce_to(&mut client, "t", 0, vec![record("a")]).await;
    produce_to(&mut client, "other", 0, vec![record("a")]).await;
    client.commit_offsets(commit("g", "t", &[(0, 1)])).await.expect("commit");
    client.commit_offsets(commit("g", "other", &[(0, 1)])).await.expect("commit");
    client.delete_topic(proto::DeleteTopicRequest { name: "t".into() }).await.expect("delete");
    create_topic(&mut client, "t", 1).await;
    assert_eq!(committed(&mut client, "g", "t").await, vec![(0, -1, String::new())]);
    assert_eq!(committed(&mut client, "g", "other").await, vec![(0, 1, "m1".into())]);
}
