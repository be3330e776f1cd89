//! Checks that the data dir's filesystem takes `O_DIRECT` before RocksDB relies on it.
//!
//! With direct I/O on, RocksDB opens every new SST file with `O_DIRECT`. On a filesystem
//! without it (tmpfs before Linux 6.6, some FUSE and network filesystems) that open fails at
//! the first flush, which RocksDB treats as a background error that turns the database
//! read-only. Failing at startup, with the reason, is the better place to find out.
use std::fs::OpenOptions;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use super::error::{StorageError, StorageResult};

const PROBE_FILE: &str = ".direct-io-probe";

/// Opens (and removes) a file with `O_DIRECT` in `dir`.
pub fn check_supported(dir: &Path) -> StorageResult<()> {
    let probe = dir.join(PROBE_FILE);
    let opened = OpenOptions::new().write(true).create(true).truncate(true).custom_flags(libc::O_DIRECT).open(&probe);
    let _ = std::fs::remove_file(&probe);
    opened.map(drop).map_err(|source| StorageError::DirectIoUnsupported { dir: dir.to_path_buf(), source })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_dir_is_reported_with_its_path() {
        let dir = tempfile::tempdir().expect("dir");
        let missing = dir.path().join("not-there");
        let err = check_supported(&missing).expect_err("no such dir");
        assert!(matches!(&err, StorageError::DirectIoUnsupported { dir, .. } if *dir == missing), "{err}");
        assert!(err.to_string().contains("--direct-io"), "{err}");
    }

    #[test]
    fn leaves_no_probe_file_behind() {
        let dir = tempfile::tempdir().expect("dir");
        // Where the filesystem has no O_DIRECT the error says so; either way nothing is left.
        let _ = check_supported(dir.path());
        assert!(!dir.path().join(PROBE_FILE).exists());
    }
}
