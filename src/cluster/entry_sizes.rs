//! The sizes of a group's recent log entries, so a follower's lag can be told in bytes as well
//! as entries without reading the log: a bounded window of (index, cumulative bytes), fed by
//! every append and cut back by every truncation.
use std::collections::VecDeque;
use std::sync::Mutex;

/// Entries remembered; lags reaching further back are estimated from the average entry.
const WINDOW: usize = 1 << 16;

#[derive(Default)]
pub struct EntrySizes {
    window: Mutex<Window>,
}

#[derive(Default)]
struct Window {
    /// (index, bytes of every entry recorded up to and including it), ascending.
    recent: VecDeque<(u64, u64)>,
    /// The running total of the last entry dropped off the front.
    dropped_total: u64,
}

impl EntrySizes {
    /// Records appended entries (index, encoded size), in log order.
    pub fn appended(&self, entries: impl IntoIterator<Item = (u64, u64)>) {
        let mut window = self.lock();
        for (index, size) in entries {
            // A rewrite of an index (after a conflict) replaces everything from it on.
            while window.recent.back().is_some_and(|&(last, _)| last >= index) {
                window.recent.pop_back();
            }
            let total = window.recent.back().map_or(window.dropped_total, |&(_, total)| total) + size;
            window.recent.push_back((index, total));
            if window.recent.len() > WINDOW
                && let Some((_, dropped)) = window.recent.pop_front()
            {
                window.dropped_total = dropped;
            }
        }
    }

    /// Forgets entries after `last_kept` (a truncation of the log).
    pub fn truncated_after(&self, last_kept: Option<u64>) {
        let mut window = self.lock();
        while window.recent.back().is_some_and(|&(index, _)| last_kept.is_none_or(|kept| index > kept)) {
            window.recent.pop_back();
        }
    }

    /// Bytes of the entries after `matched` (none: every entry), estimated with the average
    /// entry size for the part older than the window.
    pub fn bytes_after(&self, matched: Option<u64>) -> u64 {
        let window = self.lock();
        let recent = &window.recent;
        let (Some(&(first, _)), Some(&(last, last_total))) = (recent.front(), recent.back()) else {
            return 0;
        };
        let from = matched.map_or(0, |m| m + 1);
        if from > last {
            return 0;
        }
        if from > first {
            let before = recent.partition_point(|&(index, _)| index < from);
            return last_total - recent[before - 1].1;
        }
        // The whole window, plus the older entries at the window's average size.
        let in_window = last_total - window.dropped_total;
        in_window + (first - from) * (in_window / recent.len() as u64)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Window> {
        self.window.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lag_in_bytes_sums_the_entries_after_the_matched_index() {
        let sizes = EntrySizes::default();
        sizes.appended([(0, 10), (1, 20), (2, 30)]);
        assert_eq!(sizes.bytes_after(Some(2)), 0);
        assert_eq!(sizes.bytes_after(Some(1)), 30);
        assert_eq!(sizes.bytes_after(Some(0)), 50);
        assert_eq!(sizes.bytes_after(None), 60);
    }

    #[test]
    fn a_rewritten_or_truncated_tail_is_forgotten() {
        let sizes = EntrySizes::default();
        sizes.appended([(0, 10), (1, 20), (2, 30)]);
        sizes.appended([(1, 5)]);
        assert_eq!(sizes.bytes_after(Some(0)), 5);
        sizes.truncated_after(Some(0));
        assert_eq!(sizes.bytes_after(None), 10);
        sizes.truncated_after(None);
        assert_eq!(sizes.bytes_after(None), 0);
    }

    #[test]
    fn entries_older_than_the_window_are_estimated_at_the_average_size() {
        let sizes = EntrySizes::default();
        sizes.appended((0..(WINDOW as u64 + 100)).map(|i| (i, 8)));
        assert_eq!(sizes.bytes_after(None), (WINDOW as u64 + 100) * 8);
        assert_eq!(sizes.bytes_after(Some(50)), (WINDOW as u64 + 49) * 8);
        assert_eq!(sizes.bytes_after(Some(WINDOW as u64 + 89)), 80);
    }
}
