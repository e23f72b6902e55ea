//! The `.ckpt` format: golden files, round trips, and every kind of damage.
//!
//! `UPDATE_GOLDEN=1 cargo test --test checkpoint_format` rewrites the golden files after
//! an intentional format change (bump `FORMAT_VERSION` and the spec with it).

mod common;

use std::io::{self, Cursor, Write};
use std::path::PathBuf;

use elastic_notebook::checkpoint::{
    verify_bytes, AtomicCheckpointFile, CheckpointReader, CheckpointWriter, ChunkRef, ContentHash,
    FormatError, FrameSource, GroupDecision, Manifest, ManifestHead, Region, SaveError, Serializer,
    WriteError, HEADER_LEN, TRAILER_LEN,
};
use elastic_notebook::ids::ChunkId;
use elastic_notebook::optimize::PlanMode;
use proptest::prelude::*;

use common::{group_names, reseal, sample_blobs, sample_head, write_sample, GOLDEN};

fn golden_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name)
}

fn golden(name: &str) -> Vec<u8> {
    std::fs::read(golden_path(name)).expect("golden file is checked in")
}

#[test]
fn golden_files_do_not_drift() {
    for (name, mode, chunk_size) in GOLDEN {
        let fresh = write_sample(mode, chunk_size);
        if std::env::var_os("UPDATE_GOLDEN").is_some() {
            std::fs::write(golden_path(name), &fresh).expect("write golden");
            continue;
        }
        assert!(
            golden(name) == fresh,
            "{name}: the writer's output changed; if intended, bump FORMAT_VERSION, update \
             docs/checkpoint-format.md and run UPDATE_GOLDEN=1 cargo test --test checkpoint_format"
        );
    }
}

#[test]
fn golden_files_verify_and_give_back_every_blob() {
    for (name, mode, _) in GOLDEN {
        let bytes = golden(name);
        let (manifest, report) = verify_bytes(&bytes).expect("golden verifies");
        assert_eq!(report.file_len, bytes.len() as u64);
        assert_eq!(manifest.head.plan.mode, mode);
        assert_eq!(manifest.head.producer.platform, "emscripten");
        assert_eq!(manifest.head.history.cells().len(), 7);
        let mut reader = CheckpointReader::open(Cursor::new(&bytes)).expect("open");
        for stored in &manifest.groups {
            let names = group_names(&manifest.head.history, stored.group);
            let (serializer, blobs) = sample_blobs(&names);
            assert_eq!(stored.serializer, serializer);
            for (i, want) in blobs.iter().enumerate() {
                assert_eq!(
                    &reader.read_blob(stored.group, i).expect("blob"),
                    want,
                    "{name} {names:?} blob {i}"
                );
            }
        }
    }
}

#[test]
fn golden_plans_store_what_each_mode_says() {
    let stored = |name: &str| -> Vec<Vec<String>> {
        let (manifest, _) = verify_bytes(&golden(name)).expect("verifies");
        manifest
            .summary()
            .groups
            .into_iter()
            .filter(|g| matches!(g.decision, GroupDecision::Stored { .. }))
            .map(|g| g.names)
            .collect()
    };
    let names = |groups: &[&[&str]]| -> Vec<Vec<String>> {
        groups
            .iter()
            .map(|g| g.iter().map(|n| (*n).to_owned()).collect())
            .collect()
    };
    assert_eq!(
        stored("sample-optimal.ckpt"),
        names(&[&["alias", "data"], &["total"]])
    );
    assert_eq!(
        stored("sample-store-all.ckpt"),
        names(&[&["alias", "data"], &["total"], &["blob"]])
    );
    assert!(stored("sample-recompute-all.ckpt").is_empty());
}

