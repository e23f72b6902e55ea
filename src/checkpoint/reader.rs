//! The verifying reader: nothing is returned before the bytes it came from are checked.

use std::io::{Cursor, Read, Seek, SeekFrom};

use serde::{Deserialize, Serialize};

use super::error::{FormatError, Region};
use super::hash::ContentHash;
use super::layout::{check_header, root_hash, Trailer, HEADER_LEN, MAGIC, TRAILER_LEN};
use super::manifest::{BlobRef, ChunkRef, Manifest};
use crate::ids::{ChunkId, GroupId};

/// What a full verification checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifyReport {
    /// The root hash: the checkpoint's identity.
    pub root: ContentHash,
    /// The file's length.
    pub file_len: u64,
    /// Chunks verified.
    pub chunks: u64,
    /// Blob bytes verified.
    pub blob_bytes: u64,
}

/// Where a checkpoint's parts lie in its file, for a content-addressed store (IndexedDB):
/// it keeps the *frame* (the header, `[0, 16)`, and everything from the manifest on,
/// `[manifestOffset, fileLen)`) and each chunk under its hash. The file is the header,
/// then the chunks in this order, then the rest of the frame; a reader verifies the
/// result as any file, so a store never needs to trust its own bytes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoreLayout {
    /// The root hash: the checkpoint's identity.
    pub root: ContentHash,
    /// The root hash of the checkpoint this one was taken after, if any.
    pub parent: Option<ContentHash>,
    /// Creation time, milliseconds since the Unix epoch.
    pub created_unix_ms: u64,
    /// The file's length.
    pub file_len: u64,
    /// Where the manifest starts: the chunks fill `[16, manifestOffset)`.
    pub manifest_offset: u64,
    /// Every chunk, in file order (the same hash may appear more than once).
    pub chunks: Vec<ChunkRef>,
}

impl StoreLayout {
    /// The layout of the checkpoint `manifest` describes, with root hash `root`, in a
    /// file of `file_len` bytes.
    #[must_use]
    pub fn of(manifest: &Manifest, root: ContentHash, file_len: u64) -> Self {
        Self {
            root,
            parent: manifest.head.parent,
            created_unix_ms: manifest.head.created_unix_ms,
            file_len,
            manifest_offset: manifest.chunks_end(),
            chunks: manifest.chunks.clone(),
        }
    }
}

/// An open checkpoint whose header, trailer and manifest are verified.
#[derive(Debug)]
pub struct CheckpointReader<R> {
    source: R,
    manifest: Manifest,
    root: ContentHash,
    file_len: u64,
}

impl<R: Read + Seek> CheckpointReader<R> {
    /// Opens a checkpoint: checks the header, the trailer, the root hash over header,
    /// manifest and trailer, decodes the manifest and checks its consistency and that its
    /// chunks fill the file exactly. Chunk bytes are checked when read.
    pub fn open(mut source: R) -> Result<Self, FormatError> {
        let file_len = source.seek(SeekFrom::End(0))?;
        let mut header = [0u8; HEADER_LEN as usize];
        let present = file_len.min(HEADER_LEN) as usize;
        source.seek(SeekFrom::Start(0))?;
        source.read_exact(&mut header[..present])?;
        // A short file that is not a checkpoint at all says so, rather than "truncated".
        if present >= MAGIC.len() && header[..MAGIC.len()] != MAGIC {
            return Err(FormatError::BadMagic);
        }
        if file_len < HEADER_LEN + TRAILER_LEN {
            return Err(FormatError::TooShort { len: file_len });
        }
        check_header(&header)?;

        let mut trailer_bytes = [0u8; TRAILER_LEN as usize];
        source.seek(SeekFrom::Start(file_len - TRAILER_LEN))?;
        source.read_exact(&mut trailer_bytes)?;
        let trailer = Trailer::decode(&trailer_bytes, file_len)?;

        // Bounded by the file's length (checked by `Trailer::decode`) and by 1 GiB.
        let mut manifest_bytes = vec![0u8; trailer.manifest_len as usize];
        source.seek(SeekFrom::Start(trailer.manifest_offset))?;
        source.read_exact(&mut manifest_bytes)?;
        if root_hash(&header, &manifest_bytes, &trailer.offsets()) != trailer.root {
            return Err(FormatError::ChecksumMismatch(Region::Manifest));
        }
        let manifest: Manifest = postcard::from_bytes(&manifest_bytes)
            .map_err(|e| FormatError::ManifestDecode(e.to_string()))?;
        manifest.validate()?;
        if manifest.chunks_end() != trailer.manifest_offset {
            return Err(FormatError::BadLayout(
                "the chunks do not end where the manifest begins",
            ));
        }
        Ok(Self {
            source,
            manifest,
            root: trailer.root,
            file_len,
        })
    }

    /// The verified manifest.
    #[must_use]
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The root hash, the checkpoint's identity.
    #[must_use]
    pub fn root(&self) -> ContentHash {
        self.root
    }

