//! The sample session behind the golden files and the format tests.
//!
//! Seven cells over a list and its alias, an in-place append, a generator (unserializable),
//! a slow sum and a buffer; the blobs are real pickle protocol 5 bytes made by CPython.

#![allow(dead_code)]

use std::collections::BTreeMap;

use elastic_notebook::checkpoint::{CheckpointWriter, ManifestHead, Producer, Serializer};
use elastic_notebook::history::{CellRecord, GroupSpec, History};
use elastic_notebook::optimize::{plan, CostModel, PlanMode};

/// `pickle.dumps({'alias': l, 'data': l}, protocol=5)` with `l = [1, 2, 3, 4]`.
const PICKLE_DATA_ALIAS: &str =
    "80059522000000000000007d94288c05616c696173945d94284b014b024b034b04658c0464617461946802752e";
/// `pickle.dumps({'total': 10}, protocol=5)`.
const PICKLE_TOTAL: &str = "8005950e000000000000007d948c05746f74616c944b0a732e";
/// `pickle.dumps({'blob': PickleBuffer(b)}, protocol=5, buffer_callback=...)`; the buffer,
/// `bytes(range(256)) * 4`, is the group's second blob.
const PICKLE_BLOB: &str = "8005950c000000000000007d948c04626c6f629497732e";

const MS: u64 = 1_000_000;

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

fn record(code: &str, ms: u64, reads: &[&str], writes: &[&str], mutates: &[&str]) -> CellRecord {
    let owned = |names: &[&str]| names.iter().map(|n| (*n).to_owned()).collect();
    CellRecord {
        code: code.to_owned(),
        runtime_ns: ms * MS,
        success: true,
        reads: owned(reads),
        writes: owned(writes),
        mutates: owned(mutates),
        ..CellRecord::default()
    }
}

/// The sample history, grouped.
pub fn sample_history() -> History {
    let mut h = History::new();
    h.record_cell(&record("data = [1, 2, 3]", 1, &[], &["data"], &[]));
    h.record_cell(&record("alias = data", 1, &["data"], &["alias"], &[]));
    h.record_cell(&record(
        "data.append(4)",
        1,
        &["data"],
        &[],
        &["data", "alias"],
    ));
    h.record_cell(&record(
        "gen = (x * 2 for x in data)",
        1,
        &["data"],
        &["gen"],
        &[],
    ));
    h.record_cell(&record("import time", 1, &[], &["time"], &[]));
    h.record_cell(&record(
        "time.sleep(0.5)\ntotal = sum(data)",
        500,
        &["time", "data"],
        &["total"],
        &[],
    ));
    h.record_cell(&record(
        "blob = bytearray(bytes(range(256)) * 4)",
        1,
        &[],
        &["blob"],
        &[],
    ));
    let group = |names: &[&str], size, serializable| GroupSpec {
        names: names.iter().map(|n| (*n).to_owned()).collect(),
        size,
        serializable,
    };
    h.set_groups(&[
        group(&["alias", "data"], 45, true),
        group(&["gen"], 0, false),
        group(&["total"], 25, true),
        group(&["time"], 0, false),
        group(&["blob"], 1047, true),
    ])
    .expect("sample groups are valid");
    h
}

/// The blobs of a stored group, by its sorted member names.
pub fn sample_blobs(names: &[String]) -> (Serializer, Vec<Vec<u8>>) {
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    match names.as_slice() {
        ["alias", "data"] => (Serializer::Pickle, vec![hex(PICKLE_DATA_ALIAS)]),
        ["total"] => (Serializer::Pickle, vec![hex(PICKLE_TOTAL)]),
        ["blob"] => {
            let buffer: Vec<u8> = (0..4).flat_map(|_| 0..=255u8).collect();
            (Serializer::Pickle, vec![hex(PICKLE_BLOB), buffer])
        }
        other => panic!("the sample never stores {other:?}"),
    }
}

/// The sample checkpoint's head for a plan mode, with a fixed producer and time so the
/// bytes are reproducible.
pub fn sample_head(mode: PlanMode) -> ManifestHead {
    let history = sample_history();
    // 1 MB/s: the 1 KB buffer costs more to store than its 1 ms cell costs to re-run, so
    // the optimal plan differs from store-all.
    let model = CostModel::with_bandwidth(1e6);
    let plan = plan(&history, &model, mode).expect("the sample plans");
    let mut extra = BTreeMap::new();
    extra.insert("notebook".to_owned(), "sample.ipynb".to_owned());
    ManifestHead {
        producer: Producer {
            core_version: "golden".to_owned(),
            python_version: "3.14.2".to_owned(),
            python_implementation: "cpython".to_owned(),
            platform: "emscripten".to_owned(),
        },
        created_unix_ms: 1_764_000_000_000,
        parent: None,
        history,
        cost_model: model,
        plan,
        extra,
    }
}

/// Writes the sample checkpoint for `mode` with chunks of `chunk_size` bytes.
pub fn write_sample(mode: PlanMode, chunk_size: u32) -> Vec<u8> {
    let head = sample_head(mode);
    let mut writer = CheckpointWriter::with_chunk_size(Vec::new(), chunk_size).expect("writer");
    for &group in &head.plan.store {
        let names = group_names(&head.history, group);
        let (serializer, blobs) = sample_blobs(&names);
        writer.begin_group(group, serializer).expect("begin group");
        for blob in &blobs {
            writer.write_blob(blob).expect("write blob");
        }
        writer.end_group().expect("end group");
    }
    writer.finish(head).expect("finish").sink
}

/// Sorted member names of a group.
pub fn group_names(history: &History, group: elastic_notebook::history::GroupId) -> Vec<String> {
    let mut names: Vec<String> = history
        .group(group)
        .expect("group")
        .members
        .iter()
        .map(|&m| history.snapshot(m).expect("snapshot").name.clone())
        .collect();
    names.sort();
    names
}

/// The golden files: name, plan mode, chunk size.
pub const GOLDEN: [(&str, PlanMode, u32); 3] = [
    ("sample-optimal.ckpt", PlanMode::Optimal, 64),
    ("sample-store-all.ckpt", PlanMode::StoreAll, 64),
    ("sample-recompute-all.ckpt", PlanMode::RecomputeAll, 64),
];

/// Recomputes a checkpoint's root hash after its manifest or trailer offsets were edited,
/// so damage gets past the root check and reaches manifest decoding and validation.
pub fn reseal(bytes: &mut [u8]) {
    use elastic_notebook::checkpoint::{HEADER_LEN, TRAILER_LEN};
    let len = bytes.len();
    let trailer = len - TRAILER_LEN as usize;
    let word = |at: usize| u64::from_le_bytes(bytes[at..at + 8].try_into().expect("8 bytes"));
    let (offset, manifest_len) = (word(trailer) as usize, word(trailer + 8) as usize);
    let mut hasher = blake3::Hasher::new();
    hasher.update(&bytes[..HEADER_LEN as usize]);
    hasher.update(&bytes[offset..offset + manifest_len]);
    hasher.update(&bytes[trailer..trailer + 16]);
    let root = hasher.finalize();
    bytes[trailer + 16..trailer + 48].copy_from_slice(root.as_bytes());
}
