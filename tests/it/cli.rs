//! The `strata` binary's client commands against a real server.
use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io::Write;
use std::process::{Command, Output, Stdio};

use crate::support::*;

/// Runs `strata --broker ADDR args...` with `stdin`, off the async workers.
async fn strata(broker: &TestBroker, args: &[&str], stdin: &str) -> Output {
    let mut all = vec!["--broker".to_string(), broker.addr.to_string()];
    all.extend(args.iter().map(|a| a.to_string()));
    let input = stdin.to_string();
    tokio::task::spawn_blocking(move || {
        let mut child = Command::new(env!("CARGO_BIN_EXE_strata"))
            .args(&all)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn strata");
        child.stdin.take().expect("stdin").write_all(input.as_bytes()).expect("write stdin");
        child.wait_with_output().expect("wait")
    })
    .await
    .expect("blocking task")
}

/// Runs the strata binary with `args` to completion, off the async runtime.
async fn run(args: Vec<OsString>) -> Output {
    let run = move || Command::new(env!("CARGO_BIN_EXE_strata")).args(args).output().expect("run");
    tokio::task::spawn_blocking(run).await.expect("blocking")
}

fn stdout(o: &Output) -> String {
    assert!(o.status.success(), "failed: {}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout.clone()).expect("utf8")
}

fn json_lines(o: &Output) -> Vec<serde_json::Value> {
    stdout(o).lines().map(|l| serde_json::from_str(l).expect("a JSON line")).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn topic_life_cycle() {
    let broker = TestBroker::start().await;
    let _ = broker.client().await;
    let created = strata(&broker, &["topic", "create", "orders", "-p", "3", "--retention", "1d"], "").await;
    assert!(stdout(&created).contains("created topic \"orders\" with 3 partitions"));
    let listed = json_lines(&strata(&broker, &["--output", "json", "topic", "list"], "").await);
    assert_eq!(listed[0][0]["name"], "orders");
    assert_eq!(listed[0][0]["retention_ms"], 86_400_000);

    strata(&broker, &["topic", "alter", "orders", "--retention-bytes", "1GiB"], "").await;
    let grown = strata(&broker, &["topic", "add-partitions", "orders", "5"], "").await;
    assert!(stdout(&grown).contains("now has 5 partitions"));
    let described = json_lines(&strata(&broker, &["--output", "json", "topic", "describe", "orders"], "").await);
    assert_eq!(described[0]["partitions"], 5);
    assert_eq!(described[0]["retention_bytes"], 1 << 30);
    assert_eq!(described[0]["partition_details"].as_array().map(Vec::len), Some(5));
    let text = stdout(&strata(&broker, &["topic", "describe", "orders"], "").await);
    assert!(text.contains("LOG_START") && text.contains("HIGH_WATERMARK"), "{text}");

    stdout(&strata(&broker, &["topic", "delete", "orders"], "").await);
    let missing = strata(&broker, &["topic", "describe", "orders"], "").await;
    assert_eq!(missing.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&missing.stderr).trim(), "strata: topic \"orders\" not found");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_lines_round_trip_with_keys_and_per_partition_order() {
    let broker = TestBroker::start().await;
    let mut client = broker.client().await;
    create_topic(&mut client, "lines", 4).await;
    let input: Vec<(String, String)> = (0..10_000).map(|i| (format!("user{}", i % 37), format!("event {i}"))).collect();
    let stdin: String = input.iter().map(|(k, v)| format!("{k}:{v}\n")).collect();
    let produced = strata(&broker, &["produce", "lines", "--key-separator", ":", "--header", "src=test"], &stdin).await;
    assert!(stdout(&produced).starts_with("produced 10000 records"), "{}", stdout(&produced));

    let consumed =
        json_lines(&strata(&broker, &["--output", "json", "consume", "lines", "--from-beginning"], "").await);
    assert_eq!(consumed.len(), 10_000);
    let mut by_partition: BTreeMap<u64, Vec<(String, String)>> = BTreeMap::new();
    for r in &consumed {
        assert_eq!(r["headers"]["src"], "test");
        let kv = (r["key"].as_str().expect("key").to_string(), r["value"].as_str().expect("value").to_string());
        by_partition.entry(r["partition"].as_u64().expect("partition")).or_default().push(kv);
    }
    let mut seen_keys: BTreeMap<String, u64> = BTreeMap::new();
    for (partition, records) in &by_partition {
        for (key, _) in records {
            assert_eq!(*seen_keys.entry(key.clone()).or_insert(*partition), *partition, "a key stays on one partition");
        }
        // Each partition holds the input's records for its keys, in input order.
        let expected: Vec<(String, String)> =
            input.iter().filter(|(k, _)| seen_keys.get(k) == Some(partition)).cloned().collect();
        assert_eq!(records, &expected, "partition {partition}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consume_formats_max_and_offsets() {
    let broker = TestBroker::start().await;
    let mut client = broker.client().await;
    create_topic(&mut client, "t", 1).await;
    strata(&broker, &["produce", "t", "--key-separator", "="], "a=1\nb=2\nc=3\n").await;
    let text = stdout(&strata(&broker, &["consume", "t", "--offset", "1", "--format", "%o:%k:%v"], "").await);
    assert_eq!(text, "1:b:2\n2:c:3\n");
    let first = stdout(&strata(&broker, &["consume", "t", "--from-beginning", "--max", "1"], "").await);
    assert_eq!(first, "1\n");
    let latest = stdout(&strata(&broker, &["consume", "t"], "").await);
    assert_eq!(latest, "", "without --from-beginning, a non-following consumer starts at the end");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_describe_shows_lag_after_a_partial_consume() {
    let broker = TestBroker::start().await;
    let mut client = broker.client().await;
    create_topic(&mut client, "t", 1).await;
    let lines: String = (0..10).map(|i| format!("{i}\n")).collect();
    strata(&broker, &["produce", "t"], &lines).await;
    let args = ["consume", "t", "--group", "g", "--from-beginning", "--max", "4"];
    assert_eq!(stdout(&strata(&broker, &args, "").await), "0\n1\n2\n3\n");
    let described = json_lines(&strata(&broker, &["--output", "json", "group", "describe", "g"], "").await);
    let offsets = &described[0]["offsets"];
    assert_eq!((offsets[0]["committed_offset"].as_i64(), offsets[0]["lag"].as_i64()), (Some(4), Some(6)));
    let table = stdout(&strata(&broker, &["group", "describe", "g"], "").await);
    assert!(table.contains("LAG"), "{table}");

    // The group resumes where it stopped, and reset-offsets moves it.
    assert_eq!(stdout(&strata(&broker, &["consume", "t", "--group", "g", "--max", "2"], "").await), "4\n5\n");
    stdout(&strata(&broker, &["group", "reset-offsets", "g", "--topic", "t", "--to-earliest"], "").await);
    assert_eq!(stdout(&strata(&broker, &["consume", "t", "--group", "g", "--max", "1"], "").await), "0\n");
    let listed = json_lines(&strata(&broker, &["--output", "json", "group", "list"], "").await);
    assert_eq!(listed[0][0]["group"], "g");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_are_one_line_with_a_non_zero_exit() {
    let broker = TestBroker::start().await;
    let _ = broker.client().await;
    let missing = strata(&broker, &["produce", "nope"], "x\n").await;
    assert_eq!(missing.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&missing.stderr).trim(), "strata: topic \"nope\" not found");

    let refused = run(["--broker", "127.0.0.1:1", "topic", "list"].map(OsString::from).to_vec()).await;
    assert_eq!(refused.status.code(), Some(1));
    let message = String::from_utf8_lossy(&refused.stderr);
    assert!(message.contains("127.0.0.1:1") && message.contains("strata serve"), "{message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_rejects_a_flush_write_limit_of_zero() {
    let data = tempfile::tempdir().expect("temp dir");
    let mut args: Vec<OsString> = ["serve", "--data-dir"].map(OsString::from).to_vec();
    args.push(data.path().into());
    args.extend(
        ["--listen", "127.0.0.1:0", "--kafka-listen", "none", "--metrics-listen", "off", "--flush-write-limit", "0"]
            .map(OsString::from),
    );
    let out = run(args).await;
    assert_ne!(out.status.code(), Some(0));
    let message = String::from_utf8_lossy(&out.stderr);
    assert!(message.contains("--flush-write-limit must be more than 0"), "{message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn produce_is_idempotent_with_acks_all_and_takes_a_producer_name() {
    let broker = TestBroker::start().await;
    let mut client = broker.client().await;
    create_topic(&mut client, "t", 1).await;
    for _ in 0..2 {
        let out = strata(&broker, &["produce", "t", "--partition", "0", "--producer-name", "loader"], "a\nb\n").await;
        assert!(stdout(&out).starts_with("produced 2 records"), "{}", stdout(&out));
    }
    // Each run took the name's id with a new epoch: this is the third instance.
    let third = super::idempotence::init_producer(&mut client, Some("loader")).await;
    assert_eq!(third.producer_epoch, 2);
    let plain = strata(&broker, &["produce", "t", "--acks", "leader"], "c\n").await;
    assert!(stdout(&plain).starts_with("produced 1 record"), "{}", stdout(&plain));
    let conflicting = strata(&broker, &["produce", "t", "--acks", "leader", "--producer-name", "x"], "d\n").await;
    assert_eq!(conflicting.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&conflicting.stderr).contains("--producer-name needs an idempotent producer"));
    assert_eq!(fetch_all(&mut client, "t", 0, 0).await.len(), 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_refuses_another_nodes_data_dir() {
    let data = tempfile::tempdir().expect("temp dir");
    let serve = |node: &str| {
        let mut args: Vec<OsString> = ["serve", "--data-dir"].map(OsString::from).to_vec();
        args.push(data.path().into());
        let flags = ["--listen", "127.0.0.1:0", "--kafka-listen", "none", "--metrics-listen", "off", "--node-id", node];
        args.extend(flags.map(OsString::from));
        args
    };
    // Node 1 owns the data dir.
    let store = strata::storage::Store::open(data.path(), &Default::default()).expect("open");
    store.claim_identity(Some(1)).expect("claimed for node 1");
    drop(store);
    let out = run(serve("2")).await;
    assert_ne!(out.status.code(), Some(0));
    let message = String::from_utf8_lossy(&out.stderr);
    assert!(message.contains("belongs to node 1") && message.contains("--node-id 1"), "{message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn produce_can_ask_the_broker_to_compress() {
    let broker = TestBroker::start().await;
    let mut client = broker.client().await;
    create_topic(&mut client, "t", 1).await;
    let out = strata(&broker, &["produce", "t", "--compression", "zstd"], "first\nsecond\n").await;
    assert!(stdout(&out).starts_with("produced 2 records"), "{}", stdout(&out));
    let values: Vec<Vec<u8>> = fetch_all(&mut client, "t", 0, 0).await.into_iter().map(|r| r.value.to_vec()).collect();
    assert_eq!(values, vec![b"first".to_vec(), b"second".to_vec()]);
    let refused = strata(&broker, &["produce", "t", "--compression", "brotli"], "x\n").await;
    assert!(String::from_utf8_lossy(&refused.stderr).contains("possible values"), "clap names the codecs");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_reads_a_config_file_below_flags_and_the_environment() {
    let root = tempfile::tempdir().expect("temp dir");
    let config = root.path().join("strata.toml");
    let file = "default_partitions = 3\nfsync = \"sometimes\"\nmax_connections = 0\n";
    std::fs::write(&config, file).expect("write config");
    let config = config.to_str().expect("utf-8 path");

    // Alone, the file's fsync is refused, naming the file and the value.
    let (started, log) = crate::process::ServerProcess::run_until_exit(&root.path().join("a"), &["--config", config]);
    assert!(!started, "{log}");
    assert!(log.contains("in config file") && log.contains("sometimes"), "{log}");

    // STRATA_FSYNC wins over the file's fsync, and --max-connections over its max_connections
    // (0 would refuse every client); the file's default_partitions applies.
    let env = [("STRATA_FSYNC", "never")];
    let args = ["--config", config, "--max-connections", "100"];
    let server = crate::process::ServerProcess::spawn_with_env("127.0.0.1:0", &root.path().join("b"), &args, &env);
    let mut client = connect(server.addr).await;
    let topic = create_topic(&mut client, "t", 0).await;
    assert_eq!(topic.partition_count, 3);
}
