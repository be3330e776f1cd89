//! Proves the Grafana dashboards: a real Prometheus scrapes a real broker (three, for the cluster
//! dashboard) under a small produce/consume/group load, and every panel query of every dashboard
//! (template variables substituted) must parse and return at least one series. Also `promtool
//! check metrics`.
use std::io::Write;
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use strata::proto;

use crate::process::ServerProcess;
use crate::support::*;

struct Prometheus(Child);

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], crate::ports::fixed_ports(1)[0]))
}

fn start_prometheus(dir: &Path, targets: &[SocketAddr]) -> (Prometheus, SocketAddr) {
    let config = dir.join("prometheus.yml");
    let targets: Vec<String> = targets.iter().map(|t| format!("\"{t}\"")).collect();
    let yaml = format!(
        "global: {{ scrape_interval: 1s, evaluation_interval: 1s }}\n\
         scrape_configs:\n  - {{ job_name: strata, static_configs: [{{ targets: [{}] }}] }}\n",
        targets.join(", ")
    );
    std::fs::write(&config, yaml).expect("write prometheus.yml");
    let web = free_port();
    let child = Command::new("prometheus")
        .arg(format!("--config.file={}", config.display()))
        .arg(format!("--storage.tsdb.path={}", dir.join("tsdb").display()))
        .arg(format!("--web.listen-address={web}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the `prometheus` binary (Debian package prometheus; `make test` installs it)");
    (Prometheus(child), web)
}

fn encode(query: &str) -> String {
    query
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Runs an instant query; returns each series' labels, or the error Prometheus gave.
fn query(prometheus: SocketAddr, expr: &str) -> Result<Vec<String>, String> {
    let body = http_get(prometheus, &format!("/api/v1/query?query={}", encode(expr))).ok_or("no answer")?;
    let json: serde_json::Value = serde_json::from_str(&body).map_err(|e| format!("{e}: {body}"))?;
    if json["status"] != "success" {
        return Err(format!("{}", json["error"]));
    }
    let series = json["data"]["result"].as_array().cloned().unwrap_or_default();
    Ok(series.iter().map(|s| s["metric"].to_string()).collect())
}

/// Produces, fetches, commits and fails a little, so every metric has something to show.
async fn load(client: &mut Client, round: i64) {
    let records = (0..20).map(|i| keyed(&format!("k{i}"), format!("order {round}-{i}"))).collect();
    let request =
        proto::ProduceRequest { topic: "orders".into(), partition: None, records, acks: 0, ..Default::default() };
    client.produce(request).await.expect("produce");
    let fetched = fetch_all(client, "orders", 0, 0).await;
    let commit_to = (fetched.len() as i64 / 2).max(0);
    client.commit_offsets(super::offsets::commit("billing", "orders", &[(0, commit_to)])).await.expect("commit");
    let _ = client.fetch(fetch_request("no-such-topic", 0, 0)).await; // a NOT_FOUND for the error panel
    // An idempotent producer's retry, a gap and a fenced instance, for the producer panels.
    let fenced = super::idempotence::init_producer(client, Some("loader")).await;
    let current = super::idempotence::init_producer(client, Some("loader")).await;
    let retried =
        || proto::ProduceRequest { topic: "orders".into(), ..super::idempotence::sequenced(0, &current, 0, &["x"]) };
    client.produce(retried()).await.expect("first attempt");
    client.produce(retried()).await.expect("retry answered from the window");
    let gap = proto::ProduceRequest { base_sequence: 5, ..retried() };
    let stale =
        proto::ProduceRequest { topic: "orders".into(), ..super::idempotence::sequenced(0, &fenced, 0, &["x"]) };
    for refused in [gap, stale] {
        client.produce(refused).await.expect_err("refused");
    }
}

/// Kafka-protocol requests for the Kafka row: a produce, a fetch, and one refused.
async fn kafka_load(addr: SocketAddr) {
    use crate::kafka_protocol::{fetch, produce, produce_one};
    let mut wire = crate::kafka_wire::KafkaWire::connect(addr).await;
    produce_one(&mut wire, produce("orders", 0, crate::kafka_wire::batch(&[("k", "v")]), -1)).await;
    wire.call(fetch("orders", 0, 0, 0), 12).await;
    produce_one(&mut wire, produce("no-such-topic", 0, crate::kafka_wire::batch(&[("k", "v")]), -1)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_dashboard_panel_returns_series_from_a_real_prometheus() {
    let dir = tempfile::tempdir().expect("dir");
    let metrics_addr = free_port();
    let (metrics_arg, kafka_addr) = (metrics_addr.to_string(), free_port());
    let kafka_arg = kafka_addr.to_string();
    let flags = ["--metrics-listen", &metrics_arg, "--kafka-listen", &kafka_arg];
    let broker = ServerProcess::spawn(&dir.path().join("data"), &flags);
    let mut client = connect(broker.addr).await;
    create_topic(&mut client, "orders", 3).await;
    let join = proto::JoinGroupRequest { group: "billing".into(), topics: vec!["orders".into()], ..Default::default() };
    client.join_group(join).await.expect("join");
    let subscribe = proto::SubscribeRequest { topic: "orders".into(), partition: 1, offset: 0, max_bytes: 0 };
    let _stream = client.subscribe(subscribe).await.expect("subscribe");

    let metrics_text = http_get(metrics_addr, "/metrics").expect("metrics endpoint");
    check_with_promtool(&metrics_text);

    let (_prometheus, prometheus) = start_prometheus(dir.path(), &[metrics_addr]);
    let mut round = 0;
    // Load until Prometheus holds at least 8 scrapes (rates need two samples in their window).
    while !query(prometheus, "count_over_time(strata_uptime_seconds[5m]) >= 8").is_ok_and(|s| !s.is_empty()) {
        assert!(round < 600, "Prometheus did not collect 8 scrapes");
        load(&mut client, round).await;
        kafka_load(kafka_addr).await;
        round += 1;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let (checked, failures) = check_boards(prometheus, &["overview", "topics", "consumer-groups", "storage"]);
    assert!(checked >= 30, "found only {checked} panel queries");
    assert!(failures.is_empty(), "{} of {checked} panel queries failed:\n{}", failures.len(), failures.join("\n"));
}

/// Runs every panel query of `boards` (template variables substituted); returns how many ran
/// and the ones that failed or returned no series.
fn check_boards(prometheus: SocketAddr, boards: &[&str]) -> (usize, Vec<String>) {
    let mut failures = Vec::new();
    let mut checked = 0;
    for board in boards {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("grafana/dashboards/{board}.json"));
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).expect("dashboard")).expect("JSON");
        for (title, expr) in panel_queries(&json) {
            let expr = expr.replace("$__rate_interval", "1m").replace("$topic", "orders").replace("$group", "billing");
            checked += 1;
            match query(prometheus, &expr) {
                Ok(series) if series.is_empty() => failures.push(format!("{board} / {title}: no series for {expr}")),
                // The summary a person would otherwise take from a screenshot (--nocapture).
                Ok(series) => println!("{board} / {title}: {} series {}", series.len(), series.join(" ")),
                Err(e) => failures.push(format!("{board} / {title}: {e} in {expr}")),
            }
        }
    }
    (checked, failures)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cluster_dashboard_shows_three_brokers_from_a_real_prometheus() {
    let cluster = super::cluster::Cluster::start(3);
    let leader = cluster.leader().await;
    let mut client = connect(cluster.addr(leader)).await;
    create_topic(&mut client, "orders", 2).await;
    check_with_promtool(&http_get(cluster.metrics[leader], "/metrics").expect("metrics endpoint"));
    let dir = tempfile::tempdir().expect("dir");
    let (_prometheus, prometheus) = start_prometheus(dir.path(), &cluster.metrics);
    let mut round = 0;
    // Three brokers and at least 8 scrapes of each (the metadata shard's series: one per broker).
    let scraped = "count(count_over_time(strata_raft_term{shard=\"0\"}[5m]) >= 8) == 3";
    while !query(prometheus, scraped).is_ok_and(|s| !s.is_empty()) {
        assert!(round < 600, "Prometheus did not collect 8 scrapes of every broker");
        produce_to(&mut client, "orders", round % 2, vec![record(format!("r{round}"))]).await;
        round += 1;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (checked, failures) = check_boards(prometheus, &["cluster"]);
    assert!(checked >= 10, "found only {checked} panel queries");
    assert!(failures.is_empty(), "{} of {checked} panel queries failed:\n{}", failures.len(), failures.join("\n"));
}

/// `(panel title, expr)` of every target of every panel, rows included.
fn panel_queries(dashboard: &serde_json::Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut stack: Vec<&serde_json::Value> =
        dashboard["panels"].as_array().map(|p| p.iter().collect()).unwrap_or_default();
    while let Some(panel) = stack.pop() {
        if let Some(nested) = panel["panels"].as_array() {
            stack.extend(nested);
        }
        for target in panel["targets"].as_array().into_iter().flatten() {
            if let Some(expr) = target["expr"].as_str() {
                out.push((panel["title"].as_str().unwrap_or_default().to_string(), expr.to_string()));
            }
        }
    }
    out
}

fn check_with_promtool(metrics: &str) {
    let mut promtool = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool (Debian package prometheus)");
    promtool.stdin.take().expect("stdin").write_all(metrics.as_bytes()).expect("write");
    let out = promtool.wait_with_output().expect("promtool");
    assert!(
        out.status.success(),
        "promtool check metrics: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_topics_series_disappear() {
    let dir = tempfile::tempdir().expect("dir");
    let metrics_addr = free_port();
    let args = ["--metrics-listen", &metrics_addr.to_string(), "--metrics-idle-timeout", "3s"].map(str::to_string);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let broker = ServerProcess::spawn(&dir.path().join("data"), &args);
    let mut client = connect(broker.addr).await;
    create_topic(&mut client, "doomed", 2).await;
    create_topic(&mut client, "kept", 1).await;
    let series = |name: &str| {
        let text = http_get(metrics_addr, "/metrics").unwrap_or_default();
        text.lines().filter(|l| !l.starts_with('#') && l.contains(&format!("topic=\"{name}\""))).count()
    };
    let mut waited = 0;
    while series("doomed") == 0 {
        assert!(waited < 200, "the topic's series never appeared");
        waited += 1;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    client.delete_topic(proto::DeleteTopicRequest { name: "doomed".into() }).await.expect("delete");
    let mut waited = 0;
    while series("doomed") > 0 {
        assert!(waited < 400, "the deleted topic's series are still exported");
        waited += 1;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(series("kept") > 0, "live topics keep theirs");
}
