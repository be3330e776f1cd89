//! A full disk: produce answers RESOURCE_EXHAUSTED, reads go on, nothing acknowledged is lost,
//! and once space is freed produce works again without a restart. Runs on a real (tmpfs)
//! filesystem small enough to fill; skipped, with the reason printed, where mounting one is not
//! allowed.
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use tonic::Code;

use crate::process::ServerProcess;
use crate::support::*;

/// A tmpfs mounted on a temporary directory, unmounted on drop.
pub struct SmallFs {
    _dir: tempfile::TempDir,
    pub mount: PathBuf,
}

impl SmallFs {
    pub fn mount(size_mib: u64) -> Result<SmallFs, String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let mount = dir.path().to_path_buf();
        let output = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size_mib}m"), "tmpfs"])
            .arg(&mount)
            .output()
            .map_err(|e| format!("cannot run mount: {e}"))?;
        if !output.status.success() {
            return Err(format!("mount -t tmpfs failed: {}", String::from_utf8_lossy(&output.stderr).trim()));
        }
        Ok(SmallFs { _dir: dir, mount })
    }
}

impl Drop for SmallFs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.mount).status();
    }
}

/// Writes `path` until the filesystem is full, then gives `headroom` bytes back.
pub fn fill_disk(path: &Path, headroom: u64) {
    let mut file = std::fs::File::create(path).expect("ballast file");
    let chunk = vec![0xA5u8; 1 << 20];
    let mut written = 0u64;
    loop {
        match file.write(&chunk) {
            Ok(0) => break,
            Ok(n) => written += n as u64,
            Err(e) if e.raw_os_error() == Some(28) => break, // ENOSPC
            Err(e) => panic!("filling the disk: {e}"),
        }
    }
    file.set_len(written.saturating_sub(headroom)).expect("give headroom back");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_refuses_produce_keeps_reads_and_recovers_once_space_is_freed() {
    let fs = match SmallFs::mount(192) {
        Ok(fs) => fs,
        Err(reason) => {
            eprintln!("SKIPPED disk-full test: {reason}");
            return;
        }
    };
    let data = fs.mount.join("data");
    let server = ServerProcess::spawn(&data, &[]);
    let mut client = connect(server.addr).await;
    create_topic(&mut client, "t", 1).await;
    produce_to(&mut client, "t", 0, vec![record("before the disk filled")]).await;
    let ballast = fs.mount.join("ballast");
    fill_disk(&ballast, 4 << 20);

    let value = vec![b'x'; 1024];
    let mut acknowledged = 1i64;
    let refusal = loop {
        let records = (0..64).map(|_| record(value.clone())).collect();
        let request = strata::proto::ProduceRequest {
            topic: "t".into(),
            partition: Some(0),
            records,
            acks: 0,
            ..Default::default()
        };
        match client.produce(request).await {
            Ok(response) => {
                assert_eq!(response.into_inner().results[0].base_offset, acknowledged, "offsets stay dense");
                acknowledged += 64;
                assert!(acknowledged < 64 * 100_000, "the disk never filled");
            }
            Err(status) => break status,
        }
    };
    eprintln!("disk full after {acknowledged} acknowledged records: {:?} {}", refusal.code(), refusal.message());
    assert_eq!(refusal.code(), Code::ResourceExhausted, "{refusal:?}");
    assert!(refusal.message().contains("disk full"), "{}", refusal.message());

    // Reads and metadata keep working, with every acknowledged record.
    assert_eq!(describe(&mut client, "t").await.partitions[0].high_watermark, acknowledged);
    let stored = fetch_all(&mut client, "t", 0, 0).await;
    assert_eq!(stored.len() as i64, acknowledged);
    assert_eq!(&stored[0].value[..], b"before the disk filled");

    // Free the space: produce works again, without a restart.
    std::fs::remove_file(&ballast).expect("free the space");
    let give_up = Instant::now() + Duration::from_secs(120);
    let resumed_at = loop {
        let request = strata::proto::ProduceRequest {
            topic: "t".into(),
            partition: Some(0),
            records: vec![record("after")],
            acks: 0,
            ..Default::default()
        };
        match client.produce(request).await {
            Ok(response) => break response.into_inner().results[0].base_offset,
            Err(status) if status.code() == Code::ResourceExhausted && Instant::now() < give_up => {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(status) => panic!("produce did not recover after space was freed: {status:?}"),
        }
    };
    eprintln!("space freed: produce accepted again at offset {resumed_at}, no restart");
    assert_eq!(resumed_at, acknowledged, "no offset was skipped or reused across the refusal");

    // And nothing acknowledged was lost, even through a crash.
    server.kill_9();
    let server = ServerProcess::spawn(&data, &[]);
    let mut client = connect(server.addr).await;
    let stored = fetch_all(&mut client, "t", 0, 0).await;
    assert_eq!(stored.len() as i64, acknowledged + 1);
    assert!(stored.iter().enumerate().all(|(i, r)| r.offset == i as i64), "offsets are dense");
    assert_eq!(&stored.last().expect("last").value[..], b"after");
}
