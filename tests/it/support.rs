//! `TestBroker`: an in-process server on 127.0.0.1:0 with its own temp data dir, and helpers
//! for the requests every test makes.
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use bytes::Bytes;
use strata::config::BrokerConfig;
use strata::proto::{self, Record};
use tempfile::TempDir;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

/// The library's connection: requests follow the leader of a cluster.
pub type Client = strata::client::Connection;

/// The broker runs on its own thread and runtime, so it shuts down cleanly (RocksDB closed) after
/// its test's runtime is gone, which a server task on that runtime would not: it would be dropped
/// mid-shutdown with the database left open.
pub struct TestBroker {
    pub addr: SocketAddr,
    /// The Kafka listener's address, if it was started with one.
    pub kafka_addr: Option<SocketAddr>,
    data_dir: PathBuf,
    stop: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<Stopped>>,
}

/// What the broker thread returns: how serving ended, and its temp dir, which it owns so that
/// the dir is deleted only after RocksDB closed it, also when nobody joins the thread. The
/// fields drop in order: the dir goes before the thread stops counting as open.
type Stopped = (anyhow::Result<()>, TempDir, OpenBroker);

/// Broker threads whose result has not been dropped yet: their RocksDB may still be open, or
/// their temp dir not yet deleted.
static OPEN_BROKERS: AtomicUsize = AtomicUsize::new(0);

/// How long the test process waits at exit for brokers still shutting down.
const EXIT_WAIT: Duration = Duration::from_secs(20);

/// Runs at process exit, before the static destructors of RocksDB that were registered earlier:
/// a process that exits while a database is open can abort in them ("pthread lock: Invalid
/// argument"). A dropped broker finishes its graceful shutdown once its test's runtime has closed
/// the client connections, so this wait is short.
extern "C" fn wait_for_open_brokers() {
    let deadline = Instant::now() + EXIT_WAIT;
    while OPEN_BROKERS.load(Ordering::SeqCst) > 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// The one unsafe call of the tests: the standard library has no exit hook.
#[allow(unsafe_code)]
fn wait_at_exit() {
    // SAFETY: registers a plain function that only reads an atomic and sleeps.
    unsafe { libc::atexit(wait_for_open_brokers) };
}

/// Counts a broker thread as open until its result is dropped (or it panics).
struct OpenBroker;

impl OpenBroker {
    fn count() -> Self {
        OPEN_BROKERS.fetch_add(1, Ordering::SeqCst);
        OpenBroker
    }
}

impl Drop for OpenBroker {
    fn drop(&mut self) {
        OPEN_BROKERS.fetch_sub(1, Ordering::SeqCst);
    }
}

impl TestBroker {
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    /// Starts with the defaults changed by `adjust`, in a fresh temp dir.
    pub async fn start_with(adjust: impl FnOnce(&mut BrokerConfig)) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        Self::start_in(dir, adjust).await
    }

    /// Starts on an existing data dir (a restart).
    pub async fn start_in(dir: TempDir, adjust: impl FnOnce(&mut BrokerConfig)) -> Self {
        Self::start_at("127.0.0.1:0".parse().expect("addr"), dir, adjust).await
    }

    /// Starts with a Kafka listener too (`kafka_addr`), in a fresh temp dir.
    pub async fn start_with_kafka(adjust: impl FnOnce(&mut BrokerConfig)) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        Self::start_listening("127.0.0.1:0".parse().expect("addr"), true, dir, adjust).await
    }

    /// Starts on `addr` (port 0 = any) with an existing data dir.
    pub async fn start_at(addr: SocketAddr, dir: TempDir, adjust: impl FnOnce(&mut BrokerConfig)) -> Self {
        Self::start_listening(addr, false, dir, adjust).await
    }

    async fn start_listening(
        addr: SocketAddr,
        kafka: bool,
        dir: TempDir,
        adjust: impl FnOnce(&mut BrokerConfig),
    ) -> Self {
        let data_dir = dir.path().join("data");
        let mut config = BrokerConfig { data_dir: data_dir.clone(), ..BrokerConfig::default() };
        adjust(&mut config);
        let listener = std::net::TcpListener::bind(addr).expect("bind");
        listener.set_nonblocking(true).expect("non-blocking listener");
        let addr = listener.local_addr().expect("local addr");
        let kafka_listener = kafka.then(|| {
            let kafka = std::net::TcpListener::bind("127.0.0.1:0").expect("bind the Kafka listener");
            kafka.set_nonblocking(true).expect("non-blocking listener");
            kafka
        });
        let kafka_addr = kafka_listener.as_ref().map(|k| k.local_addr().expect("Kafka local addr"));
        let (stop, stopped) = oneshot::channel::<()>();
        let server = std::thread::Builder::new()
            .name(format!("test-broker-{}", addr.port()))
            .spawn({
                let open = OpenBroker::count();
                move || (serve(listener, kafka_listener, config, stopped), dir, open)
            })
            .expect("broker thread");
        TestBroker { addr, kafka_addr, data_dir, stop: Some(stop), server: Some(server) }
    }

    pub async fn client(&self) -> Client {
        connect(self.addr).await
    }

    pub fn data_dir(&self) -> PathBuf {
        self.data_dir.clone()
    }

    /// Graceful shutdown; returns the data dir for a restart.
    pub async fn stop(mut self) -> TempDir {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let server = self.server.take().expect("a running broker");
        let joined = tokio::task::spawn_blocking(move || server.join()).await.expect("joining the broker thread");
        let (result, dir, _open) = joined.expect("broker thread");
        result.expect("server shut down cleanly");
        dir
    }

    /// Stops and starts again on the same data dir.
    pub async fn restart(self) -> Self {
        let dir = self.stop().await;
        Self::start_in(dir, |_| {}).await
    }
}

