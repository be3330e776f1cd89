//! Kafka clients against a three-broker cluster: Metadata names every broker at its own Kafka
//! address and each partition's real leader, and an idempotent confluent-kafka producer keeps
//! going through `kill -9` of the leader: every record it was told was delivered is there,
//! exactly once.
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use kafka_protocol::messages::ProducerId;
use kafka_protocol::messages::find_coordinator_request::FindCoordinatorRequest;
use kafka_protocol::messages::init_producer_id_request::InitProducerIdRequest;
use kafka_protocol::protocol::StrBytes;

use crate::cluster::Cluster;
use crate::kafka_clients::run;
use crate::kafka_protocol::{produce, produce_one};
use crate::kafka_wire::{KafkaWire, batch};
use crate::support::{connect, create_topic};

/// Records the producer sends; the leader is killed once a third are sent.
const COUNT: usize = 3_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kafka_clients_see_every_broker_and_ride_through_a_leader_kill() {
    let mut cluster = Cluster::start(3);
    let leader = cluster.leader().await;
    create_topic(&mut connect(cluster.addr(leader)).await, "fk", 3).await;
    let bootstrap = cluster.kafka.iter().map(|a| a.to_string()).collect::<Vec<_>>().join(",");

    let metadata = run("kcat", vec!["-b".into(), bootstrap.clone(), "-L".into(), "-J".into()], None).await;
    let metadata: serde_json::Value = serde_json::from_str(&metadata).expect("kcat -L -J");
    let mut brokers: Vec<String> = metadata["brokers"]
        .as_array()
        .expect("brokers")
        .iter()
        .map(|b| format!("{}/{}", b["name"].as_str().unwrap_or(""), b["id"]))
        .collect();
    brokers.sort();
    let mut expected: Vec<String> = cluster.kafka.iter().enumerate().map(|(i, a)| format!("{a}/{}", i + 1)).collect();
    expected.sort();
    assert_eq!(brokers, expected, "every broker at its own Kafka address");
    let topic = metadata["topics"].as_array().expect("topics").iter().find(|t| t["topic"] == "fk").expect("fk");
    for partition in topic["partitions"].as_array().expect("partitions") {
        assert_eq!(partition["leader"], leader + 1, "the Raft leader leads: {partition}");
        assert_eq!(partition["replicas"].as_array().map(Vec::len), Some(3));
    }

    // A follower: produces are refused toward the leader, the coordinator is the leader, and
    // InitProducerId (which clients send to any broker, and retry at the same one) is answered
    // by asking the leader.
    let follower = (leader + 1) % 3;
    let mut wire = KafkaWire::connect(cluster.kafka[follower]).await;
    let refused = produce_one(&mut wire, produce("fk", 0, batch(&[("k", "v")]), -1)).await;
    assert_eq!(refused.error_code, 6, "NOT_LEADER_OR_FOLLOWER");
    let mut find = FindCoordinatorRequest::default();
    find.key = StrBytes::from_static_str("g");
    let coordinator = wire.call(find, 3).await;
    assert_eq!((coordinator.error_code, coordinator.node_id.0), (0, leader as i32 + 1));
    let mut init = InitProducerIdRequest::default();
    init.producer_id = ProducerId(-1);
    init.producer_epoch = -1;
    let issued = wire.call(init, 4).await;
    assert_eq!(issued.error_code, 0, "forwarded to the leader");
    assert!(issued.producer_id.0 >= 1);

    // kcat reads along while the producer writes and the leader dies: it stops after COUNT
    // records, so it must follow the leadership change to get them all.
    let reader = Command::new("kcat")
        .args(["-C", "-b", &bootstrap, "-t", "fk", "-o", "beginning", "-q", "-f", "%s\\n"])
        .args(["-c", &COUNT.to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("kcat (`make deps` installs it)");

    let script = format!("{}/tests/clients/failover.py", env!("CARGO_MANIFEST_DIR"));
    let mut producer = Command::new("python3")
        .args([script.as_str(), &bootstrap, "fk", &COUNT.to_string()])
        .stdout(Stdio::piped())
        // STRATA_TEST_LOG_DIR keeps the client's log beside the brokers'.
        .stderr(match std::env::var_os("STRATA_TEST_LOG_DIR") {
            Some(dir) => {
                Stdio::from(std::fs::File::create(std::path::Path::new(&dir).join("failover-client.log")).expect("log"))
            }
            None => Stdio::null(),
        })
        .spawn()
        .expect("python3 (`make deps` installs the Kafka clients)");
    let stdout = producer.stdout.take().expect("stdout");
    let (lines, killed) = tokio::task::spawn_blocking(move || {
        let mut killed = None;
        let mut lines = Vec::new();
        let started = Instant::now();
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if killed.is_none() && line == format!("sent {}", COUNT / 3) {
                killed = Some(());
                cluster.kill_9(leader);
            }
            lines.push(line);
            assert!(started.elapsed() < Duration::from_secs(240), "the producer ran for 4 minutes");
        }
        (lines, killed.map(|()| cluster))
    })
    .await
    .expect("producer output");
    let _ = producer.wait();
    assert!(killed.is_some(), "the leader was killed mid-run: {lines:?}");
    let result: serde_json::Value =
        serde_json::from_str(lines.last().expect("a result line")).expect("the script's JSON result");
    assert_eq!(result["errors"], serde_json::json!([]), "no delivery failed");
    assert_eq!((result["delivered"].as_u64(), result["unflushed"].as_u64()), (Some(COUNT as u64), Some(0)));
    assert_eq!(result["missing"], serde_json::json!([]), "every delivered record is stored");
    assert_eq!(result["read"], result["distinct"], "no record stored twice");
    assert_eq!(result["distinct"].as_u64(), Some(COUNT as u64));

    let read = tokio::task::spawn_blocking(move || reader_output(reader)).await.expect("kcat");
    let mut values: Vec<u64> = read.lines().filter_map(|l| l.parse().ok()).collect();
    assert_eq!(values.len(), COUNT, "kcat read through the leader's death");
    values.sort_unstable();
    values.dedup();
    assert_eq!(values.len(), COUNT, "each record once");
}

/// What the reader printed, once it has read everything (bounded: killed after a minute).
fn reader_output(mut reader: std::process::Child) -> String {
    let started = Instant::now();
    while reader.try_wait().expect("wait").is_none() {
        if started.elapsed() > Duration::from_secs(60) {
            let _ = reader.kill();
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let output = reader.wait_with_output().expect("kcat output");
    String::from_utf8_lossy(&output.stdout).to_string()
}
