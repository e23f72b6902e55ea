//! A checkpoint as a content-addressed store keeps it: its *frame* (the header, and the
//! file from the manifest on) apart from its chunks, which the store keeps under their
//! hashes. [`FrameSource`] lets [`super::CheckpointReader`] open a frame as it opens a
//! file, checking the header, trailer, root hash and manifest; the chunks, fetched from
//! the store, are checked one by one with [`super::CheckpointReader::check_chunk`].

use std::io::{self, Read, Seek, SeekFrom};

use super::layout::{HEADER_LEN, TRAILER_LEN};

/// A frame read as the file it comes from: the header at `[0, 16)`, the rest of the
/// frame at `[M, M + tail.len())`, where `M` is the manifest offset its trailer names.
/// The chunks in between are not there: reading them fails.
#[derive(Debug)]
pub struct FrameSource {
    head: Vec<u8>,
    tail: Vec<u8>,
    /// Where the tail lies in the file: the trailer's manifest offset.
    tail_offset: u64,
    position: u64,
}

impl FrameSource {
    /// The frame of `head` (the file's first 16 bytes) and `tail` (its bytes from the
    /// manifest on). Nothing is checked here: the reader checks what it reads, and a
    /// tail too short for a trailer reads as a file cut short.
    #[must_use]
    pub fn new(head: Vec<u8>, tail: Vec<u8>) -> Self {
        let trailer_start = tail.len().checked_sub(TRAILER_LEN as usize);
        let manifest_offset = trailer_start
            .and_then(|at| tail.get(at..at + 8))
            .and_then(|bytes| bytes.try_into().ok())
            .map(u64::from_le_bytes);
        // A damaged trailer's offset may point anywhere: the reader rejects it, as long
        // as the tail never overlaps the head.
        let tail_offset = manifest_offset.unwrap_or(HEADER_LEN).max(head.len() as u64);
        Self {
            head,
            tail,
            tail_offset,
            position: 0,
        }
    }

    fn len(&self) -> u64 {
        self.tail_offset.saturating_add(self.tail.len() as u64)
    }
}

impl Read for FrameSource {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let at = self.position;
        let (source, start) = if at < self.head.len() as u64 {
            (&self.head, at)
        } else if at >= self.tail_offset && at < self.len() {
            (&self.tail, at - self.tail_offset)
        } else if at >= self.len() {
            return Ok(0);
        } else {
            return Err(io::Error::other(
                "chunk bytes are kept apart from a checkpoint's frame",
            ));
        };
        // `start` < source.len(), a usize.
        let available = &source[start as usize..];
        let count = available.len().min(out.len());
        out[..count].copy_from_slice(&available[..count]);
        self.position += count as u64;
        Ok(count)
    }
}

impl Seek for FrameSource {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let position = match to {
            SeekFrom::Start(at) => Some(at),
            SeekFrom::End(delta) => self.len().checked_add_signed(delta),
            SeekFrom::Current(delta) => self.position.checked_add_signed(delta),
        };
        self.position = position.ok_or_else(|| {
            io::Error::new(io::ErrorKind::InvalidInput, "seek before the frame's start")
        })?;
        Ok(self.position)
    }
}