/// Every proper prefix of a checkpoint, from empty to one byte short, is rejected with a
/// typed format error.
#[test]
fn truncation_at_every_offset_is_a_clear_error() {
    for (name, _, _) in GOLDEN {
        let bytes = golden(name);
        for len in 0..bytes.len() {
            let cut = &bytes[..len];
            match verify_bytes(cut) {
                Err(FormatError::TooShort { .. }) => {
                    assert!((len as u64) < HEADER_LEN + TRAILER_LEN);
                }
                Err(FormatError::MissingTrailer | FormatError::BadLayout(_)) => {}
                Err(e) => panic!("{name} cut at {len}: unexpected error {e}"),
                Ok(_) => panic!("{name} cut at {len} verified"),
            }
        }
    }
}

/// Which region a byte offset falls in, and the error a bit flip there must give.
fn expect_flip_error(manifest: &Manifest, len: usize, offset: usize, error: &FormatError) -> bool {
    let trailer = len - TRAILER_LEN as usize;
    let chunks_end = manifest.chunks_end() as usize;
    match offset {
        0..=7 => matches!(error, FormatError::BadMagic),
        8..=9 => matches!(error, FormatError::UnsupportedVersion(_)),
        10..=15 => matches!(error, FormatError::UnsupportedFlags(_)),
        o if o < chunks_end => {
            let chunk = manifest
                .chunks
                .iter()
                .position(|c| (c.offset as usize..c.offset as usize + c.len as usize).contains(&o))
                .expect("offset in a chunk");
            matches!(error, FormatError::ChecksumMismatch(Region::Chunk(id)) if id.index() == chunk)
        }
        o if o < trailer => matches!(error, FormatError::ChecksumMismatch(Region::Manifest)),
        o if o < trailer + 16 => matches!(error, FormatError::BadLayout(_)),
        o if o < trailer + 48 => matches!(error, FormatError::ChecksumMismatch(Region::Manifest)),
        _ => matches!(error, FormatError::MissingTrailer),
    }
}

/// A flipped bit anywhere (each byte, a different bit each time) is caught, and the error
/// names the damaged region.
#[test]
fn a_bit_flip_in_every_byte_is_caught_in_its_region() {
    for (name, _, _) in GOLDEN {
        let bytes = golden(name);
        let (manifest, _) = verify_bytes(&bytes).expect("original verifies");
        for offset in 0..bytes.len() {
            let mut damaged = bytes.clone();
            damaged[offset] ^= 1 << (offset % 8);
            match verify_bytes(&damaged) {
                Ok(_) => panic!("{name}: flip at {offset} verified"),
                Err(e) => assert!(
                    expect_flip_error(&manifest, bytes.len(), offset, &e),
                    "{name}: flip at {offset} gave {e}"
                ),
            }
        }
    }
}

#[test]
fn a_damaged_chunk_is_never_returned() {
    let bytes = golden("sample-store-all.ckpt");
    let (manifest, _) = verify_bytes(&bytes).expect("verifies");
    let stored = &manifest.groups[2];
    let chunk = manifest.chunks[stored.blobs[1].first_chunk.index()];
    let mut damaged = bytes.clone();
    damaged[chunk.offset as usize + 3] ^= 0x40;
    // The manifest is intact, so the file opens; the damaged blob is refused.
    let mut reader = CheckpointReader::open(Cursor::new(&damaged)).expect("opens");
    assert!(
        reader.read_blob(stored.group, 0).is_ok(),
        "the pickle stream is intact"
    );
    assert!(matches!(
        reader.read_blob(stored.group, 1),
        Err(FormatError::ChecksumMismatch(Region::Chunk(_)))
    ));
    assert!(reader.verify().is_err());
}

#[test]
fn other_versions_and_files_are_named_as_such() {
    let mut bytes = golden("sample-optimal.ckpt");
    bytes[8..10].copy_from_slice(&2u16.to_le_bytes());
    assert!(matches!(
        verify_bytes(&bytes),
        Err(FormatError::UnsupportedVersion(2))
    ));
    let text = b"{\"cells\": [], \"metadata\": {}, \"nbformat\": 4, \"nbformat_minor\": 5, \"padding\": \"......................\"}";
    assert!(matches!(verify_bytes(text), Err(FormatError::BadMagic)));
    let err = verify_bytes(&[]).expect_err("empty");
    assert!(err.to_string().contains("too short"), "{err}");
}

