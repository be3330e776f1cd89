//! The process's own memory and CPU figures, for the heap trimmer and the scale benchmark.

/// A memory line of /proc/self/status in bytes (`VmRSS`: resident now, `VmHWM`: peak
/// resident), or None where there is no procfs or no such line.
pub fn status_bytes(field: &str) -> Option<usize> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.split(':').next() == Some(field))?;
    let kib: usize = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib << 10)
}

/// CPU time (user + system) the process has used so far, in seconds, or None without procfs.
pub fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name, which is in parentheses and may itself hold spaces.
    let fields: Vec<&str> = stat.rsplit_once(") ")?.1.split(' ').collect();
    let ticks = |i: usize| fields.get(i)?.parse::<u64>().ok();
    // utime and stime (fields 14 and 15 of proc(5)), in USER_HZ = 100 ticks a second.
    Some((ticks(11)? + ticks(12)?) as f64 / 100.0)
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

    #[test]
    fn cpu_time_grows_with_work() {
        let before = super::cpu_seconds().expect("/proc/self/stat");
        let mut x = 0u64;
        while super::cpu_seconds().expect("/proc/self/stat") < before + 0.02 {
            x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(7));
        }
        assert!(super::cpu_seconds().expect("/proc/self/stat") >= before + 0.02);
    }
}
