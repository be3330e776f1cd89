//! Dropping a data dir's files from the page cache, so a catch-up read starts cold: as it would
//! for a consumer that falls behind by more than the cache holds, or after a restart.
use std::io::ErrorKind;
use std::os::fd::AsRawFd;
use std::path::Path;

/// Asks the kernel to drop the cached pages of every file under `dir` (POSIX_FADV_DONTNEED),
/// after syncing each, since the kernel keeps dirty pages. A file a compaction deletes meanwhile
/// is skipped; a compaction still running reads its inputs back into the cache, so the caller
/// should let them finish first.
pub fn evict(dir: &Path) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = match entry {
            Ok(entry) => entry.path(),
            Err(e) if e.kind() == ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        let evicted = if path.is_dir() { evict(&path) } else { drop_cached_pages(&path) };
        match evicted {
            Err(e) if e.kind() != ErrorKind::NotFound => return Err(e),
            _ => {}
        }
    }
    Ok(())
}

#[allow(unsafe_code)]
fn drop_cached_pages(path: &Path) -> std::io::Result<()> {
    let file = std::fs::File::open(path)?;
    file.sync_data()?;
    // SAFETY: an advisory call on an open descriptor; it reads and writes no memory of ours.
    let rc = unsafe { libc::posix_fadvise(file.as_raw_fd(), 0, 0, libc::POSIX_FADV_DONTNEED) };
    if rc == 0 { Ok(()) } else { Err(std::io::Error::from_raw_os_error(rc)) }
}