#[test]
fn a_writer_dropped_before_finish_leaves_a_file_every_reader_rejects() {
    let head = sample_head(PlanMode::StoreAll);
    let mut writer = CheckpointWriter::with_chunk_size(Vec::new(), 64).expect("writer");
    writer
        .begin_group(head.plan.store[0], Serializer::Pickle)
        .expect("begin");
    writer.write_blob(&[7; 300]).expect("blob");
    let partial = std::mem::take(writer.sink_mut());
    assert!(matches!(
        verify_bytes(&partial),
        Err(FormatError::MissingTrailer)
    ));
}

#[test]
fn the_writer_refuses_groups_that_are_not_the_plans() {
    let head = sample_head(PlanMode::Optimal);
    let mut writer = CheckpointWriter::new(Vec::new()).expect("writer");
    // Only the first of the two stored groups.
    writer
        .begin_group(head.plan.store[0], Serializer::Pickle)
        .expect("begin");
    writer.write_blob(b"x").expect("blob");
    writer.end_group().expect("end");
    assert!(matches!(
        writer.finish(head),
        Err(WriteError::InvalidManifest(_))
    ));

    let mut writer = CheckpointWriter::new(Vec::new()).expect("writer");
    assert!(matches!(writer.write(b"x"), Err(WriteError::Misuse(_))));
    assert!(matches!(writer.begin_blob(), Err(WriteError::Misuse(_))));
    assert!(matches!(writer.end_group(), Err(WriteError::Misuse(_))));
    assert!(CheckpointWriter::with_chunk_size(Vec::new(), 0).is_err());
}

/// A sink that fails like a full disk after `room` bytes.
#[derive(Debug)]
struct FullDisk {
    room: usize,
    written: Vec<u8>,
}

