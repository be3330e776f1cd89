//! Kafka's zigzag varints (`ByteUtils.writeVarint` / `writeVarlong`), used inside record batches.

/// Why a varint could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum VarintError {
    #[error("varint runs past the end of the buffer")]
    Truncated,
    #[error("varint is longer than {0} bytes")]
    TooLong(usize),
}

/// Appends `value` zigzag-encoded as a 64-bit varint.
pub fn put_varlong(buf: &mut Vec<u8>, value: i64) {
    let mut v = ((value << 1) ^ (value >> 63)) as u64;
    while v >= 0x80 {
        buf.push((v as u8) | 0x80);
        v >>= 7;
    }
    buf.push(v as u8);
}

/// Appends `value` zigzag-encoded as a 32-bit varint (same bytes as a varlong of the same value).
pub fn put_varint(buf: &mut Vec<u8>, value: i32) {
    put_varlong(buf, i64::from(value));
}

/// Number of bytes `put_varlong(value)` writes.
pub fn varlong_len(value: i64) -> usize {
    let v = ((value << 1) ^ (value >> 63)) as u64;
    let bits = 64 - (v | 1).leading_zeros() as usize;
    bits.div_ceil(7)
}

/// Reads a zigzag varlong from the front of `buf`, advancing it.
pub fn get_varlong(buf: &mut &[u8]) -> Result<i64, VarintError> {
    read_zigzag(buf, 10).map(|v| ((v >> 1) as i64) ^ -((v & 1) as i64))
}

/// Reads a zigzag varint (at most 5 bytes) from the front of `buf`, advancing it.
pub fn get_varint(buf: &mut &[u8]) -> Result<i32, VarintError> {
    let v = read_zigzag(buf, 5)?;
    let decoded = ((v >> 1) as i64) ^ -((v & 1) as i64);
    i32::try_from(decoded).map_err(|_| VarintError::TooLong(5))
}

fn read_zigzag(buf: &mut &[u8], max_len: usize) -> Result<u64, VarintError> {
    let mut value = 0u64;
    for i in 0..max_len {
        let byte = *buf.get(i).ok_or(VarintError::Truncated)?;
        value |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            *buf = &buf[i + 1..];
            return Ok(value);
        }
    }
    Err(VarintError::TooLong(max_len))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_edge_values() {
        for v in [0i64, 1, -1, 63, -64, 64, 300, -300, i32::MAX as i64, i64::MAX, i64::MIN] {
            let mut buf = Vec::new();
            put_varlong(&mut buf, v);
            assert_eq!(buf.len(), varlong_len(v), "length of {v}");
            let mut slice = buf.as_slice();
            assert_eq!(get_varlong(&mut slice), Ok(v));
            assert!(slice.is_empty());
        }
    }

    #[test]
    fn matches_kafka_zigzag_bytes() {
        // Kafka: writeVarint(-1) = 0x01, writeVarint(1) = 0x02, writeVarint(-64) = 0x7f,
        // writeVarint(64) = 0x80 0x01.
        let cases: [(i32, &[u8]); 4] = [(-1, &[0x01]), (1, &[0x02]), (-64, &[0x7f]), (64, &[0x80, 0x01])];
        for (value, bytes) in cases {
            let mut buf = Vec::new();
            put_varint(&mut buf, value);
            assert_eq!(buf, bytes, "varint {value}");
        }
    }

    #[test]
    fn rejects_truncated_and_overlong_input() {
        assert_eq!(get_varint(&mut &[0x80u8][..]), Err(VarintError::Truncated));
        assert_eq!(get_varint(&mut &[0xffu8; 6][..]), Err(VarintError::TooLong(5)));
        assert_eq!(get_varlong(&mut &[0xffu8; 11][..]), Err(VarintError::TooLong(10)));
    }
}
