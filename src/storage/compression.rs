//! Compressed batches. Kafka producers compress a batch's records as one blob with the codec
//! its attributes name: 1 gzip, 2 snappy (raw, or Java's xerial framing), 3 lz4 (frame
//! format), 4 zstd. gRPC reads open them (Kafka fetches send batches as stored), with bounded
//! output, so a small batch cannot expand into unbounded memory; gRPC produces may ask for one.
use std::io::{Read, Write};

use super::batch::BatchError;
pub use crate::records::codec::Codec;

/// Largest decompressed record data accepted from one batch.
pub const MAX_DECOMPRESSED: usize = 128 << 20;

const XERIAL_MAGIC: &[u8] = &[0x82, b'S', b'N', b'A', b'P', b'P', b'Y', 0];
/// Magic, then a version and a compatible version (4 bytes each).
const XERIAL_HEADER: usize = 16;

/// `data` compressed with `codec` (raw snappy and the lz4 frame format, as librdkafka writes).
pub fn compress(codec: Codec, data: &[u8]) -> std::io::Result<Vec<u8>> {
    match codec {
        Codec::None => Ok(data.to_vec()),
        Codec::Gzip => {
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            gz.write_all(data)?;
            gz.finish()
        }
        Codec::Snappy => snap::raw::Encoder::new().compress_vec(data).map_err(std::io::Error::other),
        Codec::Lz4 => {
            let mut lz4 = lz4_flex::frame::FrameEncoder::new(Vec::new());
            lz4.write_all(data)?;
            lz4.finish().map_err(std::io::Error::other)
        }
        Codec::Zstd => Ok(ruzstd::encoding::compress_to_vec(data, ruzstd::encoding::CompressionLevel::Fastest)),
    }
}

/// The record bytes `data` decompresses to with `codec`.
pub fn decompress(codec: i16, data: &[u8]) -> Result<Vec<u8>, BatchError> {
    let failed = |reason: String| BatchError::Decompress { codec, reason };
    let out = match codec {
        1 => read_bounded(flate2::read::GzDecoder::new(data)),
        2 => snappy(data),
        3 => read_bounded(lz4_flex::frame::FrameDecoder::new(data)),
        4 => zstd(data),
        other => Err(format!("unknown codec {other}")),
    };
    out.map_err(failed)
}

fn read_bounded(reader: impl Read) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    reader.take(MAX_DECOMPRESSED as u64 + 1).read_to_end(&mut out).map_err(|e| e.to_string())?;
    if out.len() > MAX_DECOMPRESSED {
        return Err(format!("the records decompress to more than {MAX_DECOMPRESSED} bytes"));
    }
    Ok(out)
}

fn snappy(data: &[u8]) -> Result<Vec<u8>, String> {
    let Some(mut blocks) = data.strip_prefix(XERIAL_MAGIC).and_then(|_| data.get(XERIAL_HEADER..)) else {
        return snappy_block(data, 0);
    };
    let mut out = Vec::new();
    while !blocks.is_empty() {
        let (len, rest) = blocks.split_first_chunk::<4>().ok_or("a truncated xerial block length")?;
        let len = u32::from_be_bytes(*len) as usize;
        let block = rest.get(..len).ok_or("a xerial block runs past the data")?;
        out = snappy_block(block, out.len()).map(|b| [out, b].concat())?;
        blocks = &rest[len..];
    }
    Ok(out)
}

fn snappy_block(block: &[u8], so_far: usize) -> Result<Vec<u8>, String> {
    let len = snap::raw::decompress_len(block).map_err(|e| e.to_string())?;
    if so_far + len > MAX_DECOMPRESSED {
        return Err(format!("the records decompress to more than {MAX_DECOMPRESSED} bytes"));
    }
    snap::raw::Decoder::new().decompress_vec(block).map_err(|e| e.to_string())
}

/// One or more zstd frames, one after another.
fn zstd(mut data: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    while !data.is_empty() {
        let decoder = ruzstd::decoding::StreamingDecoder::new(&mut data).map_err(|e| e.to_string())?;
        out.extend(read_bounded(decoder)?);
        if out.len() > MAX_DECOMPRESSED {
            return Err(format!("the records decompress to more than {MAX_DECOMPRESSED} bytes"));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DATA: &[u8] = b"records records records records, compressed by a Kafka producer";

    fn compressed(codec: i16) -> Vec<u8> {
        let codec = [Codec::Gzip, Codec::Snappy, Codec::Lz4, Codec::Zstd][codec as usize - 1];
        compress(codec, DATA).expect("compress")
    }

    #[test]
    fn every_kafka_codec_decompresses() {
        for codec in 1..=4 {
            assert_eq!(decompress(codec, &compressed(codec)).expect("decompress"), DATA, "codec {codec}");
        }
    }

    #[test]
    fn a_compressed_batch_decodes_to_its_records_in_every_codec() {
        use super::super::batch::{self, BatchProducer, NewRecord};
        let headers = [("h", b"1".as_slice())];
        let records: Vec<NewRecord<'_>> =
            (0..50).map(|_| NewRecord { key: Some(b"key"), value: DATA, headers: &headers, timestamp_ms: 7 }).collect();
        let plain = batch::encode_batch(&records);
        for codec in [Codec::Gzip, Codec::Snappy, Codec::Lz4, Codec::Zstd] {
            let packed = batch::encode_compressed_batch(&records, BatchProducer::NONE, codec).expect("encode");
            assert!(packed.len() < plain.len() / 2, "{codec:?}: {} of {} bytes", packed.len(), plain.len());
            let (header, decoded) = batch::decode(&bytes::Bytes::from(packed)).expect("decode");
            assert_eq!(header.attributes & 0x07, codec as i16);
            let (_, expected) = batch::decode(&bytes::Bytes::from(plain.clone())).expect("plain");
            assert_eq!(decoded, expected, "{codec:?}");
        }
    }

    #[test]
    fn java_clients_xerial_snappy_framing_decompresses() {
        let block = compressed(2);
        let mut framed = XERIAL_MAGIC.to_vec();
        framed.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 1]);
        for _ in 0..2 {
            framed.extend_from_slice(&(block.len() as u32).to_be_bytes());
            framed.extend_from_slice(&block);
        }
        assert_eq!(decompress(2, &framed).expect("xerial"), [DATA, DATA].concat());
    }

    #[test]
    fn damaged_and_oversized_data_are_errors() {
        for codec in 1..=4 {
            let mut damaged = compressed(codec);
            damaged.truncate(damaged.len() / 2);
            assert!(decompress(codec, &damaged).is_err(), "codec {codec}");
        }
        assert!(decompress(5, b"x").is_err());
        let bomb = ruzstd::encoding::compress_to_vec(
            std::io::repeat(0).take(MAX_DECOMPRESSED as u64 + 10),
            ruzstd::encoding::CompressionLevel::Fastest,
        );
        assert!(decompress(4, &bomb).is_err(), "bounded output");
    }
}