impl Write for FullDisk {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.written.len() + buf.len() > self.room {
            return Err(io::Error::new(
                io::ErrorKind::StorageFull,
                "no space left on device",
            ));
        }
        self.written.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_full_disk_is_a_write_error_not_a_panic() {
    let full = golden("sample-store-all.ckpt").len();
    for room in [0, 10, 100, 500, full - 1] {
        let head = sample_head(PlanMode::StoreAll);
        let result = (|| {
            let mut writer = CheckpointWriter::with_chunk_size(
                FullDisk {
                    room,
                    written: Vec::new(),
                },
                64,
            )?;
            for &group in &head.plan.store {
                let (serializer, blobs) = sample_blobs(&group_names(&head.history, group));
                writer.begin_group(group, serializer)?;
                for blob in &blobs {
                    writer.write_blob(blob)?;
                }
                writer.end_group()?;
            }
            writer.finish(head.clone())
        })();
        let err = result.expect_err("the disk is full");
        assert!(matches!(err, WriteError::Io(_)), "{err}");
        assert!(err.to_string().contains("no space left"), "{err}");
    }
}

fn save_sample(target: &std::path::Path, fail_midway: bool) -> Result<(), SaveError> {
    let head = sample_head(PlanMode::StoreAll);
    let mut file = AtomicCheckpointFile::create(target, 64)?;
    for &group in &head.plan.store {
        let (serializer, blobs) = sample_blobs(&group_names(&head.history, group));
        let writer = file.writer();
        writer.begin_group(group, serializer).expect("begin");
        for blob in &blobs {
            writer.write_blob(blob).expect("blob");
        }
        writer.end_group().expect("end");
        if fail_midway {
            // The host gives up (an exception while pickling): dropping discards it.
            return Ok(());
        }
    }
    file.commit(head).map(|_| ())
}

#[test]
fn atomic_saves_replace_the_old_file_only_when_complete() {
    let dir = tempfile::tempdir().expect("tempdir");
    let target = dir.path().join("session.ckpt");
    std::fs::write(&target, b"previous checkpoint").expect("seed");

    save_sample(&target, true).expect("abandoned save");
    assert_eq!(
        std::fs::read(&target).expect("read"),
        b"previous checkpoint"
    );
    assert_eq!(
        std::fs::read_dir(dir.path()).expect("ls").count(),
        1,
        "no temp file left"
    );

    save_sample(&target, false).expect("save");
    assert_eq!(
        std::fs::read(&target).expect("read"),
        golden("sample-store-all.ckpt")
    );
    assert_eq!(
        std::fs::read_dir(dir.path()).expect("ls").count(),
        1,
        "no temp file left"
    );

    let missing = dir.path().join("no/such/dir/session.ckpt");
    let err = save_sample(&missing, false).expect_err("no directory");
    assert!(err.to_string().contains("no/such/dir"), "{err}");
}

#[test]
fn summary_lists_cells_groups_and_the_replay() {
    let (manifest, _) = verify_bytes(&golden("sample-optimal.ckpt")).expect("verifies");
    let summary = manifest.summary();
    assert_eq!(summary.cells.len(), 7);
    assert_eq!(summary.groups.len(), 5);
    let rerun: Vec<&str> = summary
        .cells
        .iter()
        .filter(|c| c.rerun)
        .map(|c| c.code.as_str())
        .collect();
    assert!(rerun.contains(&"gen = (x * 2 for x in data)"), "{rerun:?}");
    assert!(rerun.contains(&"import time"), "{rerun:?}");
    assert!(
        !rerun.iter().any(|c| c.contains("sleep")),
        "the slow cell is stored: {rerun:?}"
    );
    assert_eq!(summary.stored_bytes, 45 + 25);
    // The host's metadata, which hosts read back from the summary (the Python host's
    // sys.path entries and random generators' states).
    assert_eq!(summary.extra, manifest.head.extra);
    assert_eq!(summary.extra["notebook"], "sample.ipynb");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Blobs of any sizes, split at any chunk size, come back byte for byte.
    #[test]
    fn blobs_round_trip_at_any_chunk_size(
        chunk_size in 1u32..300,
        sizes in proptest::collection::vec(0usize..1000, 1..4),
        seed in any::<u8>(),
    ) {
        let head = sample_head(PlanMode::StoreAll);
        let mut writer = CheckpointWriter::with_chunk_size(Vec::new(), chunk_size).expect("writer");
        let mut written = Vec::new();
        for (g, &group) in head.plan.store.iter().enumerate() {
            writer.begin_group(group, Serializer::CloudPickle).expect("begin");
            for (b, &size) in sizes.iter().enumerate() {
                let blob: Vec<u8> = (0..size).map(|i| (i as u8).wrapping_mul(31) ^ seed ^ (g * 7 + b) as u8).collect();
                // Stream in uneven pieces to exercise chunk boundaries.
                writer.begin_blob().expect("begin blob");
                for piece in blob.chunks(17) {
                    writer.write(piece).expect("write");
                }
                writer.end_blob().expect("end blob");
                written.push((group, b, blob));
            }
            writer.end_group().expect("end");
        }
        let finished = writer.finish(head).expect("finish");
        let (bytes, root) = (finished.sink, finished.root);
        let (_, report) = verify_bytes(&bytes).expect("verifies");
        prop_assert_eq!(report.root, root);
        let mut reader = CheckpointReader::open(Cursor::new(&bytes)).expect("open");
        for (group, b, blob) in written {
            prop_assert_eq!(reader.read_blob(group, b).expect("blob"), blob);
        }
    }

    /// Arbitrary damage (overwrites and cuts) never panics, and never verifies unless the
    /// bytes are the original ones.
    #[test]
    fn arbitrary_damage_never_panics_or_verifies(
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..6),
        cut in proptest::option::of(any::<prop::sample::Index>()),
    ) {
        let original = golden("sample-store-all.ckpt");
        let mut bytes = original.clone();
        for (at, value) in edits {
            let i = at.index(bytes.len());
            bytes[i] = value;
        }
        if let Some(cut) = cut {
            bytes.truncate(cut.index(bytes.len()));
        }
        if verify_bytes(&bytes).is_ok() {
            prop_assert_eq!(bytes, original);
        }
    }

