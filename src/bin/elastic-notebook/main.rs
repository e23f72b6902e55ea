//! The `elastic-notebook` command line: look inside `.ckpt` files and verify them.
//!
//! Neither command ever unpickles: they read the manifest and hash the blob bytes, so
//! they are safe on checkpoints from anyone.

mod render;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use elastic_notebook::checkpoint::{open_file, FormatError, VerifyReport};

/// Inspect and verify elastic-notebook checkpoints (.ckpt) without running any of them.
#[derive(Debug, Parser)]
#[command(name = "elastic-notebook", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Show what a checkpoint holds: producer, cells, variable groups and sizes, what a
    /// restore loads and what it re-runs, and whether every byte is intact.
    ///
    /// Exits 0 when the file is intact, 1 when it is damaged or not a checkpoint.
    Inspect {
        /// The checkpoint file.
        file: PathBuf,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
        /// Show each cell's whole source instead of its first line.
        #[arg(long)]
        full_code: bool,
    },
    /// Check every byte of a checkpoint against its hashes.
    ///
    /// Exits 0 when the file is intact; otherwise prints what is wrong and exits 1.
    Verify {
        /// The checkpoint file.
        file: PathBuf,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Inspect {
            file,
            json,
            full_code,
        } => inspect(&file, json, full_code),
        Command::Verify { file, json } => verify(&file, json),
    }
}

/// Opens and verifies `file`; on success also returns the summary the manifest gives.
fn inspect(file: &std::path::Path, json: bool, full_code: bool) -> ExitCode {
    let mut reader = match open_file(file) {
        Ok(reader) => reader,
        Err(error) => return fail(file, &error, json),
    };
    let integrity = reader.verify();
    let summary = reader.manifest().summary();
    let file_len = reader.file_len();
    let root = reader.root();
    let ok = integrity.is_ok();
    if json {
        render::print_json(&render::inspect_json(
            file, file_len, root, &integrity, &summary,
        ));
    } else {
        print!(
            "{}",
            render::inspect_text(file, file_len, root, &integrity, &summary, full_code)
        );
    }
    exit_code(ok)
}

fn verify(file: &std::path::Path, json: bool) -> ExitCode {
    match open_file(file).and_then(|mut reader| reader.verify()) {
        Ok(report) => {
            if json {
                render::print_json(&render::verify_json(file, Ok(&report)));
            } else {
                println!("{}", ok_line(file, &report));
            }
            ExitCode::SUCCESS
        }
        Err(error) => fail(file, &error, json),
    }
}

fn ok_line(file: &std::path::Path, report: &VerifyReport) -> String {
    format!(
        "{}: ok: {} bytes, {} chunks, root blake3 {}",
        file.display(),
        report.file_len,
        report.chunks,
        report.root
    )
}

fn fail(file: &std::path::Path, error: &FormatError, json: bool) -> ExitCode {
    if json {
        render::print_json(&render::verify_json(file, Err(error)));
    } else {
        eprintln!("{}: error: {error}", file.display());
    }
    ExitCode::FAILURE
}

fn exit_code(ok: bool) -> ExitCode {
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
