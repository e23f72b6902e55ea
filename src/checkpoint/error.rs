//! Errors of the checkpoint format: what is wrong with a file, and what stopped a write.

use std::fmt;

use super::manifest::ManifestError;
use crate::ids::ChunkId;

/// Where a checksum did not match.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Region {
    /// The header, the manifest or the trailer (covered by the root hash).
    Manifest,
    /// One chunk of blob bytes.
    Chunk(ChunkId),
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Manifest => f.write_str("header, manifest or trailer"),
            Self::Chunk(id) => write!(f, "blob chunk {}", id.as_u32()),
        }
    }
}

/// Why a checkpoint cannot be read. Every malformed input maps to one of these; none
/// panics.
#[derive(Debug, thiserror::Error)]
pub enum FormatError {
    /// Shorter than a header and a trailer.
    #[error("the file is {len} bytes, too short to be a checkpoint: it is truncated or empty")]
    TooShort {
        /// The file's length.
        len: u64,
    },
    /// The first bytes are not the checkpoint magic.
    #[error("not an elastic-notebook checkpoint (the first bytes are not its magic)")]
    BadMagic,
    /// A format version this build does not read.
    #[error("checkpoint format version {0} is not supported; this build reads version {FORMAT_VERSION}", FORMAT_VERSION = super::layout::FORMAT_VERSION)]
    UnsupportedVersion(u16),
    /// Header flags or reserved bytes this build does not know.
    #[error("unsupported header flags {0:#06x}: the file is from a newer writer or corrupted")]
    UnsupportedFlags(u16),
    /// The last bytes are not the end magic.
    #[error("the file does not end with a checkpoint trailer: it is truncated or was not completely written")]
    MissingTrailer,
    /// Offsets in the trailer or manifest do not describe this file.
    #[error("the file's layout is inconsistent: {0}")]
    BadLayout(&'static str),
    /// Bytes do not match their hash.
    #[error("checksum mismatch in the {0}: the file is corrupted")]
    ChecksumMismatch(Region),
    /// The manifest's bytes are not a postcard manifest.
    #[error("the manifest cannot be decoded: {0}")]
    ManifestDecode(String),
    /// The manifest decodes but contradicts itself.
    #[error("the manifest is inconsistent: {0}")]
    InvalidManifest(#[from] ManifestError),
    /// A blob that is not in the manifest was asked for.
    #[error("the checkpoint has no blob {blob} in group {group}")]
    NoSuchBlob {
        /// The group asked for.
        group: u32,
        /// The blob index asked for.
        blob: usize,
    },
    /// Reading failed.
    #[error("cannot read the checkpoint: {0}")]
    Io(#[from] std::io::Error),
}

/// Why a checkpoint could not be written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// Writing to the sink failed (full disk, closed pipe, ...).
    #[error("cannot write the checkpoint: {0}")]
    Io(#[from] std::io::Error),
    /// The writer's calls came in an order the format cannot represent.
    #[error("checkpoint writer misuse: {0}")]
    Misuse(&'static str),
    /// The finished manifest would be inconsistent (e.g. stored groups differ from the plan).
    #[error("the checkpoint would be inconsistent: {0}")]
    InvalidManifest(#[from] ManifestError),
    /// The manifest cannot be encoded.
    #[error("cannot encode the manifest: {0}")]
    Encode(String),
    /// More chunks than the format can index.
    #[error("the checkpoint has more than 2^32 chunks")]
    TooManyChunks,
}
