//! The `.ckpt` checkpoint format, specified in `docs/checkpoint-format.md`.
//!
//! A file is a fixed header, the blob chunks back to back, a postcard [`Manifest`] and a
//! fixed trailer. The manifest comes last so the writer streams: blobs go to the sink as
//! they are produced and only their hashes are kept. The trailer's root hash covers the
//! header, the manifest and the trailer's own offsets; the manifest holds the blake3 of
//! every chunk, so every byte of the file is covered and verifying hashes each byte once.
//!
//! - [`CheckpointWriter`] streams groups of blobs to any `io::Write` and finishes with the
//!   manifest and trailer; [`AtomicCheckpointFile`] writes a file through a temp file that
//!   is verified before it replaces the target.
//! - [`CheckpointReader`] checks the header, trailer, root hash and the manifest's
//!   consistency on open, and verifies every chunk before it returns a byte of it.
//! - A content-addressed store keeps a checkpoint as its frame and its chunks by hash:
//!   [`CheckpointWriter::for_store`] writes only the frame and hands out each chunk's
//!   hash, and [`FrameSource`] opens a frame for the reader, which checks the chunks the
//!   store gives back with [`CheckpointReader::check_chunk`].
//!
//! ```
//! use std::io::Cursor;
//! use elastic_notebook::checkpoint::{CheckpointReader, CheckpointWriter, ManifestHead, Serializer};
//! use elastic_notebook::history::{CellRecord, GroupSpec, History};
//! use elastic_notebook::optimize::{plan, CostModel, PlanMode};
//!
//! let mut history = History::new();
//! history.record_cell(&CellRecord { code: "x = [1]".into(), writes: vec!["x".into()], success: true, ..Default::default() });
//! history.set_groups(&[GroupSpec { names: vec!["x".into()], size: 3, serializable: true }])?;
//! let plan = plan(&history, &CostModel::default(), PlanMode::StoreAll)?;
//!
//! let mut writer = CheckpointWriter::new(Vec::new())?;
//! for &group in &plan.store {
//!     writer.begin_group(group, Serializer::Pickle)?;
//!     writer.write_blob(b"pickle bytes")?;
//!     writer.end_group()?;
//! }
//! let head = ManifestHead::new(history, CostModel::default(), plan);
//! let finished = writer.finish(head)?;
//!
//! let mut reader = CheckpointReader::open(Cursor::new(finished.sink))?;
//! reader.verify()?;
//! let group = reader.manifest().groups[0].group;
//! assert_eq!(reader.read_blob(group, 0)?, b"pickle bytes");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod error;
#[cfg(not(target_arch = "wasm32"))]
mod file;
mod frame;
mod hash;
mod layout;
mod manifest;
mod reader;
mod restore;
mod summary;
mod writer;

pub use error::{FormatError, Region, WriteError};
#[cfg(not(target_arch = "wasm32"))]
pub use file::{open_file, verify_file, AtomicCheckpointFile, SaveError};
pub use frame::FrameSource;
pub use hash::{ContentHash, ContentHasher};
pub use layout::{
    DEFAULT_CHUNK_SIZE, END_MAGIC, FORMAT_VERSION, HEADER_LEN, MAGIC, MAX_CHUNK_SIZE, TRAILER_LEN,
};
pub use manifest::{
    BlobRef, CheckpointHead, ChunkRef, Manifest, ManifestError, ManifestHead, Producer, Serializer,
    StoredGroup,
};
pub use reader::{verify_bytes, CheckpointReader, StoreLayout, VerifyReport};
pub use restore::RestoreStep;
pub use summary::{CellSummary, CheckpointSummary, GroupDecision, GroupSummary};
pub use writer::{CheckpointWriter, Finished};
