//! Ports for servers whose address must be known before they start, or that stop and start again
//! on the same address.
//!
//! They come from below the kernel's ephemeral range, never from a port-0 bind. A port from the
//! ephemeral range, once released, can be taken by any test's port-0 bind or by any outgoing
//! connection (a client retrying a stopped broker may even connect to itself on it), so a broker
//! restarting on its old address could find it taken: CI once failed so. Below the range only
//! explicit binds land, and this process hands each port out once.
use std::net::TcpListener;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

/// The lowest port handed out.
const LOWEST: u32 = 10_000;

/// Ports handed out so far by this process.
static HANDED_OUT: AtomicU32 = AtomicU32::new(0);

/// `count` ports, each free now and not handed out before by this process.
pub fn fixed_ports(count: usize) -> Vec<u16> {
    (0..count).map(|_| port_block(1)).collect()
}

/// The first of `len` consecutive ports, all free now and not handed out before.
pub fn port_block(len: u16) -> u16 {
    let (start, span) = *range();
    let free = |port: u32| TcpListener::bind(("127.0.0.1", port as u16)).is_ok();
    for _ in 0..span / u32::from(len) {
        let first = HANDED_OUT.fetch_add(u32::from(len), Ordering::SeqCst);
        let base = LOWEST + (start + first) % (span - u32::from(len));
        if (base..base + u32::from(len)).all(free) {
            return base as u16;
        }
    }
    panic!("no {len} free ports between {LOWEST} and the ephemeral range")
}

/// Where this process starts in the range, and the range's size. Test binaries running at once
/// start at different places (by process id), so they rarely try the same ports.
fn range() -> &'static (u32, u32) {
    static RANGE: OnceLock<(u32, u32)> = OnceLock::new();
    RANGE.get_or_init(|| {
        let ephemeral_start = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
            .ok()
            .and_then(|range| range.split_whitespace().next()?.parse::<u32>().ok())
            .unwrap_or(32_768);
        let span = ephemeral_start.saturating_sub(LOWEST).max(1_000);
        ((std::process::id() * 7_919) % span, span)
    })
}
