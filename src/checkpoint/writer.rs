//! The streaming writer: blob bytes go to the sink as they come, only hashes are kept.

use std::io::Write;

use super::error::WriteError;
use super::hash::ContentHash;
use super::layout::{
    encode_header, root_hash, Trailer, DEFAULT_CHUNK_SIZE, HEADER_LEN, MAX_CHUNK_SIZE,
};
use super::manifest::{BlobRef, ChunkRef, Manifest, ManifestHead, Serializer, StoredGroup};
use crate::ids::{ChunkId, GroupId};

/// Writes one checkpoint to `W`: [`begin_group`](Self::begin_group), one or more blobs,
/// [`end_group`](Self::end_group) per stored group in plan order, then
/// [`finish`](Self::finish) with the head.
///
/// Memory stays bounded by the manifest: blob bytes are hashed and written through.
/// A writer dropped before `finish` leaves an incomplete file without a trailer, which
/// every reader rejects ([`super::FormatError::MissingTrailer`]).
#[derive(Debug)]
pub struct CheckpointWriter<W: Write> {
    sink: W,
    header: [u8; HEADER_LEN as usize],
    /// Bytes written so far: the offset of the next byte.
    offset: u64,
    chunk_size: u32,
    chunks: Vec<ChunkRef>,
    groups: Vec<StoredGroup>,
    open_group: Option<StoredGroup>,
    open_blob: Option<OpenBlob>,
}

/// A blob being streamed, and its last, not yet full, chunk.
#[derive(Debug)]
struct OpenBlob {
    first_chunk: u32,
    len: u64,
    chunk: Option<OpenChunk>,
}

#[derive(Debug)]
struct OpenChunk {
    offset: u64,
    len: u32,
    hasher: blake3::Hasher,
}

impl<W: Write> CheckpointWriter<W> {
    /// Starts a checkpoint with the default chunk size, writing the header.
    pub fn new(sink: W) -> Result<Self, WriteError> {
        Self::with_chunk_size(sink, DEFAULT_CHUNK_SIZE)
    }

    /// Starts a checkpoint with chunks of at most `chunk_size` bytes (1 to 64 MiB).
    pub fn with_chunk_size(mut sink: W, chunk_size: u32) -> Result<Self, WriteError> {
        if chunk_size == 0 || chunk_size > MAX_CHUNK_SIZE {
            return Err(WriteError::Misuse(
                "chunk size must be between 1 byte and 64 MiB",
            ));
        }
        let header = encode_header();
        sink.write_all(&header)?;
        Ok(Self {
            sink,
            header,
            offset: HEADER_LEN,
            chunk_size,
            chunks: Vec::new(),
            groups: Vec::new(),
            open_group: None,
            open_blob: None,
        })
    }

    /// Starts the blobs of one stored group. Groups must come in the plan's store order.
    pub fn begin_group(
        &mut self,
        group: GroupId,
        serializer: Serializer,
    ) -> Result<(), WriteError> {
        if self.open_group.is_some() {
            return Err(WriteError::Misuse(
                "begin_group while another group is open",
            ));
        }
        self.open_group = Some(StoredGroup {
            group,
            serializer,
            blobs: Vec::new(),
        });
        Ok(())
    }

    /// Starts a blob of the open group; its bytes follow through [`write`](Self::write).
    pub fn begin_blob(&mut self) -> Result<(), WriteError> {
        if self.open_group.is_none() {
            return Err(WriteError::Misuse("begin_blob outside a group"));
        }
        if self.open_blob.is_some() {
            return Err(WriteError::Misuse("begin_blob while another blob is open"));
        }
        self.open_blob = Some(OpenBlob {
            first_chunk: chunk_index(self.chunks.len())?,
            len: 0,
            chunk: None,
        });
        Ok(())
    }

