//! The checkpoint reader on arbitrary bytes: it may refuse them, it must never panic, and
//! whatever it accepts must be fully readable.
#![no_main]

use std::io::Cursor;

use elastic_notebook::checkpoint::CheckpointReader;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(mut reader) = CheckpointReader::open(Cursor::new(data)) else {
        return;
    };
    let _ = reader.manifest().summary();
    let verified = reader.verify().is_ok();
    let groups = reader.manifest().groups.clone();
    for stored in groups {
        for blob in 0..stored.blobs.len() {
            let read = reader.read_blob(stored.group, blob);
            assert!(
                !verified || read.is_ok(),
                "a verified file must give back every blob"
            );
        }
    }
});
