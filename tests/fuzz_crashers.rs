//! Replays every input in `tests/fuzz-crashers/` through the same checks as the fuzz
//! targets in `fuzz/`: a panic here is a regression of a fixed crash.

use std::io::Cursor;
use std::path::PathBuf;

use elastic_notebook::analysis::analyze;
use elastic_notebook::checkpoint::CheckpointReader;

fn inputs(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz-crashers")
        .join(target);
    let mut files: Vec<(PathBuf, Vec<u8>)> = std::fs::read_dir(&dir)
        .expect("crasher directory")
        .map(|entry| {
            let path = entry.expect("entry").path();
            let bytes = std::fs::read(&path).expect("read");
            (path, bytes)
        })
        .collect();
    files.sort();
    assert!(!files.is_empty(), "{} has no inputs", dir.display());
    files
}

#[test]
fn checkpoint_crashers_are_refused_without_panicking() {
    for (path, bytes) in inputs("read_checkpoint") {
        match CheckpointReader::open(Cursor::new(&bytes)) {
            Err(_) => {}
            Ok(_) => panic!("{} opened as a checkpoint", path.display()),
        }
    }
}

#[test]
fn analysis_crashers_are_analysed_without_panicking() {
    // The analysis runs on the thread's default stack here, as it does in the hosts.
    for (path, bytes) in inputs("analyze_cell") {
        let code = String::from_utf8_lossy(&bytes);
        let result = analyze(&code);
        // Inputs named `invalid-*` are not Python: they must be reported as parse errors
        // (so the host records the cell conservatively), never silently analysed.
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if name.starts_with("invalid-") {
            assert!(result.parse_error.is_some(), "{name} parsed");
        }
    }
}
