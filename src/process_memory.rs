//! The process's own memory figures, for the heap trimmer and the scale benchmark.

/// A memory line of /proc/self/status in bytes (`VmRSS`: resident now, `VmHWM`: peak
/// resident), or None where there is no procfs or no such line.
pub fn status_bytes(field: &str) -> Option<usize> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.split(':').next() == Some(field))?;
    let kib: usize = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib << 10)
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_resident_and_peak_memory() {
        let rss = super::status_bytes("VmRSS").expect("VmRSS in /proc/self/status");
        let peak = super::status_bytes("VmHWM").expect("VmHWM in /proc/self/status");
        assert!(rss > 0 && peak >= rss, "rss {rss}, peak {peak}");
        assert_eq!(super::status_bytes("NoSuchField"), None);
    }
}
