//! One Kafka client connection. Requests are read and started one after another (so produces
//! are queued in the order they were sent), answered concurrently with reading the next ones,
//! and their responses written in request order, as Kafka clients require. A connection holds at
//! most [`MAX_PIPELINED`] started requests and one frame of at most `--max-request-bytes` plus
//! framing; a frame must arrive within [`FRAME_READ`] once begun.
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::net::tcp::OwnedWriteHalf;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::Context;
use super::dispatch::{self, Outcome, Pending};
use crate::metrics as m;

/// Requests started and not yet answered, per connection (librdkafka pipelines up to 1,000,000
/// without idempotence; beyond this the connection simply stops reading for a while).
const MAX_PIPELINED: usize = 64;
/// A connection silent this long is closed (Kafka's connections.max.idle.ms is 10 minutes).
const IDLE: Duration = Duration::from_secs(600);
/// Once a frame's size has arrived, the rest must follow within this time.
const FRAME_READ: Duration = Duration::from_secs(30);
/// Room for a request's own fields around its records.
const FRAMING_BYTES: usize = 1 << 20;

/// Why a connection is closed without an answer.
#[derive(Debug, thiserror::Error)]
pub(super) enum Closed {
    #[error("the client was idle for {IDLE:?}")]
    Idle,
    #[error("a frame of {0} bytes is over the limit of {1} (--max-request-bytes plus framing)")]
    TooLarge(i64, usize),
    #[error("the frame did not arrive within {FRAME_READ:?}")]
    Slow,
    #[error("reading failed: {0}")]
    Io(#[from] std::io::Error),
}

pub(super) async fn serve(stream: TcpStream, peer: SocketAddr, context: Arc<Context>, stop: CancellationToken) {
    let _open = m::Open::count(m::KAFKA_CONNECTIONS);
    let max_frame = context.broker.config().max_request_bytes.saturating_add(FRAMING_BYTES);
    let (read, write) = stream.into_split();
    let mut reader = BufReader::new(read);
    let (started, pending) = mpsc::channel::<Pending>(MAX_PIPELINED);
    let writer = tokio::spawn(write_in_order(write, pending));
    loop {
        let frame = tokio::select! {
            _ = stop.cancelled() => break,
            frame = read_frame(&mut reader, max_frame) => frame,
        };
        let frame = match frame {
            Ok(Some(frame)) => frame,
            Ok(None) => break,
            Err(e) => {
                tracing::debug!(%peer, error = %e, "closing a Kafka connection");
                break;
            }
        };
        match dispatch::start(&context, frame).await {
            Ok(request) => {
                if started.send(request).await.is_err() {
                    break; // the writer stopped: the client is gone
                }
            }
            Err(refused) => {
                tracing::info!(%peer, reason = %refused, "closing a Kafka connection: request refused");
                break;
            }
        }
    }
    // Requests already started are still answered, in order.
    drop(started);
    let _ = writer.await;
}

/// The next frame's body, `None` at a clean end of stream.
async fn read_frame<R: AsyncRead + Unpin>(reader: &mut R, max_frame: usize) -> Result<Option<Bytes>, Closed> {
    let size = match tokio::time::timeout(IDLE, reader.read_i32()).await {
        Err(_) => return Err(Closed::Idle),
        Ok(Err(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Ok(result) => result?,
    };
    let size = usize::try_from(size).map_err(|_| Closed::TooLarge(i64::from(size), max_frame))?;
    if size > max_frame {
        return Err(Closed::TooLarge(size as i64, max_frame));
    }
    // Grown as bytes arrive, not allocated from the declared size: a client that declares a large
    // frame and sends nothing holds no memory.
    let mut body = Vec::with_capacity(size.min(64 << 10));
    let read = tokio::time::timeout(FRAME_READ, reader.take(size as u64).read_to_end(&mut body)).await;
    match read {
        Err(_) => Err(Closed::Slow),
        Ok(result) => {
            result?;
            if body.len() < size {
                return Err(Closed::Io(std::io::ErrorKind::UnexpectedEof.into()));
            }
            Ok(Some(Bytes::from(body)))
        }
    }
}

/// Answers the started requests in the order they were started.
async fn write_in_order(mut write: OwnedWriteHalf, mut pending: mpsc::Receiver<Pending>) {
    while let Some(request) = pending.recv().await {
        match request.await {
            Outcome::Respond(frame) => {
                if write.write_all(&frame).await.is_err() {
                    return;
                }
            }
            Outcome::Silent => {}
            Outcome::Close => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn frames_are_bounded_and_truncation_is_an_error() {
        let mut ok: &[u8] = &[0, 0, 0, 3, b'a', b'b', b'c'];
        assert_eq!(read_frame(&mut ok, 10).await.expect("frame"), Some(Bytes::from_static(b"abc")));
        assert!(read_frame(&mut ok, 10).await.expect("end").is_none(), "a clean end");
        let mut huge: &[u8] = &[0x7f, 0xff, 0xff, 0xff];
        assert!(matches!(read_frame(&mut huge, 1 << 20).await, Err(Closed::TooLarge(..))));
        let mut negative: &[u8] = &[0xff, 0xff, 0xff, 0xff];
        assert!(matches!(read_frame(&mut negative, 1 << 20).await, Err(Closed::TooLarge(..))));
        let mut truncated: &[u8] = &[0, 0, 0, 5, b'a'];
        assert!(matches!(read_frame(&mut truncated, 10).await, Err(Closed::Io(_))));
    }
}
