//! Hostile clients against a real server process: huge and malformed strings, extreme numbers,
//! and a thousand subscriptions that never read. Each gets a clear status or is held by a limit,
//! the server keeps serving well-behaved clients, and its peak memory stays bounded.
use std::time::Duration;

use strata::proto;
use tonic::Code;

use crate::process::ServerProcess;
use crate::support::*;

/// A request whose field 1 (a `string` in every real message) carries raw bytes.
#[derive(Clone, PartialEq, prost::Message)]
struct RawNameRequest {
    #[prost(bytes = "vec", tag = "1")]
    name: Vec<u8>,
}

async fn raw_describe(addr: std::net::SocketAddr, name: Vec<u8>) -> tonic::Status {
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
        .expect("endpoint")
        .connect()
        .await
        .expect("connect");
    let mut grpc = tonic::client::Grpc::new(channel);
    grpc.ready().await.expect("ready");
    let codec = tonic_prost::ProstCodec::<RawNameRequest, proto::DescribeTopicResponse>::default();
    let path = http::uri::PathAndQuery::from_static("/strata.v1.Broker/DescribeTopic");
    grpc.unary(tonic::Request::new(RawNameRequest { name }), path, codec).await.expect_err("not a valid request")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_and_extreme_requests_get_clear_statuses() {
    let dir = tempfile::tempdir().expect("dir");
    let server = ServerProcess::spawn(&dir.path().join("data"), &[]);
    let mut client = connect(server.addr).await;
    create_topic(&mut client, "t", 1).await;
    produce_to(&mut client, "t", 0, vec![record("kept")]).await;

    // A 10 MB topic name: refused, and the message quoting it stays small.
    let huge = "n".repeat(10 << 20);
    let create = proto::CreateTopicRequest { name: huge.clone(), partitions: 1, config: None, ..Default::default() };
    let status = client.create_topic(create).await.expect_err("10 MB name");
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    assert!(status.message().len() < 2048, "message of {} bytes", status.message().len());
    let status = client.fetch(fetch_request(&huge, 0, 0)).await.expect_err("unknown 10 MB topic");
    assert_eq!(status.code(), Code::NotFound);
    assert!(status.message().len() < 2048 && status.message().contains("truncated"), "{}", status.message());

    // Invalid UTF-8 in a string field: gRPC's status for an unparseable request, saying why.
    let status = raw_describe(server.addr, vec![b't', 0xFF, 0xFE]).await;
    assert_eq!(status.code(), Code::Internal, "{status:?}");
    assert!(status.message().contains("UTF-8"), "{}", status.message());

    // Extreme numbers: huge offsets are out of range, huge sizes and waits are capped.
    let status = client.fetch(fetch_request("t", 0, i64::MAX)).await.expect_err("offset past the end");
    assert_eq!(status.code(), Code::OutOfRange);
    let status = client.fetch(fetch_request("t", 0, i64::MIN)).await.expect_err("negative offset");
    assert!(matches!(status.code(), Code::OutOfRange | Code::InvalidArgument), "{status:?}");
    let fetch = proto::FetchRequest { max_wait_ms: u32::MAX, ..fetch_request("t", 0, 0) };
    let status = client.fetch(fetch).await.expect_err("a wait over the limit");
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(status.message().contains("max_wait_ms"), "{}", status.message());
    let fetch = proto::FetchRequest { max_bytes: u32::MAX, ..fetch_request("t", 0, 0) };
    let response = client.fetch(fetch).await.expect("capped fetch").into_inner();
    assert_eq!(&response.records[0].value[..], b"kept");
    let status = client.fetch(fetch_request("t", u32::MAX, 0)).await.expect_err("no such partition");
    assert_eq!(status.code(), Code::NotFound);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_subscriptions_that_never_read_leave_memory_bounded() {
    let dir = tempfile::tempdir().expect("dir");
    let server = ServerProcess::spawn(&dir.path().join("data"), &[]);
    let mut client = connect(server.addr).await;
    create_topic(&mut client, "t", 1).await;
    let chunk = vec![b's'; 64 << 10];
    for _ in 0..256 {
        produce_to(&mut client, "t", 0, vec![record(chunk.clone()); 4]).await; // 64 MiB in all
    }

    // 4 connections x 250 streams, each asking for the whole 64 MiB log and reading nothing.
    let mut stalled = Vec::new();
    for _ in 0..4 {
        let hostile = connect(server.addr).await;
        for _ in 0..250 {
            let request = proto::SubscribeRequest { topic: "t".into(), partition: 0, offset: 0, max_bytes: 0 };
            stalled.push(hostile.clone().subscribe(request).await.expect("subscribe").into_inner());
        }
    }
    // Let the server push until flow control stops every stream.
    tokio::time::sleep(Duration::from_secs(3)).await;

    // A well-behaved client is still served, and writes still land.
    let offset = produce_to(&mut client, "t", 0, vec![record("still here")]).await;
    assert_eq!(offset, 1024);
    let last = client.fetch(fetch_request("t", 0, offset)).await.expect("fetch").into_inner();
    assert_eq!(&last.records[0].value[..], b"still here");

    let peak = server.peak_rss_mib();
    eprintln!("peak RSS with 1,000 stalled subscriptions over a 64 MiB log: {peak:.0} MiB");
    assert!(peak < 1024.0, "peak RSS {peak:.0} MiB: stalled readers are not bounded");
    drop(stalled);
}