    /// A damaged manifest with a recomputed root hash (a forged or buggy writer) is
    /// refused as undecodable or inconsistent, never trusted and never a panic.
    #[test]
    fn resealed_damaged_manifests_are_refused_without_panicking(
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
    ) {
        let original = golden("sample-store-all.ckpt");
        let (manifest, _) = verify_bytes(&original).expect("verifies");
        let start = manifest.chunks_end() as usize;
        let end = original.len() - TRAILER_LEN as usize;
        let mut bytes = original.clone();
        for (at, value) in edits {
            bytes[start + at.index(end - start)] = value;
        }
        reseal(&mut bytes);
        match verify_bytes(&bytes) {
            Ok((damaged, _)) => {
                // Some edits keep the manifest meaningful (a runtime, a code string); the
                // blobs it promises must then still be the real ones.
                let mut reader = CheckpointReader::open(Cursor::new(&bytes)).expect("opens");
                for stored in &damaged.groups {
                    for blob in 0..stored.blobs.len() {
                        prop_assert!(reader.read_blob(stored.group, blob).is_ok());
                    }
                }
            }
            Err(
                FormatError::ManifestDecode(_)
                | FormatError::InvalidManifest(_)
                | FormatError::BadLayout(_)
                | FormatError::ChecksumMismatch(Region::Chunk(_)),
            ) => {}
            Err(other) => prop_assert!(false, "unexpected error {}", other),
        }
    }
}

#[test]
fn restore_steps_carry_code_and_names_in_replay_order() {
    use elastic_notebook::checkpoint::RestoreStep;
    let (manifest, _) = verify_bytes(&golden("sample-optimal.ckpt")).expect("verifies");
    let steps = manifest.restore_steps();
    let described: Vec<String> = steps
        .iter()
        .map(|s| match s {
            RestoreStep::Run { code, .. } => format!("run {code}"),
            RestoreStep::Load { names, blobs, .. } => format!("load {} ({blobs})", names.join(",")),
        })
        .collect();
    assert_eq!(
        described,
        [
            "load alias,data (1)",
            "run gen = (x * 2 for x in data)",
            "run import time",
            "load total (1)",
            "run blob = bytearray(bytes(range(256)) * 4)",
        ]
    );
    assert_eq!(
        manifest.live_names(),
        ["alias", "blob", "data", "gen", "time", "total"]
    );
}

#[test]
fn fallback_steps_recompute_the_groups_that_failed_to_load_and_still_load_the_rest() {
    use elastic_notebook::checkpoint::RestoreStep;
    let (manifest, _) = verify_bytes(&golden("sample-optimal.ckpt")).expect("verifies");
    let describe = |steps: &[RestoreStep]| -> Vec<String> {
        steps
            .iter()
            .map(|s| match s {
                RestoreStep::Run { code, .. } => format!("run {code}"),
                RestoreStep::Load { names, .. } => format!("load {}", names.join(",")),
            })
            .collect()
    };
    let data_group = manifest
        .restore_steps()
        .iter()
        .find_map(|s| match s {
            RestoreStep::Load { group, names, .. } if names.contains(&"data".to_owned()) => {
                Some(*group)
            }
            _ => None,
        })
        .expect("the optimal plan loads `data`");
    let steps = manifest.fallback_steps(&[data_group]).expect("replans");
    assert_eq!(
        describe(&steps),
        [
            "run data = [1, 2, 3]",
            "run alias = data",
            "run data.append(4)",
            "run gen = (x * 2 for x in data)",
            "run import time",
            "load total",
            "run blob = bytearray(bytes(range(256)) * 4)",
        ]
    );
    assert_eq!(
        manifest.fallback_steps(&[]).expect("replans"),
        manifest.restore_steps()
    );
}