    /// The file's length.
    #[must_use]
    pub fn file_len(&self) -> u64 {
        self.file_len
    }

    /// Where its parts lie, for a content-addressed store.
    #[must_use]
    pub fn store_layout(&self) -> StoreLayout {
        StoreLayout::of(&self.manifest, self.root, self.file_len)
    }

    /// Gives the source and the manifest back.
    pub fn into_parts(self) -> (R, Manifest) {
        (self.source, self.manifest)
    }

    /// Reads blob `blob` of stored group `group`, verifying every chunk first.
    pub fn read_blob(&mut self, group: GroupId, blob: usize) -> Result<Vec<u8>, FormatError> {
        let blob_ref = self.blob_ref(group, blob)?;
        // Bounded by the file's length: the manifest's chunks fill the file.
        let mut out = Vec::with_capacity(blob_ref.len as usize);
        for id in blob_ref.chunks() {
            self.append_chunk(id, &mut out)?;
        }
        Ok(out)
    }

    /// The layout of blob `blob` of stored group `group`.
    pub fn blob_ref(&self, group: GroupId, blob: usize) -> Result<BlobRef, FormatError> {
        self.manifest
            .stored_group(group)
            .and_then(|g| g.blobs.get(blob))
            .copied()
            .ok_or(FormatError::NoSuchBlob {
                group: group.as_u32(),
                blob,
            })
    }

    /// Reads one chunk, verified.
    pub fn read_chunk(&mut self, id: ChunkId) -> Result<Vec<u8>, FormatError> {
        let mut out = Vec::new();
        self.append_chunk(id, &mut out)?;
        Ok(out)
    }

    /// Verifies every chunk. With [`open`](Self::open) this checks every byte of the file.
    pub fn verify(&mut self) -> Result<VerifyReport, FormatError> {
        let mut buffer = Vec::with_capacity(self.manifest.chunk_size as usize);
        let mut blob_bytes = 0u64;
        for index in 0..self.manifest.chunks.len() {
            buffer.clear();
            // `index` < chunks.len(), which `validate` bounds by u32 chunk ids.
            self.append_chunk(ChunkId::new(index as u32), &mut buffer)?;
            blob_bytes += buffer.len() as u64;
        }
        Ok(VerifyReport {
            root: self.root,
            file_len: self.file_len,
            chunks: self.manifest.chunks.len() as u64,
            blob_bytes,
        })
    }

    /// Checks that `bytes`, from elsewhere than the source (a store that keeps chunks
    /// apart from the frame, see [`super::FrameSource`]), are chunk `id`: its length and
    /// its hash.
    pub fn check_chunk(&self, id: ChunkId, bytes: &[u8]) -> Result<(), FormatError> {
        self.check_chunk_digest(id, bytes.len() as u64, ContentHash::of(bytes))
    }

    /// As [`Self::check_chunk`], for bytes the host hashed itself (`len` of them, whose
    /// blake3 is `hash`): a browser hashes chunks off its kernel's thread, and the
    /// comparison with the verified manifest stays here.
    pub fn check_chunk_digest(
        &self,
        id: ChunkId,
        len: u64,
        hash: ContentHash,
    ) -> Result<(), FormatError> {
        let chunk = self.chunk_ref(id)?;
        if len != u64::from(chunk.len) || hash != chunk.hash {
            return Err(FormatError::ChecksumMismatch(Region::Chunk(id)));
        }
        Ok(())
    }

    fn chunk_ref(&self, id: ChunkId) -> Result<ChunkRef, FormatError> {
        self.manifest
            .chunks
            .get(id.index())
            .copied()
            .ok_or(FormatError::BadLayout("a blob refers to a missing chunk"))
    }

    /// Appends chunk `id` to `out` if its bytes match its hash; on a mismatch `out` is
    /// left as it was.
    fn append_chunk(&mut self, id: ChunkId, out: &mut Vec<u8>) -> Result<(), FormatError> {
        let chunk = self.chunk_ref(id)?;
        let start = out.len();
        self.source.seek(SeekFrom::Start(chunk.offset))?;
        out.resize(start + chunk.len as usize, 0);
        if let Err(e) = self.source.read_exact(&mut out[start..]) {
            out.truncate(start);
            return Err(e.into());
        }
        if ContentHash::of(&out[start..]) != chunk.hash {
            out.truncate(start);
            return Err(FormatError::ChecksumMismatch(Region::Chunk(id)));
        }
        Ok(())
    }
}

/// Opens and fully verifies an in-memory checkpoint.
pub fn verify_bytes(bytes: &[u8]) -> Result<(Manifest, VerifyReport), FormatError> {
    let mut reader = CheckpointReader::open(Cursor::new(bytes))?;
    let report = reader.verify()?;
    let (_, manifest) = reader.into_parts();
    Ok((manifest, report))
}
