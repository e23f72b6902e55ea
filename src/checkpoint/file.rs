//! Checkpoint files on a real file system: atomic saves and verified opens.
//!
//! Not built for `wasm32`: in the browser the host writes bytes through its own storage.

use std::fs::File;
use std::io::{BufReader, BufWriter};
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

use super::error::{FormatError, WriteError};
use super::manifest::{Manifest, ManifestHead};
use super::reader::{CheckpointReader, VerifyReport};
use super::writer::CheckpointWriter;

/// Why a checkpoint file was not saved. In every case the previous file at the target
/// path, if any, is untouched and no temp file is left behind.
#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    /// Creating, writing, syncing or renaming failed (full disk, permissions, ...).
    #[error("cannot save checkpoint to {path}: {source}")]
    Io {
        /// The target path.
        path: PathBuf,
        /// The failure.
        source: std::io::Error,
    },
    /// The writer failed.
    #[error("cannot save checkpoint to {path}: {source}")]
    Write {
        /// The target path.
        path: PathBuf,
        /// The failure.
        source: WriteError,
    },
    /// The written temp file did not verify; it was discarded.
    #[error("the checkpoint written for {path} did not verify and was discarded: {source}")]
    Verify {
        /// The target path.
        path: PathBuf,
        /// The failure.
        source: FormatError,
    },
}

/// A checkpoint being written to a temp file beside its target.
///
/// [`commit`](Self::commit) finishes it, syncs it, re-opens and fully verifies it, and only
/// then renames it over the target. Dropping it without committing removes the temp file.
#[derive(Debug)]
pub struct AtomicCheckpointFile {
    target: PathBuf,
    temp: NamedTempFile,
    writer: CheckpointWriter<BufWriter<File>>,
}

impl AtomicCheckpointFile {
    /// Starts a checkpoint that will replace `target`, with chunks of `chunk_size` bytes.
    pub fn create(target: &Path, chunk_size: u32) -> Result<Self, SaveError> {
        let io_err = |source| SaveError::Io {
            path: target.to_owned(),
            source,
        };
        let dir = match target.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
        let temp = tempfile::Builder::new()
            .prefix(".ckpt-")
            .suffix(".partial")
            .tempfile_in(dir)
            .map_err(io_err)?;
        let file = temp.as_file().try_clone().map_err(io_err)?;
        let writer =
            CheckpointWriter::with_chunk_size(BufWriter::with_capacity(1 << 20, file), chunk_size)
                .map_err(|source| SaveError::Write {
                    path: target.to_owned(),
                    source,
                })?;
        Ok(Self {
            target: target.to_owned(),
            temp,
            writer,
        })
    }

    /// The writer to stream groups into.
    pub fn writer(&mut self) -> &mut CheckpointWriter<BufWriter<File>> {
        &mut self.writer
    }

    /// The path the checkpoint will replace.
    #[must_use]
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Finishes, syncs and verifies the temp file, then renames it over the target.
    pub fn commit(self, head: ManifestHead) -> Result<(Manifest, VerifyReport), SaveError> {
        let Self {
            target,
            temp,
            writer,
        } = self;
        let write_err = |source| SaveError::Write {
            path: target.clone(),
            source,
        };
        let io_err = |source| SaveError::Io {
            path: target.clone(),
            source,
        };
        let finished = writer.finish(head).map_err(write_err)?;
        let (manifest, root) = (finished.manifest, finished.root);
        let file = finished
            .sink
            .into_inner()
            .map_err(|e| io_err(e.into_error()))?;
        file.sync_all().map_err(io_err)?;
        drop(file);

        let report = verify_file(temp.path()).map_err(|source| SaveError::Verify {
            path: target.clone(),
            source,
        })?;
        if report.root != root {
            return Err(SaveError::Verify {
                path: target.clone(),
                source: FormatError::ChecksumMismatch(super::Region::Manifest),
            });
        }
        temp.persist(&target).map_err(|e| io_err(e.error))?;
        sync_parent_dir(&target);
        Ok((manifest, report))
    }
}

/// Makes the rename durable where the platform allows; failure only weakens durability
/// after a power loss, so it is not an error.
fn sync_parent_dir(target: &Path) {
    #[cfg(unix)]
    if let Some(dir) = target.parent() {
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        if let Ok(handle) = File::open(dir) {
            let _ = handle.sync_all();
        }
    }
    #[cfg(not(unix))]
    let _ = target;
}

/// Opens a checkpoint file, verifying its header, trailer and manifest.
pub fn open_file(path: &Path) -> Result<CheckpointReader<BufReader<File>>, FormatError> {
    let file = File::open(path)?;
    CheckpointReader::open(BufReader::with_capacity(1 << 16, file))
}

/// Verifies every byte of a checkpoint file.
pub fn verify_file(path: &Path) -> Result<VerifyReport, FormatError> {
    open_file(path)?.verify()
}
