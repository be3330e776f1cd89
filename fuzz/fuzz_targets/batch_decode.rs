//! Stored-batch decoding never panics, and never returns records it did not check: raw input
//! mostly fails the header or CRC checks, so each input is also tried with a valid magic byte,
//! length field and CRC patched in, which sends the fuzzer into the record decoder.
#![no_main]
use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use strata_fuzz::batch::{self, HEADER_LEN};

fuzz_target!(|data: &[u8]| {
    check(data);
    if data.len() >= HEADER_LEN {
        let mut patched = data.to_vec();
        patched[16] = batch::MAGIC;
        let length = (patched.len() - 12) as i32;
        patched[8..12].copy_from_slice(&length.to_be_bytes());
        let crc = crc32c::crc32c(&patched[21..]);
        patched[17..21].copy_from_slice(&crc.to_be_bytes());
        check(&patched);
    }
});

fn check(data: &[u8]) {
    let header = batch::read_header(data);
    let verified = batch::verify(data);
    if verified.is_ok() {
        assert_eq!(verified, header, "verify reads the same header");
    }
    if let Ok((decoded_header, records)) = batch::decode(&Bytes::copy_from_slice(data)) {
        assert_eq!(Ok(decoded_header), verified, "decode only accepts a verified batch");
        assert_eq!(records.len(), decoded_header.record_count as usize, "every declared record decoded");
    }
}
