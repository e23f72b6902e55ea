//! Text and JSON output of `inspect` and `verify`.

use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, UNIX_EPOCH};

use elastic_notebook::checkpoint::{
    CheckpointSummary, ContentHash, FormatError, GroupDecision, Serializer, VerifyReport,
};
use elastic_notebook::optimize::{PlanMode, ReplayStep};
use elastic_notebook::units::{format_bytes, format_duration_ns};
use serde_json::{json, Value};

/// Prints a JSON value on one line (serialising a `Value` cannot fail).
pub fn print_json(value: &Value) {
    println!("{value}");
}

/// `verify --json`, and the error object of `inspect --json`.
pub fn verify_json(file: &Path, result: Result<&VerifyReport, &FormatError>) -> Value {
    match result {
        Ok(report) => json!({
            "file": file.display().to_string(),
            "ok": true,
            "fileLen": report.file_len,
            "chunks": report.chunks,
            "blobBytes": report.blob_bytes,
            "root": report.root.to_hex(),
        }),
        Err(error) => json!({
            "file": file.display().to_string(),
            "ok": false,
            "error": error.to_string(),
        }),
    }
}

/// `inspect --json`: the summary plus the integrity result.
pub fn inspect_json(
    file: &Path,
    file_len: u64,
    root: ContentHash,
    integrity: &Result<VerifyReport, FormatError>,
    summary: &CheckpointSummary,
) -> Value {
    json!({
        "file": file.display().to_string(),
        "ok": integrity.is_ok(),
        "error": integrity.as_ref().err().map(ToString::to_string),
        "fileLen": file_len,
        "root": root.to_hex(),
        "summary": summary,
    })
}

fn created(ms: u64) -> String {
    let time = UNIX_EPOCH + Duration::from_millis(ms);
    humantime::format_rfc3339_millis(time).to_string()
}

fn serializer_name(serializer: Serializer) -> &'static str {
    match serializer {
        Serializer::Pickle => "pickle",
        Serializer::CloudPickle => "cloudpickle",
    }
}

fn mode(mode: PlanMode) -> &'static str {
    match mode {
        PlanMode::Optimal => "optimal (minimum cut)",
        PlanMode::StoreAll => "store-all",
        PlanMode::RecomputeAll => "recompute-all",
    }
}

/// The first line of a cell's source, marked when there is more.
fn first_line(code: &str) -> String {
    let mut lines = code.lines();
    let first = lines.next().unwrap_or_default();
    if lines.next().is_some() {
        format!("{first} ...")
    } else {
        first.to_owned()
    }
}

/// The text `inspect` prints.
pub fn inspect_text(
    file: &Path,
    file_len: u64,
    root: ContentHash,
    integrity: &Result<VerifyReport, FormatError>,
    s: &CheckpointSummary,
    full_code: bool,
) -> String {
    let mut out = String::new();
    write_overview(&mut out, file, file_len, root, integrity, s);
    write_cells(&mut out, s, full_code);
    write_groups(&mut out, s);
    write_steps(&mut out, s);
    out
}

fn write_overview(
    out: &mut String,
    file: &Path,
    file_len: u64,
    root: ContentHash,
    integrity: &Result<VerifyReport, FormatError>,
    s: &CheckpointSummary,
) {
    let p = &s.producer;
    let _ = writeln!(
        out,
        "{}: elastic-notebook checkpoint, format {}, {}",
        file.display(),
        s.format_version,
        format_bytes(file_len)
    );
    let _ = writeln!(out, "  root       blake3 {root}");
    let _ = match integrity {
        Ok(r) => writeln!(
            out,
            "  integrity  ok ({} chunks, {} of blobs verified)",
            r.chunks,
            format_bytes(r.blob_bytes)
        ),
        Err(e) => writeln!(out, "  integrity  FAILED: {e}"),
    };
    let _ = writeln!(
        out,
        "  producer   {} {} on {}, elastic-notebook {}",
        p.python_implementation, p.python_version, p.platform, p.core_version
    );
    let _ = writeln!(out, "  created    {}", created(s.created_unix_ms));
    if let Some(parent) = s.parent {
        let _ = writeln!(out, "  parent     {parent}");
    }
    if !s.extra.is_empty() {
        // Keys only: a value may be long (a random generator's 624 words).
        let keys: Vec<&str> = s.extra.keys().map(String::as_str).collect();
        let _ = writeln!(out, "  extra      {}", keys.join(", "));
    }
    let stored = s
        .groups
        .iter()
        .filter(|g| matches!(g.decision, GroupDecision::Stored { .. }))
        .count();
    let rerun = s.cells.iter().filter(|c| c.rerun).count();
    let _ = writeln!(
        out,
        "  plan       {}: store {stored} of {} groups ({}), re-run {rerun} of {} cells",
        mode(s.plan_mode),
        s.groups.len(),
        format_bytes(s.stored_bytes),
        s.cells.len()
    );
    let _ = writeln!(
        out,
        "  estimate   {} to store and load, {} to re-run",
        format_duration_ns(s.plan_cost.store_ns),
        format_duration_ns(s.plan_cost.rerun_ns)
    );
}

fn write_cells(out: &mut String, s: &CheckpointSummary, full_code: bool) {
    let _ = writeln!(out, "\ncells ({})", s.cells.len());
    for c in &s.cells {
        let status = if c.success { "ok" } else { "failed" };
        let restore = if c.cannot_rerun {
            "never"
        } else if c.rerun {
            "re-run"
        } else {
            "-"
        };
        let _ = write!(
            out,
            "  {:<5} {:>9}  {:<6}  {:<6}  ",
            c.id.to_string(),
            format_duration_ns(c.runtime_ns),
            status,
            restore
        );
        if full_code {
            let indent = format!("\n{:35}", "");
            let _ = writeln!(out, "{}", c.code.trim_end().replace('\n', &indent));
        } else {
            let _ = writeln!(out, "{}", first_line(&c.code));
        }
    }
}

fn write_groups(out: &mut String, s: &CheckpointSummary) {
    let _ = writeln!(out, "\nvariables ({} groups)", s.groups.len());
    for g in &s.groups {
        let decision = match g.decision {
            GroupDecision::Stored {
                serializer,
                stored_bytes,
                blobs,
            } => format!(
                "stored   {} {} in {blobs} blob{}",
                serializer_name(serializer),
                format_bytes(stored_bytes),
                if blobs == 1 { "" } else { "s" }
            ),
            GroupDecision::Recomputed if !g.serializable => {
                "recomputed (cannot be serialized)".to_owned()
            }
            GroupDecision::Recomputed => "recomputed".to_owned(),
        };
        let _ = writeln!(
            out,
            "  {:<5} {:<24} {:>10}  {decision}",
            g.id.to_string(),
            g.names.join(", "),
            format_bytes(g.size)
        );
    }
}

fn write_steps(out: &mut String, s: &CheckpointSummary) {
    let _ = writeln!(out, "\nrestore steps ({})", s.steps.len());
    for (i, step) in s.steps.iter().enumerate() {
        let _ = match step {
            ReplayStep::Run(cell) => {
                let code = s
                    .cells
                    .get(cell.index())
                    .map(|c| first_line(&c.code))
                    .unwrap_or_default();
                writeln!(out, "  {:>3}. run    {cell}  {code}", i + 1)
            }
            ReplayStep::Inject(group) => {
                let names = s
                    .groups
                    .get(group.index())
                    .map(|g| g.names.join(", "))
                    .unwrap_or_default();
                writeln!(out, "  {:>3}. load   {group}  {names}", i + 1)
            }
        };
    }
}
