//! How client commands print: text for people, JSON for programs; and errors without Rust
//! debug dumps.
use clap::ValueEnum;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum OutputFormat {
    #[default]
    Text,
    Json,
}

/// Prints `value` as one JSON line.
pub fn json<T: Serialize>(value: &T) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string(value)?);
    Ok(())
}

/// Prints rows as aligned columns under `header`.
pub fn table(header: &[&str], rows: &[Vec<String>]) {
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.len());
        }
    }
    let line = |cells: Vec<&str>| {
        let padded: Vec<String> = cells.iter().zip(&widths).map(|(c, w)| format!("{c:<w$}")).collect();
        println!("{}", padded.join("  ").trim_end());
    };
    line(header.to_vec());
    for row in rows {
        line(row.iter().map(String::as_str).collect());
    }
}

/// A one-line explanation of a failed client command.
pub fn explain(error: &anyhow::Error, broker: &str) -> String {
    if let Some(status) = error.downcast_ref::<tonic::Status>() {
        if status.code() == tonic::Code::Unavailable && status.message().contains("connect") {
            return unreachable(broker);
        }
        return status.message().to_string();
    }
    if error.downcast_ref::<tonic::transport::Error>().is_some() {
        return unreachable(broker);
    }
    format!("{error:#}")
}

fn unreachable(broker: &str) -> String {
    format!(
        "cannot connect to a broker at {broker} (connection refused?); start one with `strata serve` \
         (or `make run`), or point --broker / STRATA_BROKER at a running one"
    )
}

/// Broker ids as `1,2,3`.
pub fn id_list(ids: &[u64]) -> String {
    ids.iter().map(u64::to_string).collect::<Vec<_>>().join(",")
}

/// Human-readable byte counts.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 { format!("{n} B") } else { format!("{value:.1} {}", UNITS[unit]) }
}