impl Drop for TestBroker {
    /// Asks the broker to stop without waiting: its graceful shutdown needs the client side to
    /// answer, which a single-threaded test runtime cannot while it blocks here. The exit hook
    /// waits instead. Exit handlers run in reverse order of registration, so the hook runs
    /// before the RocksDB statics that existed when it was registered; registering it again at
    /// every drop (not once) keeps that true for statics created by later brokers.
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if self.server.take().is_some() {
            wait_at_exit();
        }
    }
}

/// The broker thread: its own runtime, serving until `stopped`, returning once RocksDB closed.
fn serve(
    listener: std::net::TcpListener,
    kafka: Option<std::net::TcpListener>,
    config: BrokerConfig,
    stopped: oneshot::Receiver<()>,
) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    runtime.block_on(async move {
        let listener = TcpListener::from_std(listener)?;
        let kafka = match kafka {
            Some(kafka) => Some(strata::server::KafkaListener::new(TcpListener::from_std(kafka)?, None)?),
            None => None,
        };
        strata::server::run(strata::server::FrontEnds { grpc: listener, kafka }, config, async move {
            let _ = stopped.await;
        })
        .await
    })
}

/// A client for `addr`, retrying while the server is still binding its service.
pub async fn connect(addr: SocketAddr) -> Client {
    for _ in 0..200 {
        if let Ok(client) = strata::client::connect(&addr.to_string()).await {
            return client;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("could not connect to {addr}");
}

/// 1 KiB records, 4 KiB requests: small enough for tests to cross both limits cheaply.
pub fn small_size_limits(config: &mut BrokerConfig) {
    config.max_record_bytes = 1024;
    config.max_request_bytes = 4096;
}

/// The values of `series` (a metric name with its labels, as exposed) in one scrape of the
/// Prometheus endpoint at `addr`; 0 for a series not exposed yet.
pub async fn scrape(addr: SocketAddr, series: &[&str]) -> Vec<f64> {
    let text = tokio::task::spawn_blocking(move || http_get(addr, "/metrics").expect("metrics endpoint"))
        .await
        .expect("scrape");
    let value = |name: &str| {
        let line = text.lines().find(|l| l.split_once(' ').is_some_and(|(series, _)| series == name));
        line.and_then(|l| l.rsplit(' ').next()).and_then(|v| v.parse().ok()).unwrap_or(0.0)
    };
    series.iter().map(|name| value(name)).collect()
}

/// Scrapes `addr` until the exposition has a line `line` (bounded: 30 s); returns the text.
pub async fn wait_for_metric(addr: SocketAddr, line: &str) -> String {
    for _ in 0..300 {
        let text = http_get(addr, "/metrics").unwrap_or_default();
        if text.lines().any(|l| l == line) {
            return text;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{addr} never exported `{line}`");
}

/// A plain HTTP/1.0 GET (metrics, Prometheus' API); returns the body.
pub fn http_get(addr: SocketAddr, path: &str) -> Option<String> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).ok()?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    response.split_once("\r\n\r\n").map(|(_, body)| body.to_string())
}

pub async fn create_topic(client: &mut Client, name: &str, partitions: u32) -> proto::Topic {
    let request = proto::CreateTopicRequest { name: name.into(), partitions, config: None, ..Default::default() };
    create_topic_as(client, request).await.expect("create topic")
}

/// Sends `request`, again while a cluster's metadata shard has no leader (UNAVAILABLE: an
/// election, or leadership handed to its preferred broker; bounded). A topic the first send
/// created before its answer was lost answers ALREADY_EXISTS, and is described. Any other
/// refusal is returned.
pub async fn create_topic_as(
    client: &mut Client,
    request: proto::CreateTopicRequest,
) -> Result<proto::Topic, tonic::Status> {
    for attempt in 0..100 {
        match client.create_topic(request.clone()).await {
            Ok(created) => return Ok(created.into_inner().topic.expect("topic in response")),
            Err(status) if status.code() == tonic::Code::Unavailable => {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(status) if status.code() == tonic::Code::AlreadyExists && attempt > 0 => {
                return Ok(describe(client, &request.name).await);
            }
            Err(status) => return Err(status),
        }
    }
    panic!("topic {} was never created: the metadata shard had no leader for 10 s", request.name);
}

pub fn record(value: impl Into<Vec<u8>>) -> Record {
    Record { value: Bytes::from(value.into()), ..Record::default() }
}

pub fn keyed(key: &str, value: impl Into<Vec<u8>>) -> Record {
    Record { key: Some(Bytes::copy_from_slice(key.as_bytes())), ..record(value) }
}

pub fn with_headers(mut r: Record, headers: &[(&str, &str)]) -> Record {
    r.headers =
        headers.iter().map(|(k, v)| (k.to_string(), Bytes::copy_from_slice(v.as_bytes()))).collect::<BTreeMap<_, _>>();
    r
}

/// Produces to one partition with acks ALL, at the partition's leader; returns the base
/// offset.
pub async fn produce_to(client: &mut Client, topic: &str, partition: u32, records: Vec<Record>) -> i64 {
    let request = proto::ProduceRequest {
        topic: topic.into(),
        partition: Some(partition),
        records,
        acks: 0,
        ..Default::default()
    };
    let response = at_partition_leader(topic, partition, || {
        let (mut client, request) = (client.clone(), request.clone());
        async move { client.produce(strata::client::for_partition(request, topic, partition)).await }
    })
    .await
    .expect("produce")
    .into_inner();
    assert_eq!(response.results.len(), 1, "one partition, one result");
    response.results[0].base_offset
}

/// Sends a request for one partition until it reaches that partition's leader (bounded): a
/// broker that does not lead the partition's shard refuses it (naming the leader, whom the
/// client's route for the partition then follows, or none during an election or a hand-over);
/// one that is gone is not reached. Neither wrote anything. (A request that reached a broker
/// and got no answer is not sent again.)
pub async fn at_partition_leader<T, F>(
    topic: &str,
    partition: u32,
    mut send: impl FnMut() -> F,
) -> Result<tonic::Response<T>, tonic::Status>
where
    F: std::future::Future<Output = Result<tonic::Response<T>, tonic::Status>>,
{
    let not_reached = |status: &tonic::Status| {
        let reason = status.metadata().get("strata-reason").and_then(|v| v.to_str().ok());
        status.code() == tonic::Code::Unavailable
            && (reason == Some("NOT_LEADER") || status.message().contains("tcp connect error"))
    };
    // 6 s: an election takes up to the tests' 1 s election timeout, a few times over.
    for _ in 0..300 {
        match send().await {
            Err(status) if not_reached(&status) => {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            answered => return answered,
        }
    }
    panic!("{topic}/{partition}: the partition's leader was never reached");
}

pub fn fetch_request(topic: &str, partition: u32, offset: i64) -> proto::FetchRequest {
    proto::FetchRequest { topic: topic.into(), partition, offset, max_bytes: 0, max_wait_ms: 0 }
}

/// Every record of a partition from `from` to its high watermark, in as many fetches as needed.
pub async fn fetch_all(client: &mut Client, topic: &str, partition: u32, from: i64) -> Vec<proto::StoredRecord> {
    let mut records = Vec::new();
    let mut offset = from;
    loop {
        let response = at_partition_leader(topic, partition, || {
            let mut client = client.clone();
            let request = strata::client::for_partition(fetch_request(topic, partition, offset), topic, partition);
            async move { client.fetch(request).await }
        })
        .await
        .expect("fetch")
        .into_inner();
        let Some(last) = response.records.last() else { return records };
        offset = last.offset + 1;
        records.extend(response.records);
        if offset >= response.high_watermark {
            return records;
        }
    }
}

pub async fn describe(client: &mut Client, topic: &str) -> proto::Topic {
    let request = proto::DescribeTopicRequest { name: topic.into() };
    client.describe_topic(request).await.expect("describe").into_inner().topic.expect("topic")
}

/// Sizes of the SST files in a data dir (a compaction may delete one between listing and
/// reading its size; it is then left out).
pub fn sst_file_sizes(dir: &Path) -> Vec<u64> {
    let entries = std::fs::read_dir(dir).expect("data dir");
    let ssts = entries.filter_map(Result::ok).filter(|e| e.path().extension().is_some_and(|x| x == "sst"));
    ssts.filter_map(|e| e.metadata().ok()).map(|m| m.len()).collect()
}
