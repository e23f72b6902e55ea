//! The streaming writer: blob bytes go to the sink as they come, only hashes are kept.

use std::io::Write;

use super::error::WriteError;
use super::hash::ContentHash;
use super::layout::{
    encode_header, root_hash, Trailer, DEFAULT_CHUNK_SIZE, HEADER_LEN, MAX_CHUNK_SIZE, TRAILER_LEN,
};
use super::manifest::{BlobRef, ChunkRef, Manifest, ManifestHead, Serializer, StoredGroup};
use super::reader::StoreLayout;
use crate::ids::{ChunkId, GroupId};

/// Writes one checkpoint to `W`: [`begin_group`](Self::begin_group), one or more blobs,
/// [`end_group`](Self::end_group) per stored group in plan order, then
/// [`finish`](Self::finish) with the head.
///
/// Memory stays bounded by the manifest: blob bytes are hashed and written through.
/// A writer dropped before `finish` leaves an incomplete file without a trailer, which
/// every reader rejects ([`super::FormatError::MissingTrailer`]).
///
/// A writer made by [`for_store`](Self::for_store) writes only the *frame* to its sink
/// (the header, then the manifest and trailer): chunks are hashed and laid out exactly as
/// in the file, but their bytes are the caller's to keep, under the hashes
/// [`write_chunk`](Self::write_chunk) returns (a content-addressed store).
#[derive(Debug)]
pub struct CheckpointWriter<W: Write> {
    sink: W,
    /// Whether chunk bytes go to the sink (a file) or stay with the caller (a store).
    chunks_to_sink: bool,
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
    /// A chunk shorter than the chunk size was closed: it must be the blob's last.
    ended_short: bool,
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
    pub fn with_chunk_size(sink: W, chunk_size: u32) -> Result<Self, WriteError> {
        Self::start(sink, chunk_size, true)
    }

    /// Starts a checkpoint for a content-addressed store: only the frame goes to `sink`,
    /// and blob bytes come a chunk at a time through [`write_chunk`](Self::write_chunk),
    /// which returns where each lies and its hash. The header, the chunks in order and
    /// the rest of the frame are byte for byte the file [`with_chunk_size`](Self::with_chunk_size)
    /// writes for the same calls.
    pub fn for_store(sink: W, chunk_size: u32) -> Result<Self, WriteError> {
        Self::start(sink, chunk_size, false)
    }

    fn start(mut sink: W, chunk_size: u32, chunks_to_sink: bool) -> Result<Self, WriteError> {
        if chunk_size == 0 || chunk_size > MAX_CHUNK_SIZE {
            return Err(WriteError::Misuse(
                "chunk size must be between 1 byte and 64 MiB",
            ));
        }
        let header = encode_header();
        sink.write_all(&header)?;
        Ok(Self {
            sink,
            chunks_to_sink,
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
            ended_short: false,
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
            if blob.ended_short {
                return Err(WriteError::Misuse("write after a blob's short last chunk"));
            }
            let chunk = blob.chunk.get_or_insert_with(|| OpenChunk {
                offset,
                len: 0,
                hasher: blake3::Hasher::new(),
            });
            let room = (chunk_size - chunk.len) as usize;
            let (now, rest) = bytes.split_at(room.min(bytes.len()));
            if self.chunks_to_sink {
                self.sink.write_all(now)?;
            }
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

    /// Appends one whole chunk to the open blob and returns where it lies and its hash.
    ///
    /// The blob's chunks so far must be whole (the caller cuts its bytes at the chunk
    /// size), and a chunk shorter than the chunk size must be the blob's last. The same
    /// bytes through [`write`](Self::write) give the same file.
    pub fn write_chunk(&mut self, bytes: &[u8]) -> Result<ChunkRef, WriteError> {
        if bytes.is_empty() || bytes.len() > self.chunk_size as usize {
            return Err(WriteError::Misuse(
                "write_chunk takes 1 byte to the chunk size",
            ));
        }
        let blob = self
            .open_blob
            .as_ref()
            .ok_or(WriteError::Misuse("write_chunk outside a blob"))?;
        if blob.chunk.is_some() {
            return Err(WriteError::Misuse(
                "write_chunk after a write that left a partial chunk",
            ));
        }
        self.write(bytes)?;
        // `write` closed the chunk if it was full; a short one is closed here, and it
        // ends the blob's chunks.
        if let Some(blob) = self.open_blob.as_mut() {
            blob.ended_short = blob.chunk.is_some();
        }
        self.close_chunk()?;
        self.chunks
            .last()
            .copied()
            .ok_or(WriteError::Misuse("write_chunk wrote no chunk"))
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

    /// The chunk size: blobs are cut into chunks of this many bytes.
    #[must_use]
    pub fn chunk_size(&self) -> u32 {
        self.chunk_size
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
    /// with the manifest, the root hash and the file's length.
    ///
    /// Fails without writing a trailer if a group or blob is still open, or if the stored
    /// groups are not exactly the plan's stored groups in order.
    pub fn finish(mut self, head: ManifestHead) -> Result<Finished<W>, WriteError> {
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
        Ok(Finished {
            sink: self.sink,
            manifest,
            root: trailer.root,
            file_len: self.offset + bytes.len() as u64 + TRAILER_LEN,
        })
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

/// A finished checkpoint: the sink it was written to, and what identifies it.
#[derive(Debug)]
pub struct Finished<W> {
    /// The sink, flushed: the whole file, or the frame for a store's writer.
    pub sink: W,
    /// The manifest written.
    pub manifest: Manifest,
    /// The root hash: the checkpoint's identity.
    pub root: ContentHash,
    /// The file's length (also for a store's writer, whose sink holds only the frame).
    pub file_len: u64,
}

impl<W> Finished<W> {
    /// Where its parts lie, for a content-addressed store.
    #[must_use]
    pub fn store_layout(&self) -> StoreLayout {
        StoreLayout::of(&self.manifest, self.root, self.file_len)
    }
}

fn chunk_index(len: usize) -> Result<u32, WriteError> {
    u32::try_from(len).map_err(|_| WriteError::TooManyChunks)
}
