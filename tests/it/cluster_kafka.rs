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

use strata::proto;

use crate::cluster::Cluster;
use crate::cluster_shards::leadership_settled;
use crate::kafka_clients::run;
use crate::kafka_protocol::{produce, produce_one};
use crate::kafka_wire::{KafkaWire, batch};
use crate::support::{connect, create_topic};

/// The metadata shard's preferred leader, where it settles: the group coordinator.
const META_LEADER: i32 = 1;

/// Records the producer sends; the leader is killed once a third are sent.
const COUNT: usize = 3_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kafka_clients_see_every_broker_and_ride_through_a_leader_kill() {
    let mut cluster = Cluster::start(3);
    leadership_settled(&cluster).await;
    create_topic(&mut connect(cluster.addr(0)).await, "fk", 3).await;
    let bootstrap = cluster.kafka.iter().map(|a| a.to_string()).collect::<Vec<_>>().join(",");

    let metadata = kafka_metadata_naming_real_leaders(&cluster, &bootstrap).await;
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
    let leaders = partition_leaders(&metadata);
    let distinct: std::collections::BTreeSet<u64> = leaders.iter().copied().collect();
    assert_eq!(distinct.len(), 3, "the partitions' leadership is spread over the brokers: {leaders:?}");
    // The broker killed below: partition 0's leader.
    let leader = leaders[0] as usize - 1;

    // A follower of partition 0: produces are refused toward its leader, the coordinator is the
    // metadata shard's leader, and InitProducerId (which clients send to any broker, and retry
    // at the same one) is answered by asking that leader.
    let follower = (leader + 1) % 3;
    let coordinator_id = META_LEADER;
    let mut wire = KafkaWire::connect(cluster.kafka[follower]).await;
    let refused = produce_one(&mut wire, produce("fk", 0, batch(&[("k", "v")]), -1)).await;
    assert_eq!(refused.error_code, 6, "NOT_LEADER_OR_FOLLOWER");
    let mut find = FindCoordinatorRequest::default();
    find.key = StrBytes::from_static_str("g");
    let coordinator = wire.call(find, 3).await;
    assert_eq!((coordinator.error_code, coordinator.node_id.0), (0, coordinator_id));
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

/// Each partition's leader in kcat's metadata, by partition.
fn partition_leaders(metadata: &serde_json::Value) -> Vec<u64> {
    let topic = metadata["topics"].as_array().and_then(|t| t.iter().find(|t| t["topic"] == "fk"));
    let mut leaders: Vec<(u64, u64)> = topic.and_then(|t| t["partitions"].as_array()).map_or_else(Vec::new, |ps| {
        ps.iter().filter_map(|p| Some((p["partition"].as_u64()?, p["leader"].as_u64()?))).collect()
    });
    leaders.sort_unstable();
    leaders.into_iter().map(|(_, leader)| leader).collect()
}

/// kcat's view of the cluster (`-L -J`), once it names for each partition of "fk" the leader
/// and replicas strata's own Metadata names (bounded: an election in between is waited out).
async fn kafka_metadata_naming_real_leaders(cluster: &Cluster, bootstrap: &str) -> serde_json::Value {
    let mut client = connect(cluster.addr(0)).await;
    for _ in 0..50 {
        let listed = run("kcat", vec!["-b".into(), bootstrap.into(), "-L".into(), "-J".into()], None).await;
        let listed: serde_json::Value = serde_json::from_str(&listed).expect("kcat -L -J");
        let request = proto::MetadataRequest { topics: vec!["fk".into()] };
        let strata = client.metadata(request).await.expect("metadata").into_inner();
        let mut real: Vec<(u32, u64)> =
            strata.topics.iter().flat_map(|t| &t.partitions).filter_map(|p| Some((p.partition, p.leader?))).collect();
        real.sort_unstable();
        let real: Vec<u64> = real.into_iter().map(|(_, leader)| leader).collect();
        let replicas_named =
            listed["topics"].as_array().and_then(|t| t.iter().find(|t| t["topic"] == "fk")).is_some_and(|t| {
                t["partitions"]
                    .as_array()
                    .is_some_and(|ps| ps.iter().all(|p| p["replicas"].as_array().map(Vec::len) == Some(3)))
            });
        if real.len() == 3 && partition_leaders(&listed) == real && replicas_named {
            return listed;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("kcat's metadata never named the partitions' real leaders");
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
