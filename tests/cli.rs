//! The `elastic-notebook` CLI on the golden files, run as a user runs it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_elastic-notebook"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the CLI runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("utf-8")
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).expect("utf-8")
}

/// A copy of a golden file with one byte changed, in a temp dir.
fn damaged_copy(dir: &Path, golden: &str, offset: usize) -> PathBuf {
    let mut bytes =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join(golden)).expect("golden");
    bytes[offset] ^= 0xff;
    let path = dir.join("damaged.ckpt");
    std::fs::write(&path, bytes).expect("write");
    path
}

#[test]
fn inspect_shows_cells_groups_plan_and_producer() {
    let output = run(&["inspect", "tests/golden/sample-optimal.ckpt"]);
    assert!(output.status.success(), "{}", stderr(&output));
    insta::assert_snapshot!(stdout(&output));
}

#[test]
fn inspect_json_is_the_summary() {
    let output = run(&["inspect", "--json", "tests/golden/sample-store-all.ckpt"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let value: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("json");
    assert_eq!(value["ok"], true);
    assert_eq!(value["summary"]["producer"]["pythonVersion"], "3.14.2");
    assert_eq!(value["summary"]["planMode"], "storeAll");
    let groups = value["summary"]["groups"].as_array().expect("groups");
    let blob = groups
        .iter()
        .find(|g| g["names"] == serde_json::json!(["blob"]))
        .expect("blob group");
    assert_eq!(blob["decision"]["kind"], "stored");
    assert_eq!(blob["decision"]["blobs"], 2);
    assert_eq!(
        value["summary"]["cells"].as_array().expect("cells").len(),
        7
    );
}

#[test]
fn verify_accepts_every_golden_file() {
    for name in [
        "sample-optimal.ckpt",
        "sample-store-all.ckpt",
        "sample-recompute-all.ckpt",
    ] {
        let path = format!("tests/golden/{name}");
        let output = run(&["verify", &path]);
        assert!(output.status.success(), "{name}: {}", stderr(&output));
        assert!(stdout(&output).contains(": ok:"), "{}", stdout(&output));
    }
}

#[test]
fn verify_names_the_damage_and_exits_non_zero() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Offset 100 is inside the first chunk of the store-all sample.
    let path = damaged_copy(dir.path(), "tests/golden/sample-store-all.ckpt", 100);
    let output = run(&["verify", path.to_str().expect("utf-8 path")]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("checksum mismatch in the blob chunk"),
        "{}",
        stderr(&output)
    );

    let json = run(&["verify", "--json", path.to_str().expect("utf-8 path")]);
    assert_eq!(json.status.code(), Some(1));
    let value: serde_json::Value = serde_json::from_str(&stdout(&json)).expect("json");
    assert_eq!(value["ok"], false);
}

#[test]
fn inspect_of_a_damaged_blob_still_shows_the_manifest_but_fails() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = damaged_copy(dir.path(), "tests/golden/sample-store-all.ckpt", 100);
    let output = run(&["inspect", path.to_str().expect("utf-8 path")]);
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    assert!(
        text.contains("integrity  FAILED: checksum mismatch"),
        "{text}"
    );
    assert!(text.contains("alias, data"), "{text}");
}

#[test]
fn truncated_and_foreign_files_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let golden = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/sample-optimal.ckpt"),
    )
    .expect("golden");
    let truncated = dir.path().join("truncated.ckpt");
    std::fs::write(&truncated, &golden[..golden.len() / 2]).expect("write");
    let output = run(&["inspect", truncated.to_str().expect("utf-8 path")]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("truncated"), "{}", stderr(&output));

    let notebook = dir.path().join("notebook.ipynb");
    std::fs::write(
        &notebook,
        br#"{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}"#,
    )
    .expect("write");
    let output = run(&["verify", notebook.to_str().expect("utf-8 path")]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("not an elastic-notebook checkpoint"),
        "{}",
        stderr(&output)
    );

    let output = run(&["verify", "no-such-file.ckpt"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("No such file"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn help_describes_both_commands() {
    let output = run(&["--help"]);
    assert!(output.status.success());
    let text = stdout(&output);
    assert!(
        text.contains("inspect") && text.contains("verify"),
        "{text}"
    );
    let output = run(&["frobnicate"]);
    assert_eq!(output.status.code(), Some(2), "usage errors exit 2");
}
