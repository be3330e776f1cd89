//! A minimal Kafka-protocol client for tests: encodes requests and decodes responses with the
//! `kafka-protocol` crate over one TCP connection, so tests can send exactly the bytes a client
//! would (and some no client would).
use std::net::SocketAddr;
use std::time::Duration;

use bytes::{Buf, BufMut, Bytes, BytesMut};
use kafka_protocol::messages::{RequestHeader, ResponseHeader};
use kafka_protocol::protocol::{Decodable, Encodable, HeaderVersion, Request, StrBytes};
use strata::storage::batch::{NewRecord, encode_batch};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

pub struct KafkaWire {
    stream: TcpStream,
    next_correlation_id: i32,
}

impl KafkaWire {
    pub async fn connect(addr: SocketAddr) -> Self {
        let stream = TcpStream::connect(addr).await.expect("connect to the Kafka listener");
        KafkaWire { stream, next_correlation_id: 1 }
    }

    /// Sends `request` at `version` without waiting; returns its correlation id.
    pub async fn send<R: Request>(&mut self, request: &R, version: i16) -> i32 {
        let correlation_id = self.next_correlation_id;
        self.next_correlation_id += 1;
        let mut header = RequestHeader::default();
        header.request_api_key = R::KEY;
        header.request_api_version = version;
        header.correlation_id = correlation_id;
        header.client_id = Some(StrBytes::from_static_str("strata-test"));
        let mut body = BytesMut::new();
        header.encode(&mut body, R::header_version(version)).expect("encode header");
        request.encode(&mut body, version).expect("encode request");
        self.send_raw(&body).await;
        correlation_id
    }

    /// Sends `body` as one frame (size prefix added).
    pub async fn send_raw(&mut self, body: &[u8]) {
        let mut frame = BytesMut::with_capacity(body.len() + 4);
        frame.put_i32(body.len() as i32);
        frame.extend_from_slice(body);
        self.stream.write_all(&frame).await.expect("send a frame");
    }

    /// Writes bytes as they are (no framing).
    pub async fn write(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).await.expect("write");
    }

    /// The next response, decoded as `R`'s at `version`, with its correlation id.
    pub async fn receive<R: Request>(&mut self, version: i16) -> (i32, R::Response) {
        let mut frame = self.read_frame().await.expect("a response before the connection closed");
        let header = ResponseHeader::decode(&mut frame, R::Response::header_version(version)).expect("response header");
        let response = R::Response::decode(&mut frame, version).expect("decode response");
        assert!(!frame.has_remaining(), "{} bytes left after the response", frame.remaining());
        (header.correlation_id, response)
    }

    pub async fn call<R: Request>(&mut self, request: R, version: i16) -> R::Response {
        let sent = self.send(&request, version).await;
        let (correlation_id, response) = self.receive::<R>(version).await;
        assert_eq!(correlation_id, sent, "responses come in request order");
        response
    }

    /// The next frame's bytes, `None` if the broker closed the connection.
    pub async fn read_frame(&mut self) -> Option<Bytes> {
        let read = tokio::time::timeout(Duration::from_secs(30), async {
            let size = self.stream.read_i32().await.ok()?;
            let mut body = vec![0u8; size as usize];
            self.stream.read_exact(&mut body).await.ok()?;
            Some(Bytes::from(body))
        });
        read.await.expect("the broker answers or closes within 30 s")
    }

    /// Whether the broker closed the connection (reads until it does, bounded).
    pub async fn closed_by_broker(&mut self) -> bool {
        let mut sink = [0u8; 1024];
        let read = tokio::time::timeout(Duration::from_secs(30), async {
            loop {
                match self.stream.read(&mut sink).await {
                    Ok(0) | Err(_) => return true,
                    Ok(_) => continue,
                }
            }
        });
        read.await.unwrap_or(false)
    }
}

/// A client-built batch of `(key, value)` records with one header each, base offset 0.
pub fn batch(records: &[(&str, &str)]) -> Bytes {
    let headers = [("source", b"kafka".as_slice())];
    let records: Vec<NewRecord<'_>> = records
        .iter()
        .map(|(k, v)| NewRecord {
            key: Some(k.as_bytes()),
            value: v.as_bytes(),
            headers: &headers,
            timestamp_ms: 1_000,
        })
        .collect();
    Bytes::from(encode_batch(&records))
}