#[test]
fn changes_no_cell_made_survive_the_file_and_are_never_re_run() {
    use elastic_notebook::history::{CellRecord, GroupSpec, History};
    use elastic_notebook::optimize::{plan, CostModel};
    let mut history = History::new();
    history.record_cell(&CellRecord {
        code: "# changed outside any recorded cell: bound total".to_owned(),
        writes: vec!["total".to_owned()],
        success: true,
        cannot_rerun: true,
        ..CellRecord::default()
    });
    history
        .set_groups(&[GroupSpec {
            names: vec!["total".to_owned()],
            size: 25,
            serializable: true,
        }])
        .expect("groups");
    let mut head = sample_head(PlanMode::RecomputeAll);
    head.cost_model = CostModel::with_bandwidth(1e6);
    head.plan = plan(&history, &head.cost_model, PlanMode::RecomputeAll).expect("plans");
    head.history = history;
    assert_eq!(head.plan.store.len(), 1, "recompute-all still stores it");
    let mut writer = CheckpointWriter::with_chunk_size(Vec::new(), 64).expect("writer");
    writer
        .begin_group(head.plan.store[0], Serializer::Pickle)
        .expect("begin");
    writer
        .write_blob(&sample_blobs(&["total".to_owned()]).1[0])
        .expect("blob");
    writer.end_group().expect("end");
    let bytes = writer.finish(head).expect("finish").sink;

    let (manifest, _) = verify_bytes(&bytes).expect("verifies");
    let cell = &manifest.summary().cells[0];
    assert!(cell.cannot_rerun && !cell.rerun, "{cell:?}");
    assert_eq!(
        cell.runtime_ns, 0,
        "the reserved runtime stays inside the core"
    );
    assert!(!manifest.head.history.cells()[0].can_rerun());
    assert!(
        manifest
            .fallback_steps(&[manifest.head.plan.store[0]])
            .is_err(),
        "nothing can recompute it"
    );
}

/// What a content-addressed store keeps of a file: the frame's head and tail, and each
/// chunk by its hash.
struct Stored {
    head: Vec<u8>,
    tail: Vec<u8>,
    chunks: Vec<(String, Vec<u8>)>,
}

fn split_for_store(bytes: &[u8]) -> Stored {
    let reader = CheckpointReader::open(Cursor::new(bytes)).expect("open");
    let layout = reader.store_layout();
    assert_eq!(layout.file_len, bytes.len() as u64);
    let start = usize::try_from(layout.manifest_offset).expect("fits");
    let chunks = layout
        .chunks
        .iter()
        .map(|chunk| {
            let from = usize::try_from(chunk.offset).expect("fits");
            let to = from + chunk.len as usize;
            (chunk.hash.to_hex(), bytes[from..to].to_vec())
        })
        .collect();
    Stored {
        head: bytes[..16].to_vec(),
        tail: bytes[start..].to_vec(),
        chunks,
    }
}

#[test]
fn a_store_layout_splits_a_file_into_frame_and_chunks_that_put_it_back_together() {
    for (name, _, _) in GOLDEN {
        let bytes = golden(name);
        let Stored { head, tail, chunks } = split_for_store(&bytes);
        let layout = CheckpointReader::open(Cursor::new(&bytes))
            .expect("open")
            .store_layout();
        assert_eq!(layout.root, verify_bytes(&bytes).expect("verifies").1.root);
        for (hash, chunk) in &chunks {
            assert_eq!(&ContentHash::of(chunk).to_hex(), hash);
        }
        let mut joined = head;
        for (_, chunk) in &chunks {
            joined.extend(chunk);
        }
        joined.extend(tail);
        assert!(
            joined == bytes,
            "{name}: frame + chunks in order is the file"
        );
    }
    // Optimal stores a subset of what store-all does: their shared blobs are the same
    // chunks, so a store keeps them once.
    let hashes = |name: &str| -> std::collections::BTreeSet<String> {
        split_for_store(&golden(name))
            .chunks
            .into_iter()
            .map(|(h, _)| h)
            .collect()
    };
    let optimal = hashes("sample-optimal.ckpt");
    assert!(!optimal.is_empty());
    assert!(optimal.is_subset(&hashes("sample-store-all.ckpt")));
}

