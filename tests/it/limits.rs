//! Limits that keep abusive clients from exhausting the broker.
use std::time::Duration;

use strata::proto;
use tonic::transport::Endpoint;

use crate::support::*;

async fn list(client: &mut Client) -> Result<usize, tonic::Status> {
    Ok(client.list_topics(proto::ListTopicsRequest {}).await?.into_inner().topics.len())
}

/// Whether a ListTopics on this one connection is answered.
async fn served_on(channel: tonic::transport::Channel) -> bool {
    proto::broker_client::BrokerClient::new(channel).list_topics(proto::ListTopicsRequest {}).await.is_ok()
}

#[tokio::test]
async fn connections_beyond_the_limit_are_refused_until_one_closes() {
    let broker = TestBroker::start_with(|c| c.max_connections = 2).await;
    let mut a = broker.client().await;
    let mut b = broker.client().await;
    list(&mut a).await.expect("first connection");
    list(&mut b).await.expect("second connection");
    // A third connection is closed on accept: its request fails.
    let endpoint = Endpoint::from_shared(format!("http://{}", broker.addr)).expect("uri");
    let third = match endpoint.connect().await {
        Ok(channel) => !served_on(channel).await,
        Err(_) => true,
    };
    assert!(third, "a third connection must not be served");

    drop(a);
    // Once a connection closes, a new one is served (the server notices the close promptly).
    let mut served = false;
    for _ in 0..100 {
        if let Ok(channel) = endpoint.connect().await
            && served_on(channel).await
        {
            served = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(served, "a freed slot is reused");
    list(&mut b).await.expect("existing connections keep working");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_subscriptions_all_receive_new_records() {
    let broker = TestBroker::start().await;
    let mut client = broker.client().await;
    create_topic(&mut client, "t", 1).await;
    let mut streams = Vec::new();
    for i in 0..1_000 {
        let mut c = if i % 250 == 0 { broker.client().await } else { client.clone() };
        let request = proto::SubscribeRequest { topic: "t".into(), partition: 0, offset: 0, max_bytes: 0 };
        streams.push(c.subscribe(request).await.expect("subscribe").into_inner());
    }
    produce_to(&mut client, "t", 0, vec![record("hello")]).await;
    for mut stream in streams {
        let message = stream.message().await.expect("item").expect("open");
        assert_eq!(message.records[0].value, bytes::Bytes::from("hello"));
    }
}
