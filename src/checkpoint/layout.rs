//! The fixed-size header and trailer, byte by byte (all integers little-endian).
//!
//! ```text
//! header  (16 B)  magic[8] | format version u16 | flags u16 (0) | reserved u32 (0)
//! chunks          chunk 0 | chunk 1 | ...            (raw bytes, no framing)
//! manifest        postcard(Manifest)
//! trailer (56 B)  manifest offset u64 | manifest length u64 | root blake3[32] | end magic[8]
//! ```
//!
//! root = blake3(header | manifest | trailer[0..16]). Chunks are covered through their
//! hashes in the manifest.

use super::error::FormatError;
use super::hash::ContentHash;

/// First 8 bytes of every checkpoint. Like PNG's signature, the high byte catches 7-bit
/// transfers and the CR LF / SUB / LF bytes catch newline translation and `type` on DOS.
pub const MAGIC: [u8; 8] = [0x8B, b'E', b'N', b'B', b'\r', b'\n', 0x1A, b'\n'];
/// Last 8 bytes of every complete checkpoint: a file without them was cut short.
pub const END_MAGIC: [u8; 8] = *b"ENBCKEND";
/// The format version this build writes and reads.
pub const FORMAT_VERSION: u16 = 1;
/// Length of the header.
pub const HEADER_LEN: u64 = 16;
/// Length of the trailer.
pub const TRAILER_LEN: u64 = 56;
/// Default chunk size: 8 MiB, well below browsers' per-value IndexedDB limits and small
/// enough that verifying a chunk before returning it costs little memory.
pub const DEFAULT_CHUNK_SIZE: u32 = 8 << 20;
/// Largest chunk a reader accepts (64 MiB): bounds the memory one chunk read can take.
pub const MAX_CHUNK_SIZE: u32 = 64 << 20;
/// Largest manifest a reader accepts (1 GiB): a manifest is read whole.
pub(crate) const MAX_MANIFEST_LEN: u64 = 1 << 30;

/// Encodes the header of this format version.
pub(crate) fn encode_header() -> [u8; HEADER_LEN as usize] {
    let mut header = [0u8; HEADER_LEN as usize];
    header[..8].copy_from_slice(&MAGIC);
    header[8..10].copy_from_slice(&FORMAT_VERSION.to_le_bytes());
    header
}

/// Checks a header: magic, then version, then the flags and reserved bytes.
pub(crate) fn check_header(header: &[u8; HEADER_LEN as usize]) -> Result<(), FormatError> {
    if header[..8] != MAGIC {
        return Err(FormatError::BadMagic);
    }
    let version = u16::from_le_bytes([header[8], header[9]]);
    if version != FORMAT_VERSION {
        return Err(FormatError::UnsupportedVersion(version));
    }
    let flags = u16::from_le_bytes([header[10], header[11]]);
    if flags != 0 || header[12..] != [0; 4] {
        return Err(FormatError::UnsupportedFlags(flags));
    }
    Ok(())
}

/// The decoded trailer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Trailer {
    pub manifest_offset: u64,
    pub manifest_len: u64,
    pub root: ContentHash,
}

impl Trailer {
    /// The 16 bytes the root hash covers: the manifest's offset and length.
    pub(crate) fn offsets(&self) -> [u8; 16] {
        let mut out = [0u8; 16];
        out[..8].copy_from_slice(&self.manifest_offset.to_le_bytes());
        out[8..].copy_from_slice(&self.manifest_len.to_le_bytes());
        out
    }

    pub(crate) fn encode(&self) -> [u8; TRAILER_LEN as usize] {
        let mut out = [0u8; TRAILER_LEN as usize];
        out[..16].copy_from_slice(&self.offsets());
        out[16..48].copy_from_slice(&self.root.0);
        out[48..].copy_from_slice(&END_MAGIC);
        out
    }

    /// Decodes a trailer and checks it fits a file of `file_len` bytes.
    pub(crate) fn decode(
        bytes: &[u8; TRAILER_LEN as usize],
        file_len: u64,
    ) -> Result<Self, FormatError> {
        if bytes[48..] != END_MAGIC {
            return Err(FormatError::MissingTrailer);
        }
        let word = |at: usize| {
            let mut w = [0u8; 8];
            w.copy_from_slice(&bytes[at..at + 8]);
            u64::from_le_bytes(w)
        };
        let mut root = [0u8; 32];
        root.copy_from_slice(&bytes[16..48]);
        let trailer = Self {
            manifest_offset: word(0),
            manifest_len: word(8),
            root: ContentHash(root),
        };
        let manifest_end = trailer.manifest_offset.checked_add(trailer.manifest_len);
        if trailer.manifest_offset < HEADER_LEN || manifest_end != Some(file_len - TRAILER_LEN) {
            return Err(FormatError::BadLayout(
                "the trailer's manifest offset and length do not fit the file",
            ));
        }
        if trailer.manifest_len > MAX_MANIFEST_LEN {
            return Err(FormatError::BadLayout("the manifest is larger than 1 GiB"));
        }
        Ok(trailer)
    }
}

/// The root hash: blake3 over the header, the manifest and the trailer's offsets.
pub(crate) fn root_hash(header: &[u8], manifest: &[u8], offsets: &[u8; 16]) -> ContentHash {
    let mut hasher = blake3::Hasher::new();
    hasher.update(header);
    hasher.update(manifest);
    hasher.update(offsets);
    hasher.finalize().into()
}