/// What a store's writer gave: the frame, each chunk as `write_chunk` described it with
/// its bytes, and the file's length.
type ForStore = (Vec<u8>, Vec<(ChunkRef, Vec<u8>)>, u64);

/// Writes `blobs` (per stored group of `head`, in plan order) with a store's writer, a
/// chunk at a time.
fn write_for_store(head: ManifestHead, chunk_size: u32, blobs: &[Vec<Vec<u8>>]) -> ForStore {
    let mut writer = CheckpointWriter::for_store(Vec::new(), chunk_size).expect("writer");
    let mut chunks = Vec::new();
    for (&group, group_blobs) in head.plan.store.iter().zip(blobs) {
        writer
            .begin_group(group, Serializer::Pickle)
            .expect("begin");
        for blob in group_blobs {
            writer.begin_blob().expect("begin blob");
            for piece in blob.chunks(chunk_size as usize) {
                let chunk = writer.write_chunk(piece).expect("chunk");
                chunks.push((chunk, piece.to_vec()));
            }
            writer.end_blob().expect("end blob");
        }
        writer.end_group().expect("end");
    }
    let finished = writer.finish(head).expect("finish");
    assert_eq!(finished.store_layout().root, finished.root);
    (finished.sink, chunks, finished.file_len)
}

fn frame_reader(frame: &[u8]) -> Result<CheckpointReader<FrameSource>, FormatError> {
    let split = (HEADER_LEN as usize).min(frame.len());
    CheckpointReader::open(FrameSource::new(
        frame[..split].to_vec(),
        frame[split..].to_vec(),
    ))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// A store's writer, fed a chunk at a time, lays out the very file the streaming
    /// writer writes: header, chunks in order, rest of the frame; the frame opens on its
    /// own and accepts exactly the chunks it names.
    #[test]
    fn a_stores_writer_lays_out_the_same_file_and_its_frame_opens_alone(
        chunk_size in 1u32..200,
        sizes in proptest::collection::vec(1usize..700, 1..4),
        seed in any::<u8>(),
    ) {
        let head = sample_head(PlanMode::StoreAll);
        let blobs: Vec<Vec<Vec<u8>>> = (0..head.plan.store.len())
            .map(|g| sizes.iter().enumerate().map(|(b, &size)| {
                (0..size).map(|i| (i as u8).wrapping_mul(13) ^ seed ^ (g * 5 + b) as u8).collect()
            }).collect())
            .collect();
        let mut streamed = CheckpointWriter::with_chunk_size(Vec::new(), chunk_size).expect("writer");
        for (&group, group_blobs) in head.plan.store.iter().zip(&blobs) {
            streamed.begin_group(group, Serializer::Pickle).expect("begin");
            for blob in group_blobs {
                streamed.write_blob(blob).expect("blob");
            }
            streamed.end_group().expect("end");
        }
        let file = streamed.finish(head.clone()).expect("finish").sink;

        let (frame, chunks, file_len) = write_for_store(head, chunk_size, &blobs);
        let mut joined = frame[..HEADER_LEN as usize].to_vec();
        for (chunk, bytes) in &chunks {
            prop_assert_eq!(chunk.offset, joined.len() as u64);
            prop_assert_eq!(chunk.hash, ContentHash::of(bytes));
            joined.extend(bytes);
        }
        joined.extend(&frame[HEADER_LEN as usize..]);
        prop_assert_eq!(file_len, file.len() as u64);
        prop_assert!(joined == file, "frame + chunks is the streamed file");

        let reader = frame_reader(&frame).expect("the frame opens");
        prop_assert_eq!(reader.root(), verify_bytes(&file).expect("verifies").1.root);
        prop_assert_eq!(reader.file_len(), file_len);
        for (index, (_, bytes)) in chunks.iter().enumerate() {
            let id = ChunkId::new(index as u32);
            prop_assert!(reader.check_chunk(id, bytes).is_ok());
            let mut flipped = bytes.clone();
            flipped[bytes.len() / 2] ^= 1;
            prop_assert!(matches!(
                reader.check_chunk(id, &flipped),
                Err(FormatError::ChecksumMismatch(Region::Chunk(_)))
            ));
            prop_assert!(reader.check_chunk(id, &bytes[1..]).is_err(), "a shorter chunk");
            // Hashed elsewhere (a browser's worker): the same answers from the digest.
            let len = bytes.len() as u64;
            let digest = ContentHash::of(bytes);
            prop_assert!(reader.check_chunk_digest(id, len, digest).is_ok());
            prop_assert!(reader.check_chunk_digest(id, len, ContentHash::of(&flipped)).is_err());
            prop_assert!(reader.check_chunk_digest(id, len - 1, digest).is_err(), "a length");
        }
    }
}

