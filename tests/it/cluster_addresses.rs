//! Brokers that listen on every interface (0.0.0.0) are dialed at the addresses they advertise:
//! other brokers at `--peer-advertise` (seeds find themselves in `--seeds` by it, a joiner is
//! added by it), clients at `--advertise`. An address that reaches nothing from another machine
//! is refused at start, naming the flag that fixes it, and so is a member restarted at another
//! peer address than the cluster recorded.
use strata::proto;

use crate::cluster::status_once;
use crate::ports::fixed_ports;
use crate::process::ServerProcess;
use crate::support::*;

/// Broker `i`'s flags: listening on 0.0.0.0, advertising 127.0.0.1, and `membership`.
fn every_interface(i: usize, peer: &[String], client: &[String], membership: [&str; 2]) -> Vec<String> {
    let any = |addr: &str| addr.replace("127.0.0.1", "0.0.0.0");
    let id = (i + 1).to_string();
    let flags = ["--node-id", &id, "--peer-listen", &any(&peer[i]), "--peer-advertise", &peer[i]];
    let mut flags: Vec<String> = flags.iter().map(|f| f.to_string()).collect();
    flags.extend(["--advertise", &client[i], membership[0], membership[1]].map(String::from));
    flags
}

/// Broker `via`'s status once `count` brokers are alive, each a voter of the metadata shard,
/// and every shard has a leader (bounded: 60 s).
async fn status_with_members(via: &str, count: usize) -> proto::ClusterStatusResponse {
    status_once(via, &format!("{count} brokers alive and members with every shard led"), |status| {
        let alive = status.brokers.iter().filter(|b| b.alive).count();
        let voters = status.shards.iter().find(|s| s.shard == 0).map_or(0, |meta| meta.members.len());
        alive == count && voters == count && status.shards.iter().all(|s| s.leader.is_some())
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn brokers_on_every_interface_are_dialed_at_their_advertised_addresses() {
    let root = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("dir");
    let ports = fixed_ports(6);
    let addrs = |ports: &[u16]| -> Vec<String> { ports.iter().map(|p| format!("127.0.0.1:{p}")).collect() };
    let (peer, client) = (addrs(&ports[..3]), addrs(&ports[3..]));
    let seeds = format!("{},{}", peer[0], peer[1]);
    let start = |i: usize, membership: [&str; 2]| {
        let flags = every_interface(i, &peer, &client, membership);
        let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
        let listen = client[i].replace("127.0.0.1", "0.0.0.0");
        ServerProcess::spawn_at(&listen, &root.path().join(format!("broker{}", i + 1)), &flags)
    };
    // Two seeds form the cluster: each finds its advertised peer address among the seeds.
    let _seeds = [start(0, ["--seeds", &seeds]), start(1, ["--seeds", &seeds])];
    status_with_members(&client[0], 2).await;
    let mut admin = connect(client[0].parse().expect("addr")).await;
    create_topic(&mut admin, "t", 2).await;

    // A third joins: the leaders add it, and send it their entries, at its advertised address.
    let _joiner = start(2, ["--join", &peer[0]]);
    let status = status_with_members(&client[0], 3).await;
    for (i, broker) in status.brokers.iter().enumerate() {
        assert_eq!((broker.id, &broker.peer_address, &broker.address), (i as u64 + 1, &peer[i], &client[i]));
    }

    // Clients are sent to the advertised client addresses (the client follows them to each
    // partition's leader), and what they write there is read back.
    let answer = admin.metadata(proto::MetadataRequest { topics: vec!["t".into()] }).await.expect("metadata");
    let listed: Vec<String> = answer.into_inner().brokers.into_iter().map(|b| b.address).collect();
    assert_eq!(listed, client);
    for partition in 0..2 {
        produce_to(&mut admin, "t", partition, vec![record(format!("via advertised {partition}"))]).await;
        let fetched = fetch_all(&mut admin, "t", partition, 0).await;
        let values: Vec<&[u8]> = fetched.iter().map(|r| r.value.as_ref()).collect();
        assert_eq!(values, [format!("via advertised {partition}").as_bytes()]);
    }
}

#[test]
fn addresses_that_reach_nothing_from_elsewhere_are_refused_at_start() {
    let root = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("dir");
    let port = fixed_ports(1)[0];
    let (peer, any_peer) = (format!("127.0.0.1:{port}"), format!("0.0.0.0:{port}"));
    let seed = ["--node-id", "1", "--seeds", &peer];
    let cases: [(Vec<&str>, &str); 4] = [
        // Peers bound on every interface, with nothing to tell the others.
        ([&seed[..], &["--peer-listen", &any_peer]].concat(), "set --peer-advertise"),
        // Clients of a cluster member bound on every interface, and the IPv6 form advertised.
        ([&seed[..], &["--peer-listen", &peer, "--listen", "0.0.0.0:0"]].concat(), "set --advertise"),
        ([&seed[..], &["--peer-listen", &peer, "--advertise", "[::]:9392"]].concat(), "set --advertise"),
        // A single broker's Kafka listener on every interface.
        (vec!["--kafka-listen", "0.0.0.0:0"], "set --kafka-advertise"),
    ];
    for (n, (args, fix)) in cases.iter().enumerate() {
        let (ok, log) = ServerProcess::run_until_exit(&root.path().join(format!("case{n}")), args);
        assert!(!ok, "{args:?} refused");
        assert!(log.contains("no address others can connect to") && log.contains(fix), "{args:?} says {fix}: {log}");
    }
}

/// The others dial a member at the peer address the cluster recorded: restarted at another one,
/// it is refused, with the flag that brings it back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_restarted_at_another_peer_address_is_refused() {
    let root = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("dir");
    let dir = root.path().join("node1");
    let ports = fixed_ports(2);
    let (recorded, moved) = (format!("127.0.0.1:{}", ports[0]), format!("127.0.0.1:{}", ports[1]));
    let broker = ServerProcess::spawn(&dir, &["--node-id", "1", "--peer-listen", &recorded, "--seeds", &recorded]);
    // Formed once it leads its metadata shard (a cluster of one elects itself).
    let addr = broker.addr.to_string();
    let leads = |s: &proto::ClusterStatusResponse| s.shards.iter().any(|sh| sh.shard == 0 && sh.leader == Some(1));
    status_once(&addr, "formed", leads).await;
    assert!(broker.terminate(), "stops cleanly");

    let (ok, log) =
        ServerProcess::run_until_exit(&dir, &["--node-id", "1", "--peer-listen", &moved, "--seeds", &moved]);
    assert!(!ok, "refused at another peer address");
    let fix = format!("--peer-advertise {recorded}");
    assert!(
        log.contains(&format!("recorded in this cluster at peer address {recorded}")) && log.contains(&fix),
        "{log}"
    );

    // At the recorded address it starts again.
    let broker = ServerProcess::spawn(&dir, &["--node-id", "1", "--peer-listen", &recorded, "--seeds", &recorded]);
    status_once(&broker.addr.to_string(), "led again", leads).await;
    broker.kill_9();
}
