//! A store's frame on arbitrary bytes, split anywhere into head and tail: the reader may
//! refuse it, it must never panic, and it never returns chunk bytes it was not given.
#![no_main]

use elastic_notebook::checkpoint::{CheckpointReader, FrameSource};
use elastic_notebook::ids::ChunkId;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (u8, &[u8])| {
    let (split, data) = input;
    let split = usize::from(split).min(data.len());
    let source = FrameSource::new(data[..split].to_vec(), data[split..].to_vec());
    let Ok(mut reader) = CheckpointReader::open(source) else {
        return;
    };
    let _ = reader.manifest().summary();
    let _ = reader.store_layout();
    let _ = reader.check_chunk(ChunkId::new(0), data);
    let groups = reader.manifest().groups.clone();
    for stored in groups {
        for (index, blob) in stored.blobs.iter().enumerate() {
            let read = reader.read_blob(stored.group, index);
            assert!(
                read.is_err() || blob.chunk_count == 0,
                "a frame holds no chunk bytes to read"
            );
        }
    }
});
