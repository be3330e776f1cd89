//! Idempotent produce over the wire: producer ids and epochs, the sequence window, and that the
//! state behind it survives restarts, kill -9 and retention.
use std::time::Duration;

use strata::proto::{self, InitProducerIdRequest, InitProducerIdResponse};
use tonic::Code;

use crate::faults::Proxy;
use crate::process::ServerProcess;
use crate::support::*;

pub async fn init_producer(client: &mut Client, name: Option<&str>) -> InitProducerIdResponse {
    let request = InitProducerIdRequest { producer_name: name.map(str::to_string), ..Default::default() };
    client.init_producer_id(request).await.expect("init producer id").into_inner()
}

/// An idempotent produce of `values` to `t`/`partition` whose first record has sequence `seq`.
pub fn sequenced(
    partition: u32,
    producer: &InitProducerIdResponse,
    seq: i32,
    values: &[&str],
) -> proto::ProduceRequest {
    proto::ProduceRequest {
        topic: "t".into(),
        partition: Some(partition),
        records: values.iter().map(|v| record(*v)).collect(),
        producer_id: Some(producer.producer_id),
        producer_epoch: producer.producer_epoch,
        base_sequence: seq,
        ..Default::default()
    }
}

/// Sends it; returns (base offset, duplicate).
async fn send(client: &mut Client, request: proto::ProduceRequest) -> (i64, bool) {
    let response = client.produce(request).await.expect("produce").into_inner();
    (response.results[0].base_offset, response.results[0].duplicate)
}

/// Sends it expecting a refusal; returns the status's reason.
async fn refused(client: &mut Client, request: proto::ProduceRequest) -> (Code, String) {
    let status = client.produce(request).await.expect_err("refused");
    let reason = status.metadata().get("strata-reason").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    assert!(status.message().contains(&reason), "the message names the reason: {}", status.message());
    (status.code(), reason)
}

fn values(records: &[proto::StoredRecord]) -> Vec<String> {
    records.iter().map(|r| String::from_utf8_lossy(&r.value).into_owned()).collect()
}

#[tokio::test]
async fn a_retried_batch_is_answered_with_its_original_offsets_and_stored_once() {
    let broker = TestBroker::start().await;
    let mut client = broker.client().await;
    create_topic(&mut client, "t", 1).await;
    produce_to(&mut client, "t", 0, vec![record("plain")]).await;
    let p = init_producer(&mut client, None).await;
    assert_eq!(send(&mut client, sequenced(0, &p, 0, &["a", "b"])).await, (1, false));
    assert_eq!(send(&mut client, sequenced(0, &p, 2, &["c"])).await, (3, false));
    assert_eq!(send(&mut client, sequenced(0, &p, 0, &["a", "b"])).await, (1, true), "a retry of the first batch");
    assert_eq!(send(&mut client, sequenced(0, &p, 2, &["c"])).await, (3, true));
    assert_eq!(send(&mut client, sequenced(0, &p, 3, &["d"])).await, (4, false), "the next batch goes on");
    assert_eq!(values(&fetch_all(&mut client, "t", 0, 0).await), ["plain", "a", "b", "c", "d"]);
}

#[tokio::test]
async fn gaps_retries_behind_the_window_and_unissued_ids_or_epochs_are_refused_and_append_nothing() {
    let broker = TestBroker::start().await;
    let mut client = broker.client().await;
    create_topic(&mut client, "t", 1).await;
    let p = init_producer(&mut client, None).await;
    let out_of_order = (Code::FailedPrecondition, "OUT_OF_ORDER_SEQUENCE_NUMBER".to_string());
    assert_eq!(refused(&mut client, sequenced(0, &p, 1, &["x"])).await, out_of_order, "the first batch starts at 0");
    for seq in 0..6 {
        send(&mut client, sequenced(0, &p, seq, &["v"])).await;
    }
    assert_eq!(refused(&mut client, sequenced(0, &p, 7, &["gap"])).await, out_of_order);
    assert_eq!(refused(&mut client, sequenced(0, &p, 0, &["v"])).await, out_of_order, "behind the last five");
    assert_eq!(send(&mut client, sequenced(0, &p, 1, &["v"])).await, (1, true), "the oldest of the five");

    let unknown =
        sequenced(0, &InitProducerIdResponse { producer_id: p.producer_id + 100, producer_epoch: 0 }, 0, &["x"]);
    assert_eq!(refused(&mut client, unknown).await, (Code::FailedPrecondition, "UNKNOWN_PRODUCER_ID".to_string()));
    let future = sequenced(0, &InitProducerIdResponse { producer_epoch: 3, ..p }, 6, &["x"]);
    assert_eq!(refused(&mut client, future).await, (Code::FailedPrecondition, "INVALID_PRODUCER_EPOCH".to_string()));
    assert_eq!(describe(&mut client, "t").await.partitions[0].high_watermark, 6, "nothing refused was appended");
}