#[test]
fn a_frames_reader_names_damage_and_never_reads_chunks_it_does_not_have() {
    let head = sample_head(PlanMode::StoreAll);
    let blobs: Vec<Vec<Vec<u8>>> = head
        .plan
        .store
        .iter()
        .map(|_| vec![vec![9u8; 150]])
        .collect();
    let (frame, chunks, _) = write_for_store(head, 64, &blobs);
    let mut reader = frame_reader(&frame).expect("opens");
    let (group, err) = (
        reader.manifest().groups[0].group,
        "a frame has no chunk bytes",
    );
    assert!(
        matches!(reader.read_blob(group, 0), Err(FormatError::Io(_))),
        "{err}"
    );
    assert!(reader
        .check_chunk(ChunkId::new(chunks.len() as u32), &[9])
        .is_err());
    // Every cut of the frame and every flipped byte of it is refused on open.
    for cut in 0..frame.len() {
        assert!(frame_reader(&frame[..cut]).is_err(), "cut at {cut}");
    }
    for at in 0..frame.len() {
        let mut damaged = frame.clone();
        damaged[at] ^= 0x20;
        assert!(frame_reader(&damaged).is_err(), "flip at {at}");
    }
}

#[test]
fn write_chunk_takes_whole_chunks_only() {
    let head = sample_head(PlanMode::StoreAll);
    let mut writer = CheckpointWriter::for_store(Vec::new(), 8).expect("writer");
    assert!(
        matches!(writer.write_chunk(b"x"), Err(WriteError::Misuse(_))),
        "outside a blob"
    );
    writer
        .begin_group(head.plan.store[0], Serializer::Pickle)
        .expect("begin");
    writer.begin_blob().expect("blob");
    assert!(
        matches!(writer.write_chunk(b""), Err(WriteError::Misuse(_))),
        "empty"
    );
    assert!(
        matches!(writer.write_chunk(&[1; 9]), Err(WriteError::Misuse(_))),
        "too long"
    );
    writer.write_chunk(&[1; 8]).expect("a whole chunk");
    writer.write_chunk(&[2; 3]).expect("a short last chunk");
    assert!(
        matches!(writer.write_chunk(&[3; 8]), Err(WriteError::Misuse(_))),
        "after the short one"
    );
    assert!(
        matches!(writer.write(&[3]), Err(WriteError::Misuse(_))),
        "after the short one"
    );
    writer.end_blob().expect("end");
    writer.begin_blob().expect("blob");
    writer.write(&[4; 3]).expect("a partial chunk");
    assert!(
        matches!(writer.write_chunk(&[5; 2]), Err(WriteError::Misuse(_))),
        "after a partial write"
    );
}
