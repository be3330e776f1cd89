//! The budget of Subscribe response bytes handed to connections but not yet sent. A subscriber
//! that never reads holds one response in its connection's HTTP/2 buffers; without a budget a
//! thousand of them holding a megabyte each would hold a gigabyte. Under pressure responses
//! shrink (down to [`MIN_GRANT`]) before any stream waits, so stalled readers slow down the
//! others but cannot starve them.
use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Budget unit, so that the whole budget fits a semaphore's permit count.
const UNIT: u32 = 1024;
/// The smallest response size granted; below it a stream waits for budget instead.
pub const MIN_GRANT: u32 = 64 << 10;

pub struct StreamBuffer(Arc<Semaphore>);

/// Budget held for one response until the stream is polled again.
pub struct Grant {
    _permit: OwnedSemaphorePermit,
    bytes: u32,
}

impl Grant {
    /// The response size to ask the log for.
    pub fn bytes(&self) -> u32 {
        self.bytes
    }
}

impl StreamBuffer {
    pub fn new(max_bytes: usize) -> Self {
        StreamBuffer(Arc::new(Semaphore::new((max_bytes / UNIT as usize).max((MIN_GRANT / UNIT) as usize))))
    }

    /// `wanted` bytes if the budget has them, else the largest of `wanted`/4, `wanted`/16, ...
    /// down to [`MIN_GRANT`] that it has; else waits for [`MIN_GRANT`].
    pub async fn reserve(&self, wanted: u32) -> Grant {
        let mut bytes = wanted.max(MIN_GRANT);
        while bytes > MIN_GRANT {
            if let Ok(permit) = self.0.clone().try_acquire_many_owned(bytes.div_ceil(UNIT)) {
                return Grant { _permit: permit, bytes };
            }
            bytes = (bytes / 4).max(MIN_GRANT);
        }
        // The semaphore is never closed, so acquiring can only fail if it were.
        match self.0.clone().acquire_many_owned(MIN_GRANT / UNIT).await {
            Ok(permit) => Grant { _permit: permit, bytes: MIN_GRANT },
            Err(_) => unreachable!("the stream buffer semaphore is never closed"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn grants_shrink_under_pressure_and_return_when_dropped() {
        let buffer = StreamBuffer::new(1 << 20);
        let big = buffer.reserve(1 << 20).await;
        assert_eq!(big.bytes(), 1 << 20);
        let waiting = tokio::spawn({
            let buffer = StreamBuffer(buffer.0.clone());
            async move { buffer.reserve(1 << 20).await.bytes() }
        });
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished(), "nothing is left: the next stream waits");
        drop(big);
        assert_eq!(waiting.await.expect("task"), MIN_GRANT, "a waiting stream gets the smallest grant");
        let a = buffer.reserve(1 << 20).await;
        drop(a);
        let quarter = {
            let _most = buffer.reserve(768 << 10).await;
            buffer.reserve(1 << 20).await.bytes()
        };
        assert_eq!(quarter, 256 << 10, "a quarter of the wanted size fits what is left");
    }
}