#[tokio::test]
async fn a_named_producer_fences_its_older_instance_and_starts_its_new_epoch_at_zero() {
    let broker = TestBroker::start().await;
    let mut client = broker.client().await;
    create_topic(&mut client, "t", 1).await;
    let zombie = init_producer(&mut client, Some("billing")).await;
    send(&mut client, sequenced(0, &zombie, 0, &["z0"])).await;
    let current = init_producer(&mut client, Some("billing")).await;
    assert_eq!((current.producer_id, current.producer_epoch), (zombie.producer_id, zombie.producer_epoch + 1));
    assert_eq!(
        refused(&mut client, sequenced(0, &zombie, 1, &["z1"])).await,
        (Code::FailedPrecondition, "PRODUCER_FENCED".to_string())
    );
    let out_of_order = (Code::FailedPrecondition, "OUT_OF_ORDER_SEQUENCE_NUMBER".to_string());
    assert_eq!(refused(&mut client, sequenced(0, &current, 1, &["c"])).await, out_of_order);
    assert_eq!(send(&mut client, sequenced(0, &current, 0, &["c0"])).await, (1, false));
    let other = init_producer(&mut client, Some("shipping")).await;
    assert_ne!(other.producer_id, current.producer_id);
    assert_eq!(values(&fetch_all(&mut client, "t", 0, 0).await), ["z0", "c0"]);
}

#[tokio::test]
async fn an_idempotent_produce_must_name_its_partition_and_wait_for_acks_all() {
    let broker = TestBroker::start().await;
    let mut client = broker.client().await;
    create_topic(&mut client, "t", 2).await;
    let p = init_producer(&mut client, None).await;
    let cases = [
        (proto::ProduceRequest { partition: None, ..sequenced(0, &p, 0, &["x"]) }, "partition"),
        (proto::ProduceRequest { acks: proto::Acks::Leader as i32, ..sequenced(0, &p, 0, &["x"]) }, "ACKS_ALL"),
        (proto::ProduceRequest { base_sequence: -3, ..sequenced(0, &p, 0, &["x"]) }, "must not be negative"),
        (proto::ProduceRequest { producer_epoch: 1 << 16, ..sequenced(0, &p, 0, &["x"]) }, "producer_epoch"),
    ];
    for (request, says) in cases {
        let status = client.produce(request).await.expect_err("invalid");
        assert_eq!(status.code(), Code::InvalidArgument);
        assert!(status.message().contains(says), "{}", status.message());
    }
    let empty_name = InitProducerIdRequest { producer_name: Some(String::new()), ..Default::default() };
    assert_eq!(client.init_producer_id(empty_name).await.expect_err("empty name").code(), Code::InvalidArgument);
    // -1 is Kafka's "no producer": a plain produce.
    let plain = proto::ProduceRequest { producer_id: Some(-1), partition: None, ..sequenced(0, &p, 0, &["x"]) };
    client.produce(plain).await.expect("plain produce");
}

