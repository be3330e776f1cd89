//! A follower whose disk fills stops acknowledging and applying, cleanly: the others keep
//! taking writes, and once space returns it catches up and holds the same bytes. Its data dir
//! is on a small tmpfs; skipped, with the reason printed, where mounting one is not allowed.
use std::time::Duration;

use crate::cluster::{Cluster, high_watermarks, wait_caught_up};
use crate::disk_full::{SmallFs, fill_disk};
use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_follower_with_a_full_disk_waits_and_catches_up_when_space_returns() {
    let fs = match SmallFs::mount(256) {
        Ok(fs) => fs,
        Err(reason) => {
            eprintln!("SKIPPED cluster disk-full test: {reason}");
            return;
        }
    };
    let mut cluster = Cluster::start(3);
    let leader = cluster.leader().await;
    let mut client = connect(cluster.addr(leader)).await;
    create_topic(&mut client, "t", 1).await;
    produce_to(&mut client, "t", 0, vec![record("first")]).await;

    // A follower's data dir moves to the small filesystem, which then fills up.
    let follower = (leader + 1) % 3;
    cluster.kill_9(follower);
    let moved = fs.mount.join("follower");
    let copied = std::process::Command::new("cp").arg("-a").arg(&cluster.dirs[follower]).arg(&moved).status();
    assert!(copied.is_ok_and(|s| s.success()), "copy the data dir");
    cluster.dirs[follower] = moved;
    cluster.restart(follower);
    wait_caught_up(cluster.addr(follower), "t", &[1]).await;
    let ballast = fs.mount.join("ballast");
    fill_disk(&ballast, 1 << 20);

    // The other two keep acknowledging; the full one falls behind without failing.
    let value = vec![b'x'; 1024];
    for round in 0..400 {
        let records = (0..64).map(|_| record(value.clone())).collect();
        assert_eq!(produce_to(&mut client, "t", 0, records).await, 1 + 64 * round);
    }
    let expected = high_watermarks(cluster.addr(leader), "t").await;
    assert_eq!(expected, vec![1 + 64 * 400]);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let behind = high_watermarks(cluster.addr(follower), "t").await;
    assert!(behind[0] < expected[0], "the full follower could not keep up: {behind:?} of {expected:?}");

    // Space returns: it catches up, and the replicas hold the same bytes.
    std::fs::remove_file(&ballast).expect("free the space");
    wait_caught_up(cluster.addr(follower), "t", &expected).await;
    for i in 0..3 {
        wait_caught_up(cluster.addr(i), "t", &expected).await;
    }
    cluster.stop_and_compare_replicas();
}
