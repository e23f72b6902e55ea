//! Arbitrary manifest bytes inside an otherwise valid file, with the root hash recomputed
//! so they get past the root check: decoding and validation must refuse what does not
//! hold together, and never panic on it.
#![no_main]

use std::io::Cursor;

use elastic_notebook::checkpoint::{CheckpointReader, HEADER_LEN, TRAILER_LEN};
use libfuzzer_sys::fuzz_target;

/// Header and chunks of the golden store-all sample.
const SAMPLE: &[u8] = include_bytes!("../../tests/golden/sample-store-all.ckpt");

fn seal(manifest: &[u8]) -> Vec<u8> {
    let trailer_at = SAMPLE.len() - TRAILER_LEN as usize;
    let offset = u64::from_le_bytes(
        SAMPLE[trailer_at..trailer_at + 8]
            .try_into()
            .unwrap_or_default(),
    );
    let mut file = SAMPLE[..offset as usize].to_vec();
    file.extend_from_slice(manifest);
    let mut offsets = [0u8; 16];
    offsets[..8].copy_from_slice(&offset.to_le_bytes());
    offsets[8..].copy_from_slice(&(manifest.len() as u64).to_le_bytes());
    let mut hasher = blake3::Hasher::new();
    hasher.update(&SAMPLE[..HEADER_LEN as usize]);
    hasher.update(manifest);
    hasher.update(&offsets);
    file.extend_from_slice(&offsets);
    file.extend_from_slice(hasher.finalize().as_bytes());
    file.extend_from_slice(b"ENBCKEND");
    file
}

fuzz_target!(|manifest: &[u8]| {
    let file = seal(manifest);
    if let Ok(mut reader) = CheckpointReader::open(Cursor::new(&file)) {
        let _ = reader.manifest().summary();
        let _ = reader.verify();
    }
});