    /// Appends bytes to the open blob, cutting chunks at the chunk size.
    pub fn write(&mut self, mut bytes: &[u8]) -> Result<(), WriteError> {
        let chunk_size = self.chunk_size;
        while !bytes.is_empty() {
            let offset = self.offset;
            let blob = self
                .open_blob
                .as_mut()
                .ok_or(WriteError::Misuse("write outside a blob"))?;
            let chunk = blob.chunk.get_or_insert_with(|| OpenChunk {
                offset,
                len: 0,
                hasher: blake3::Hasher::new(),
            });
            let room = (chunk_size - chunk.len) as usize;
            let (now, rest) = bytes.split_at(room.min(bytes.len()));
            self.sink.write_all(now)?;
            chunk.hasher.update(now);
            // `now.len() <= room <= chunk_size`, which fits u32.
            chunk.len += now.len() as u32;
            blob.len += now.len() as u64;
            self.offset += now.len() as u64;
            bytes = rest;
            if chunk.len == chunk_size {
                self.close_chunk()?;
            }
        }
        Ok(())
    }

    /// Ends the open blob.
    pub fn end_blob(&mut self) -> Result<(), WriteError> {
        self.close_chunk()?;
        let blob = self
            .open_blob
            .take()
            .ok_or(WriteError::Misuse("end_blob without an open blob"))?;
        let chunk_count = chunk_index(self.chunks.len())? - blob.first_chunk;
        let group = self
            .open_group
            .as_mut()
            .ok_or(WriteError::Misuse("end_blob outside a group"))?;
        group.blobs.push(BlobRef {
            len: blob.len,
            first_chunk: ChunkId::new(blob.first_chunk),
            chunk_count,
        });
        Ok(())
    }

    /// Writes one whole blob: `begin_blob`, `write`, `end_blob`.
    pub fn write_blob(&mut self, bytes: &[u8]) -> Result<(), WriteError> {
        self.begin_blob()?;
        self.write(bytes)?;
        self.end_blob()
    }

    /// Ends the open group.
    pub fn end_group(&mut self) -> Result<(), WriteError> {
        if self.open_blob.is_some() {
            return Err(WriteError::Misuse("end_group while a blob is open"));
        }
        let group = self
            .open_group
            .take()
            .ok_or(WriteError::Misuse("end_group without an open group"))?;
        self.groups.push(group);
        Ok(())
    }

    /// Bytes written so far.
    #[must_use]
    pub fn bytes_written(&self) -> u64 {
        self.offset
    }

    /// The sink, e.g. to drain an in-memory buffer while streaming. Bytes already in it
    /// are part of the file; the writer only ever appends.
    pub fn sink_mut(&mut self) -> &mut W {
        &mut self.sink
    }

    /// Validates and writes the manifest and the trailer, flushes the sink and returns it
    /// with the manifest and the root hash.
    ///
    /// Fails without writing a trailer if a group or blob is still open, or if the stored
    /// groups are not exactly the plan's stored groups in order.
    pub fn finish(mut self, head: ManifestHead) -> Result<(W, Manifest, ContentHash), WriteError> {
        if self.open_group.is_some() || self.open_blob.is_some() {
            return Err(WriteError::Misuse("finish while a group or blob is open"));
        }
        let manifest = Manifest {
            head,
            groups: self.groups,
            chunk_size: self.chunk_size,
            chunks: self.chunks,
        };
        manifest.validate()?;
        let bytes = manifest
            .to_postcard()
            .map_err(|e| WriteError::Encode(e.to_string()))?;
        let mut trailer = Trailer {
            manifest_offset: self.offset,
            manifest_len: bytes.len() as u64,
            root: ContentHash([0; 32]),
        };
        trailer.root = root_hash(&self.header, &bytes, &trailer.offsets());
        self.sink.write_all(&bytes)?;
        self.sink.write_all(&trailer.encode())?;
        self.sink.flush()?;
        Ok((self.sink, manifest, trailer.root))
    }

    fn close_chunk(&mut self) -> Result<(), WriteError> {
        if let Some(chunk) = self.open_blob.as_mut().and_then(|b| b.chunk.take()) {
            chunk_index(self.chunks.len() + 1)?;
            self.chunks.push(ChunkRef {
                offset: chunk.offset,
                len: chunk.len,
                hash: chunk.hasher.finalize().into(),
            });
        }
        Ok(())
    }
}

fn chunk_index(len: usize) -> Result<u32, WriteError> {
    u32::try_from(len).map_err(|_| WriteError::TooManyChunks)
}