#[tokio::test]
async fn producer_ids_and_windows_survive_a_restart_and_retention() {
    let broker = TestBroker::start().await;
    let mut client = broker.client().await;
    create_topic(&mut client, "t", 1).await;
    let anonymous = init_producer(&mut client, None).await;
    let named = init_producer(&mut client, Some("app")).await;
    send(&mut client, sequenced(0, &named, 0, &["a", "b"])).await;
    send(&mut client, sequenced(0, &named, 2, &["c"])).await;
    let broker = broker.restart().await;
    let mut client = broker.client().await;
    assert_eq!(send(&mut client, sequenced(0, &named, 2, &["c"])).await, (2, true), "the window came back");
    let again = init_producer(&mut client, None).await;
    assert!(again.producer_id > named.producer_id.max(anonymous.producer_id), "ids are never issued twice");
    assert_eq!(init_producer(&mut client, Some("app")).await.producer_epoch, 1, "the epoch never goes back");

    // Retention removes the records, not what the producer sent.
    let restarted = init_producer(&mut client, Some("app")).await;
    send(&mut client, sequenced(0, &restarted, 0, &["d"])).await;
    client
        .delete_records(proto::DeleteRecordsRequest { topic: "t".into(), partition: 0, before_offset: -1 })
        .await
        .expect("delete records");
    assert_eq!(send(&mut client, sequenced(0, &restarted, 0, &["d"])).await, (3, true));
    assert_eq!(send(&mut client, sequenced(0, &restarted, 1, &["e"])).await, (4, false));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_kill_9_between_append_and_answer_the_retry_gets_the_original_offsets() {
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path().join("data");
    let server = ServerProcess::spawn(&data, &[]);
    let proxy = Proxy::start(server.addr).await;
    let mut direct = connect(server.addr).await;
    create_topic(&mut direct, "t", 1).await;
    let p = init_producer(&mut direct, None).await;
    send(&mut direct, sequenced(0, &p, 0, &["a"])).await;
    // The request goes through the proxy, which from now on drops the broker's answers.
    let mut through = connect(proxy.addr).await;
    describe(&mut through, "t").await;
    proxy.swallow_answers();
    let unanswered = tokio::spawn(async move { through.produce(sequenced(0, &p, 1, &["b", "c"])).await });
    for round in 0.. {
        if describe(&mut direct, "t").await.partitions[0].high_watermark == 3 {
            break;
        }
        assert!(round < 400, "the request never reached the broker");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    // Appended and fsynced, but the answer never reached the client: now the broker dies.
    server.kill_9();
    assert!(unanswered.await.expect("task").is_err(), "the client never got its answer");
    let server = ServerProcess::spawn(&data, &[]);
    let mut client = connect(server.addr).await;
    assert_eq!(send(&mut client, sequenced(0, &p, 1, &["b", "c"])).await, (1, true));
    assert_eq!(send(&mut client, sequenced(0, &p, 3, &["d"])).await, (3, false));
    assert_eq!(values(&fetch_all(&mut client, "t", 0, 0).await), ["a", "b", "c", "d"]);
}

#[tokio::test]
async fn a_renewal_fences_the_old_epoch_and_a_fenced_instance_cannot_renew() {
    let broker = TestBroker::start().await;
    let mut client = broker.client().await;
    create_topic(&mut client, "t", 1).await;
    let p = init_producer(&mut client, None).await;
    send(&mut client, sequenced(0, &p, 0, &["a"])).await;
    let renew = |name: Option<&str>, instance: &InitProducerIdResponse| InitProducerIdRequest {
        producer_name: name.map(str::to_string),
        producer_id: Some(instance.producer_id),
        producer_epoch: instance.producer_epoch,
    };
    let renewed = client.init_producer_id(renew(None, &p)).await.expect("renewed").into_inner();
    assert_eq!((renewed.producer_id, renewed.producer_epoch), (p.producer_id, p.producer_epoch + 1));
    // A late copy of a request sent under the old epoch is refused, not stored out of order.
    let fenced = (Code::FailedPrecondition, "PRODUCER_FENCED".to_string());
    assert_eq!(refused(&mut client, sequenced(0, &p, 1, &["late"])).await, fenced);
    assert_eq!(send(&mut client, sequenced(0, &renewed, 0, &["b"])).await, (1, false));

    let zombie = init_producer(&mut client, Some("app")).await;
    init_producer(&mut client, Some("app")).await;
    let status = client.init_producer_id(renew(Some("app"), &zombie)).await.expect_err("fenced");
    assert_eq!(status.metadata().get("strata-reason").and_then(|v| v.to_str().ok()), Some("PRODUCER_FENCED"));
}

#[tokio::test]
async fn an_idle_producer_id_expires_and_is_then_unknown() {
    let expiry = |config: &mut strata::config::BrokerConfig| config.producers.expiry = Duration::from_secs(2);
    let broker = TestBroker::start_with(expiry).await;
    let mut client = broker.client().await;
    create_topic(&mut client, "t", 1).await;
    let p = init_producer(&mut client, None).await;
    send(&mut client, sequenced(0, &p, 0, &["a"])).await;
    // A refused batch does not count as use, so polling with one does not keep the id alive.
    for round in 0.. {
        let (_, reason) = refused(&mut client, sequenced(0, &p, 5, &["probe"])).await;
        if reason == "UNKNOWN_PRODUCER_ID" {
            break;
        }
        assert_eq!(reason, "OUT_OF_ORDER_SEQUENCE_NUMBER");
        assert!(round < 400, "the idle producer id was never forgotten");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let fresh = init_producer(&mut client, None).await;
    assert_eq!(send(&mut client, sequenced(0, &fresh, 0, &["b"])).await, (1, false));
}

#[tokio::test]
async fn producer_metrics_count_duplicates_refusals_and_held_ids() {
    let dir = tempfile::tempdir().expect("dir");
    let metrics = std::net::SocketAddr::from(([127, 0, 0, 1], crate::ports::fixed_ports(1)[0]));
    let server = ServerProcess::spawn(&dir.path().join("data"), &["--metrics-listen", &metrics.to_string()]);
    let mut client = connect(server.addr).await;
    create_topic(&mut client, "t", 1).await;
    let p = init_producer(&mut client, Some("m")).await;
    send(&mut client, sequenced(0, &p, 0, &["a"])).await;
    send(&mut client, sequenced(0, &p, 0, &["a"])).await;
    refused(&mut client, sequenced(0, &p, 9, &["gap"])).await;
    init_producer(&mut client, Some("m")).await;
    refused(&mut client, sequenced(0, &p, 1, &["zombie"])).await;
    let series = [
        "strata_producer_duplicates_total{topic=\"t\"}",
        "strata_producer_out_of_order_total{topic=\"t\"}",
        "strata_producer_fenced_total{topic=\"t\"}",
        "strata_producer_ids",
        "strata_producer_partition_states",
    ];
    assert_eq!(scrape(metrics, &series).await, [1.0, 1.0, 1.0, 1.0, 1.0]);
    assert!(scrape(metrics, &["strata_producer_state_bytes"]).await[0] > 0.0);
}
