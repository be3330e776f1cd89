//! Dropping a data dir's files from the page cache, so a catch-up read starts cold: as it would
//! for a consumer that falls behind by more than the cache holds, or after a restart.
use std::os::fd::AsRawFd;
use std::path::Path;

/// Asks the kernel to drop the cached pages of every file under `dir` (POSIX_FADV_DONTNEED).
/// The files are synced already (SSTs are written and synced once), so every page is clean.
pub fn evict(dir: &Path) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            evict(&path)?;
        } else {
            drop_cached_pages(&std::fs::File::open(&path)?)?;
        }
    }
    Ok(())
}

#[allow(unsafe_code)]
fn drop_cached_pages(file: &std::fs::File) -> std::io::Result<()> {
    // SAFETY: an advisory call on an open descriptor; it reads and writes no memory of ours.
    let rc = unsafe { libc::posix_fadvise(file.as_raw_fd(), 0, 0, libc::POSIX_FADV_DONTNEED) };
    if rc == 0 { Ok(()) } else { Err(std::io::Error::from_raw_os_error(rc)) }
}
