//! Native benchmarks of the core; run by `bench/run` (not part of the test suite).
//!
//! Prints one JSON object with medians, for `bench/run` to store under `bench/results/`.

#[path = "workloads.rs"]
mod workloads;

use std::hint::black_box;
use std::time::{Duration, Instant};

use elastic_notebook::analysis::analyze;
use elastic_notebook::checkpoint::{
    verify_file, AtomicCheckpointFile, CheckpointWriter, ManifestHead, Serializer,
    DEFAULT_CHUNK_SIZE,
};
use elastic_notebook::optimize::{plan, CostModel, PlanMode};

/// Median wall time of `f` over `runs` runs after one warm-up.
fn median(runs: usize, mut f: impl FnMut()) -> Duration {
    f();
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect();
    times.sort();
    times[times.len() / 2]
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn main() {
    let mut out = Vec::new();
    let cell20 = workloads::CELL_20_LINES;
    let cell500 = workloads::CELL_500_LINES;
    assert!(
        analyze(cell20).parse_error.is_none(),
        "benchmark cell must parse"
    );
    let t20 = median(2000, || {
        black_box(analyze(black_box(cell20)));
    });
    let t500 = median(200, || {
        black_box(analyze(black_box(cell500)));
    });
    out.push(format!("\"analyze20Us\": {:.1}", micros(t20)));
    out.push(format!("\"analyze500Us\": {:.1}", micros(t500)));

    for cells in [2_000usize, 10_000] {
        let history = workloads::synthetic_history(cells, 42);
        let model = CostModel::default();
        let result = plan(&history, &model, PlanMode::Optimal).expect("plan");
        eprintln!(
            "{cells} cells: {} groups, {} stored, {} re-run",
            history.groups().len(),
            result.store.len(),
            result.rerun.len()
        );
        let t = median(21, || {
            black_box(plan(black_box(&history), &model, PlanMode::Optimal).expect("plan"));
        });
        out.push(format!("\"plan{cells}Ms\": {:.2}", micros(t) / 1e3));
    }
    checkpoint_throughput(&mut out);
    println!("{{{}}}", out.join(", "));
}

/// Streams one pickle stream and one buffer per stored group.
fn fill<W: std::io::Write>(
    writer: &mut CheckpointWriter<W>,
    head: &ManifestHead,
    pickle: &[u8],
    buffer: &[u8],
) {
    for &group in &head.plan.store {
        writer
            .begin_group(group, Serializer::Pickle)
            .expect("group");
        writer.write_blob(pickle).expect("pickle");
        writer.write_blob(buffer).expect("buffer");
        writer.end_group().expect("end");
    }
}

/// GB/s (10^9 bytes per second) for `bytes` in `time`.
fn gbps(bytes: u64, time: Duration) -> f64 {
    bytes as f64 / time.as_secs_f64() / 1e9
}

/// Write and verify throughput of a 1 GiB session: 8 groups of one 128 MiB buffer each
/// plus a small pickle stream, as numpy-heavy sessions look.
fn checkpoint_throughput(out: &mut Vec<String>) {
    const GROUPS: usize = 8;
    const BUFFER: usize = 128 << 20;
    let history = workloads::buffer_session(GROUPS, BUFFER as u64);
    let model = CostModel::default();
    let store_all = plan(&history, &model, PlanMode::StoreAll).expect("plan");
    let mut rng = workloads::Rng::new(7);
    let buffer: Vec<u8> = (0..BUFFER / 8)
        .flat_map(|_| rng.next().to_le_bytes())
        .collect();
    let pickle = vec![0x80u8; 200];
    let total = (GROUPS * (BUFFER + pickle.len())) as u64;
    let head = ManifestHead::new(history, model, store_all);

    // The format alone: hashing and framing into a sink that discards.
    let t = median(3, || {
        let mut writer =
            CheckpointWriter::with_chunk_size(std::io::sink(), DEFAULT_CHUNK_SIZE).expect("w");
        fill(&mut writer, &head, &pickle, &buffer);
        black_box(writer.finish(head.clone()).expect("finish"));
    });
    out.push(format!("\"writeToSinkGBps\": {:.2}", gbps(total, t)));

    // Into a file, without fsync: the writer's throughput into the page cache.
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("bench.ckpt");
    let t = median(3, || {
        let file = std::fs::File::create(&path).expect("create");
        let sink = std::io::BufWriter::with_capacity(1 << 20, file);
        let mut writer = CheckpointWriter::with_chunk_size(sink, DEFAULT_CHUNK_SIZE).expect("w");
        fill(&mut writer, &head, &pickle, &buffer);
        black_box(writer.finish(head.clone()).expect("finish"));
    });
    out.push(format!("\"writeFileGBps\": {:.2}", gbps(total, t)));

    // Peer: the same bytes written to a file with no format and no hashing.
    let t = median(3, || {
        let mut file = std::fs::File::create(&path).expect("create");
        for _ in 0..GROUPS {
            std::io::Write::write_all(&mut file, &pickle).expect("write");
            std::io::Write::write_all(&mut file, &buffer).expect("write");
        }
        black_box(file);
    });
    out.push(format!("\"plainFileWriteGBps\": {:.2}", gbps(total, t)));

    // A durable save: temp file, fsync (disk-bound), full verification, rename.
    let t = median(3, || {
        let mut file = AtomicCheckpointFile::create(&path, DEFAULT_CHUNK_SIZE).expect("create");
        fill(file.writer(), &head, &pickle, &buffer);
        black_box(file.commit(head.clone()).expect("commit"));
    });
    out.push(format!("\"atomicSaveGBps\": {:.2}", gbps(total, t)));

    // Verifying the saved file (from the page cache, as right after a save or download).
    let t = median(3, || {
        black_box(verify_file(&path).expect("verify"));
    });
    out.push(format!("\"verifyFileGBps\": {:.2}", gbps(total, t)));
}
