//! Real Kafka clients against the Kafka listener, with no strata-specific settings: kcat
//! (librdkafka 2.0), kafka-python and confluent-kafka (librdkafka 2.16), installed by the test
//! setup (`.ci/install-deps`). Records cross between the protocols with their keys, values,
//! headers and offsets, and committed offsets are the same groups gRPC sees.
use std::io::Write;
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use strata::proto;

use crate::support::{Client, TestBroker, create_topic, fetch_all, keyed, produce_to, with_headers};

/// Longest a client program may run.
const CLIENT_LIMIT: Duration = Duration::from_secs(90);

/// Runs `program` with `args` (and `stdin`), bounded in time; its stdout, which must be a success.
pub async fn run(program: &str, args: Vec<String>, stdin: Option<String>) -> String {
    let label = format!("{program} {}", args.join(" "));
    let program = program.to_string();
    tokio::task::spawn_blocking(move || {
        let mut child = Command::new(&program)
            .args(&args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {program} ({e}): `make deps` installs the Kafka clients"));
        let mut input = child.stdin.take().expect("stdin");
        if let Some(text) = stdin {
            input.write_all(text.as_bytes()).expect("write stdin");
        }
        drop(input);
        let started = Instant::now();
        while child.try_wait().expect("wait").is_none() {
            if started.elapsed() > CLIENT_LIMIT {
                let _ = child.kill();
                panic!("{label} ran longer than {CLIENT_LIMIT:?}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let output = child.wait_with_output().expect("output");
        let stdout = String::from_utf8_lossy(&output.stdout).to_string();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "{label} failed: {}\n{stdout}\n{stderr}", output.status);
        stdout
    })
    .await
    .expect("client thread")
}

fn kcat_args(addr: SocketAddr, rest: &[&str]) -> Vec<String> {
    ["-b", &addr.to_string()].iter().chain(rest).map(|s| s.to_string()).collect()
}

pub async fn python(script: &str, addr: SocketAddr, topic: &str, group: &str) -> serde_json::Value {
    let path = format!("{}/tests/clients/{script}", env!("CARGO_MANIFEST_DIR"));
    let out = run("python3", vec![path, addr.to_string(), topic.into(), group.into()], None).await;
    serde_json::from_str(out.trim().lines().last().unwrap_or_default()).expect("the script prints JSON")
}

async fn committed(client: &mut Client, group: &str, topic: &str) -> Vec<i64> {
    let request = proto::FetchCommittedOffsetsRequest { group: group.into(), topic: topic.into(), partitions: vec![] };
    let answer = client.fetch_committed_offsets(request).await.expect("committed offsets").into_inner();
    answer.offsets.iter().map(|o| o.offset).collect()
}

#[tokio::test]
async fn kcat_round_trips_keys_and_headers_in_every_codec_and_crosses_to_grpc() {
    let broker = TestBroker::start_with_kafka(|_| {}).await;
    let addr = broker.kafka_addr.expect("kafka");
    let mut client = broker.client().await;
    create_topic(&mut client, "kc", 1).await;
    let codecs = ["none", "gzip", "snappy", "lz4", "zstd"];
    for codec in codecs {
        let args = kcat_args(addr, &["-P", "-t", "kc", "-p", "0", "-K", ":", "-H", "via=kcat", "-z", codec]);
        run("kcat", args, Some(format!("key-{codec}:value-{codec}\n"))).await;
    }
    // From gRPC, read back by kcat below.
    produce_to(&mut client, "kc", 0, vec![with_headers(keyed("key-grpc", "value-grpc"), &[("via", "grpc")])]).await;

    let args = kcat_args(addr, &["-C", "-t", "kc", "-p", "0", "-o", "beginning", "-e", "-f", "%o|%k|%s|%h\\n"]);
    let consumed = run("kcat", args, None).await;
    let mut expected: Vec<String> =
        codecs.iter().enumerate().map(|(i, c)| format!("{i}|key-{c}|value-{c}|via=kcat")).collect();
    expected.push("5|key-grpc|value-grpc|via=grpc".into());
    assert_eq!(consumed.lines().collect::<Vec<_>>(), expected);

    // gRPC reads the compressed batches too (decompressed by the broker).
    let records = fetch_all(&mut client, "kc", 0, 0).await;
    let seen: Vec<String> = records
        .iter()
        .map(|r| {
            let key = String::from_utf8_lossy(r.key.as_deref().unwrap_or_default()).to_string();
            let via = r.headers.get("via").map(|v| String::from_utf8_lossy(v).to_string()).unwrap_or_default();
            format!("{}|{key}|{}|via={via}", r.offset, String::from_utf8_lossy(&r.value))
        })
        .collect();
    assert_eq!(seen, expected);

    let metadata = run("kcat", kcat_args(addr, &["-L", "-J"]), None).await;
    let metadata: serde_json::Value = serde_json::from_str(&metadata).expect("kcat -L -J");
    assert_eq!(metadata["brokers"][0]["name"], addr.to_string().as_str(), "the advertised address");
    assert_eq!(metadata["topics"][0]["topic"], "kc");
}

#[tokio::test]
async fn kafka_python_creates_produces_idempotently_consumes_and_commits() {
    let broker = TestBroker::start_with_kafka(|_| {}).await;
    let addr = broker.kafka_addr.expect("kafka");
    let out = python("kafka_python.py", addr, "kp", "kp-group").await;
    let seen = out["seen"].as_array().expect("seen");
    assert_eq!(seen.len(), 6);
    for record in seen {
        let (partition, offset) = (record["partition"].as_i64().expect("p"), record["offset"].as_i64().expect("o"));
        let i = offset * 2 + partition;
        assert_eq!(record["key"], format!("key-{i}").as_str());
        assert_eq!(record["value"], format!("value-{i}").as_str());
        assert_eq!(record["headers"], serde_json::json!([["origin", "kafka-python"]]));
    }
    assert_eq!(out["committed"], serde_json::json!({"0": 3, "1": 3}));

    let mut client = broker.client().await;
    let topic = crate::support::describe(&mut client, "kp").await;
    assert_eq!(topic.config.and_then(|c| c.retention_ms), Some(86_400_000));
    assert_eq!(committed(&mut client, "kp-group", "kp").await, vec![3, 3], "the same group over gRPC");
    let records = fetch_all(&mut client, "kp", 1, 0).await;
    assert_eq!(records.iter().map(|r| r.value.clone()).collect::<Vec<_>>(), vec!["value-1", "value-3", "value-5"]);
}

#[tokio::test]
async fn confluent_kafka_produces_zstd_idempotently_and_its_commits_show_in_strata() {
    let broker = TestBroker::start_with_kafka(|_| {}).await;
    let addr = broker.kafka_addr.expect("kafka");
    let mut client = broker.client().await;
    create_topic(&mut client, "ck", 2).await;
    let out = python("confluent.py", addr, "ck", "ck-group").await;
    assert_eq!(out["errors"], serde_json::json!([]));
    assert_eq!(out["unflushed"], 0);
    let seen = out["seen"].as_array().expect("seen");
    assert_eq!(seen.len(), 20);
    let mut values: Vec<String> = seen.iter().map(|r| r["value"].as_str().expect("value").to_string()).collect();
    values.sort_by_key(|v| v[1..].parse::<u32>().unwrap_or(0));
    assert_eq!(values, (0..20).map(|i| format!("v{i}")).collect::<Vec<_>>());
    assert_eq!(out["committed"], serde_json::json!({"0": 10, "1": 10}));
    assert_eq!(committed(&mut client, "ck-group", "ck").await, vec![10, 10]);
    let records = fetch_all(&mut client, "ck", 0, 0).await;
    assert_eq!(records.len(), 10, "gRPC reads the zstd batches");
    assert_eq!(records[0].headers.get("origin").map(|v| v.as_ref()), Some(&b"confluent"[..]));
}

#[tokio::test]
async fn confluent_kafkas_admin_client_manages_configs_partitions_records_and_groups() {
    let broker = TestBroker::start_with_kafka(|_| {}).await;
    let addr = broker.kafka_addr.expect("kafka");
    let mut client = broker.client().await;
    // A group with a committed offset, made over gRPC, for the admin client to list and delete.
    create_topic(&mut client, "other", 1).await;
    produce_to(&mut client, "other", 0, vec![keyed("k", "v")]).await;
    let commit = proto::CommitOffsetsRequest {
        group: "old-readers".into(),
        topic: "other".into(),
        offsets: vec![proto::OffsetCommit { partition: 0, offset: 1, ..Default::default() }],
        ..Default::default()
    };
    client.commit_offsets(commit).await.expect("commit over gRPC");

    let out = python("admin.py", addr, "adm", "old-readers").await;
    assert_eq!(out["described"]["retention.ms"], serde_json::json!(["600000", "1"]), "a topic override");
    assert_eq!(out["described"]["cleanup.policy"][0], "delete");
    assert_eq!(out["after"]["retention.bytes"], "1048576", "SET");
    assert_eq!(out["after"]["retention.ms"], (7 * 24 * 3_600_000i64).to_string().as_str(), "DELETE: the default");
    assert_eq!(out["unknown_config"], "INVALID_CONFIG");
    assert_eq!(out["shrink"], "INVALID_PARTITIONS");
    assert_eq!(out["low_watermark"], 2);
    assert_eq!(out["cluster"]["nodes"], 1);
    assert_eq!(out["groups"], serde_json::json!(["old-readers"]));
    assert_eq!(out["group_deleted"], serde_json::Value::Null, "deleted");
    assert_eq!(out["groups_after"], serde_json::json!([]));

    let topic = crate::support::describe(&mut client, "adm").await;
    assert_eq!(topic.partition_count, 3, "CreatePartitions");
    let config = topic.config.expect("config");
    assert_eq!((config.retention_ms, config.retention_bytes), (None, Some(1_048_576)));
    assert_eq!(topic.partitions[0].log_start_offset, 2, "DeleteRecords");
}
