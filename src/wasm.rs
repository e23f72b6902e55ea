//! wasm-bindgen bindings: convert, call the core once, convert back.
//!
//! Every export takes plain JS values (strings, numbers, `Uint8Array`) and returns either a
//! plain value or a data-transfer object built by serde ([`to_js`]): structs become plain
//! objects with the core's serde (camelCase) field names, sets and sequences become arrays,
//! maps become plain objects, `None` becomes `undefined`. The TypeScript types of those objects
//! are hand-written in `js/src/types.ts` and copied into the generated `.d.ts`; exports
//! name them with `unchecked_return_type`. Errors are thrown as JS `Error`s
//! ([`into_js_error`]).
//!
//! The same `.wasm` is used by two glues: the ES module (`--target web`) for pages and
//! workers, and the classic-script glue (`--target no-modules`) that Pyodide evaluates
//! synchronously (see `scripts/build-wasm`).

use std::collections::BTreeSet;
use std::io::{Cursor, Read, Seek};

use serde::Serialize;
use wasm_bindgen::prelude::*;

use crate::analysis;
use crate::checkpoint::{
    self, CheckpointHead, CheckpointReader, CheckpointWriter, ContentHash, ContentHasher,
    FrameSource, Serializer, DEFAULT_CHUNK_SIZE,
};
use crate::history::{self, CellId, CellRecord, GroupId, GroupSpec, History};
use crate::ids::ChunkId;
use crate::optimize::{self, CostModel, PlanMode};

// The hand-written TypeScript types of every object the exports return.
#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &str = include_str!("../js/src/types.ts");

/// How data-transfer objects are built: plain objects and arrays (maps too), so Pyodide's
/// `to_py()` turns them into the same dicts and lists the PyO3 module returns. `None` stays
/// `undefined` (serde-wasm-bindgen's default), which `to_py()` turns into `None`; `null`
/// would become `pyodide.ffi.jsnull` instead.
const SERIALIZER: serde_wasm_bindgen::Serializer =
    serde_wasm_bindgen::Serializer::new().serialize_maps_as_objects(true);

/// Converts a data-transfer struct to a JS value with [`SERIALIZER`].
fn to_js<T: Serialize + ?Sized>(value: &T) -> Result<JsValue, JsError> {
    value.serialize(&SERIALIZER).map_err(into_js_error)
}

/// The one conversion of a core (or conversion) error into a thrown JS `Error`.
fn into_js_error(error: impl std::fmt::Display) -> JsError {
    JsError::new(&error.to_string())
}

/// The version of the core, e.g. `"0.1.0"`.
#[wasm_bindgen]
#[must_use]
pub fn version() -> String {
    crate::VERSION.to_owned()
}

/// The last names of calls that read files (`open`, `read_csv`, `load`...): a cell that
/// makes one needs files a checkpoint does not carry. The core lists such calls among a
/// cell's `maybeUnreproducibleCalls`; the host tells them from the others by these names.
#[wasm_bindgen(js_name = fileReaders)]
#[must_use]
pub fn file_readers() -> Vec<String> {
    analysis::FILE_READERS
        .iter()
        .map(|&name| name.to_owned())
        .collect()
}

/// Analyses one cell's source: the global names it reads, binds, deletes and imports, its
/// top-level definitions and calls. A cell that does not parse yields `parseError`; this
/// never throws on any input.
#[wasm_bindgen(unchecked_return_type = "CellAnalysis")]
pub fn analyze(code: &str) -> Result<JsValue, JsError> {
    to_js(&analysis::analyze(code))
}

/// The one conversion of a JS value into a data-transfer struct.
fn from_js<T: serde::de::DeserializeOwned>(value: JsValue) -> Result<T, JsError> {
    serde_wasm_bindgen::from_value(value).map_err(into_js_error)
}

/// The application history graph of one session: record cells, group the live namespace,
/// plan a checkpoint.
#[wasm_bindgen(js_name = History)]
#[derive(Default)]
pub struct JsHistory(History);

#[wasm_bindgen(js_class = History)]
impl JsHistory {
    /// An empty history.
    #[wasm_bindgen(constructor)]
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Decodes a history from its postcard bytes (as `toBytes` gives), checking its
    /// invariants.
    #[wasm_bindgen(js_name = fromBytes)]
    pub fn from_bytes(bytes: &[u8]) -> Result<JsHistory, JsError> {
        History::from_postcard(bytes)
            .map(Self)
            .map_err(into_js_error)
    }

    /// Its postcard bytes.
    #[wasm_bindgen(js_name = toBytes)]
    pub fn to_bytes(&self) -> Result<Vec<u8>, JsError> {
        self.0.to_postcard().map_err(into_js_error)
    }

    /// Records one cell execution; returns its id.
    #[wasm_bindgen(js_name = recordCell)]
    pub fn record_cell(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "CellRecord")] record: JsValue,
    ) -> Result<u32, JsError> {
        let record: CellRecord = from_js(record)?;
        Ok(self.0.record_cell(&record).as_u32())
    }

    /// Records cell executions in order: one conversion for many, so a host can hand
    /// records over in batches.
    #[wasm_bindgen(js_name = recordCells)]
    pub fn record_cells(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "CellRecord[]")] records: JsValue,
    ) -> Result<(), JsError> {
        let records: Vec<CellRecord> = from_js(records)?;
        self.0.record_cells(&records);
        Ok(())
    }

    /// Replaces the co-variable grouping of the live namespace.
    #[wasm_bindgen(js_name = setGroups)]
    pub fn set_groups(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "GroupSpec[]")] specs: JsValue,
    ) -> Result<(), JsError> {
        let specs: Vec<GroupSpec> = from_js(specs)?;
        self.0.set_groups(&specs).map_err(into_js_error)
    }

    /// Plans a checkpoint of the grouped live namespace; `avoidRerun`: the cells an optimal
    /// plan re-runs only for values it cannot store (`optimize::plan_avoiding`).
    #[wasm_bindgen(unchecked_return_type = "Plan")]
    pub fn plan(
        &self,
        #[wasm_bindgen(unchecked_param_type = "PlanMode")] mode: JsValue,
        #[wasm_bindgen(unchecked_param_type = "CostModel | undefined")] model: JsValue,
        #[wasm_bindgen(unchecked_param_type = "number[] | undefined")] avoid_rerun: JsValue,
    ) -> Result<JsValue, JsError> {
        let mode: PlanMode = from_js(mode)?;
        let model: CostModel = if model.is_undefined() || model.is_null() {
            CostModel::default()
        } else {
            from_js(model)?
        };
        let avoid: BTreeSet<CellId> = if avoid_rerun.is_undefined() || avoid_rerun.is_null() {
            BTreeSet::new()
        } else {
            from_js(avoid_rerun)?
        };
        to_js(&optimize::plan_avoiding(&self.0, &model, mode, &avoid).map_err(into_js_error)?)
    }

    /// The recorded cells' code, by cell id (the index).
    #[wasm_bindgen(js_name = cellCodes)]
    #[must_use]
    pub fn cell_codes(&self) -> Vec<String> {
        self.0
            .cells()
            .iter()
            .map(|cell| cell.code.clone())
            .collect()
    }

    /// Live variables no plan can restore (not serializable, made by no re-runnable cell),
    /// sorted: set the groups first.
    #[wasm_bindgen(js_name = unrestorableNames)]
    #[must_use]
    pub fn unrestorable_names(&self) -> Vec<String> {
        optimize::unrestorable(&self.0)
    }

    /// An independent copy (a checkpoint that leaves variables out records that there).
    #[wasm_bindgen(js_name = copy)]
    #[must_use]
    pub fn copy(&self) -> JsHistory {
        JsHistory(self.0.clone())
    }

    /// The live variable names, sorted.
    #[wasm_bindgen(js_name = liveNames)]
    #[must_use]
    pub fn live_names(&self) -> Vec<String> {
        self.0.live().map(|(name, _)| name.to_owned()).collect()
    }

    /// The number of recorded cells.
    #[wasm_bindgen(getter, js_name = cellCount)]
    #[must_use]
    pub fn cell_count(&self) -> usize {
        self.0.cells().len()
    }

    /// The graph as Mermaid text.
    #[wasm_bindgen(js_name = toMermaid)]
    #[must_use]
    pub fn to_mermaid(&self) -> String {
        history::to_mermaid(&self.0)
    }
}

/// Writes one checkpoint into memory; the bytes are drained with `takeBytes` while
/// writing, so the host can stream them to its storage. A writer for a content-addressed
/// store (`forStore`) keeps only the frame: the host keeps each chunk it passes to
/// `writeChunk` under the hash that returns.
#[wasm_bindgen(js_name = CheckpointWriter)]
pub struct JsCheckpointWriter(Option<CheckpointWriter<Vec<u8>>>);

#[wasm_bindgen(js_class = CheckpointWriter)]
impl JsCheckpointWriter {
    /// Starts a checkpoint with chunks of `chunkSize` bytes (default 8 MiB).
    #[wasm_bindgen(constructor)]
    pub fn new(chunk_size: Option<u32>) -> Result<JsCheckpointWriter, JsError> {
        CheckpointWriter::with_chunk_size(Vec::new(), chunk_size.unwrap_or(DEFAULT_CHUNK_SIZE))
            .map(|w| Self(Some(w)))
            .map_err(into_js_error)
    }

    /// Starts a checkpoint for a content-addressed store: chunks of `chunkSize` bytes
    /// (default 8 MiB) come whole through `writeChunk`, and only the frame is kept.
    #[wasm_bindgen(js_name = forStore)]
    pub fn for_store(chunk_size: Option<u32>) -> Result<JsCheckpointWriter, JsError> {
        CheckpointWriter::for_store(Vec::new(), chunk_size.unwrap_or(DEFAULT_CHUNK_SIZE))
            .map(|w| Self(Some(w)))
            .map_err(into_js_error)
    }

    /// The chunk size: where the host cuts blobs for `writeChunk`.
    #[wasm_bindgen(getter, js_name = chunkSize)]
    pub fn chunk_size(&mut self) -> Result<u32, JsError> {
        Ok(self.writer()?.chunk_size())
    }

    fn writer(&mut self) -> Result<&mut CheckpointWriter<Vec<u8>>, JsError> {
        self.0
            .as_mut()
            .ok_or_else(|| JsError::new("the checkpoint writer is already finished"))
    }

    /// Starts the blobs of one stored group (in the plan's store order).
    #[wasm_bindgen(js_name = beginGroup)]
    pub fn begin_group(
        &mut self,
        group: u32,
        #[wasm_bindgen(unchecked_param_type = "Serializer")] serializer: JsValue,
    ) -> Result<(), JsError> {
        let serializer: Serializer = from_js(serializer)?;
        self.writer()?
            .begin_group(GroupId::new(group), serializer)
            .map_err(into_js_error)
    }

    /// Writes one whole blob of the open group.
    #[wasm_bindgen(js_name = writeBlob)]
    pub fn write_blob(&mut self, bytes: &[u8]) -> Result<(), JsError> {
        self.writer()?.write_blob(bytes).map_err(into_js_error)
    }

    /// Starts a blob whose bytes follow in pieces through `write`.
    #[wasm_bindgen(js_name = beginBlob)]
    pub fn begin_blob(&mut self) -> Result<(), JsError> {
        self.writer()?.begin_blob().map_err(into_js_error)
    }

    /// Appends bytes to the open blob.
    pub fn write(&mut self, bytes: &[u8]) -> Result<(), JsError> {
        self.writer()?.write(bytes).map_err(into_js_error)
    }

    /// Appends one whole chunk to the open blob (the chunk size, or less as the blob's
    /// last); returns its hash (hex).
    #[wasm_bindgen(js_name = writeChunk)]
    pub fn write_chunk(&mut self, bytes: &[u8]) -> Result<String, JsError> {
        let chunk = self.writer()?.write_chunk(bytes).map_err(into_js_error)?;
        Ok(chunk.hash.to_hex())
    }

    /// Ends the open blob.
    #[wasm_bindgen(js_name = endBlob)]
    pub fn end_blob(&mut self) -> Result<(), JsError> {
        self.writer()?.end_blob().map_err(into_js_error)
    }

    /// Ends the open group.
    #[wasm_bindgen(js_name = endGroup)]
    pub fn end_group(&mut self) -> Result<(), JsError> {
        self.writer()?.end_group().map_err(into_js_error)
    }

    /// The bytes written since the last call; together, in order, they are the file.
    #[wasm_bindgen(js_name = takeBytes)]
    pub fn take_bytes(&mut self) -> Result<js_sys::Uint8Array, JsError> {
        let sink = self.writer()?.sink_mut();
        let bytes = js_sys::Uint8Array::from(&sink[..]);
        // Keep the buffer's capacity: the next chunk reuses it instead of regrowing.
        sink.clear();
        Ok(bytes)
    }

    /// Writes the manifest and trailer; returns the remaining bytes (for a store's writer:
    /// the whole frame), the root hash and the store layout. The writer cannot be used
    /// afterwards.
    #[wasm_bindgen(unchecked_return_type = "FinishedCheckpoint")]
    pub fn finish(
        &mut self,
        history: &JsHistory,
        #[wasm_bindgen(unchecked_param_type = "CheckpointHead")] head: JsValue,
    ) -> Result<JsValue, JsError> {
        let head: CheckpointHead = from_js(head)?;
        let writer = self
            .0
            .take()
            .ok_or_else(|| JsError::new("the checkpoint writer is already finished"))?;
        let head = head.into_head(history.0.clone());
        let finished = writer.finish(head).map_err(into_js_error)?;
        let (bytes, root) = (&finished.sink, finished.root);
        let out = js_sys::Object::new();
        js_sys::Reflect::set(&out, &"bytes".into(), &js_sys::Uint8Array::from(&bytes[..]))
            .map_err(|_| JsError::new("cannot build the result object"))?;
        js_sys::Reflect::set(&out, &"root".into(), &root.to_hex().into())
            .map_err(|_| JsError::new("cannot build the result object"))?;
        js_sys::Reflect::set(&out, &"layout".into(), &to_js(&finished.store_layout())?)
            .map_err(|_| JsError::new("cannot build the result object"))?;
        Ok(out.into())
    }
}

/// What a wasm reader reads: a whole file in memory, or a store's frame.
trait Source: Read + Seek {}
impl<T: Read + Seek> Source for T {}

/// An open checkpoint held in memory; its header, trailer and manifest are verified, and
/// every chunk is verified before a byte of it is returned. Opened from a store's frame
/// (`fromFrame`), it holds no chunks: the host reads them from the store and checks each
/// with `checkChunk`.
#[wasm_bindgen(js_name = CheckpointReader)]
pub struct JsCheckpointReader(CheckpointReader<Box<dyn Source>>);

#[wasm_bindgen(js_class = CheckpointReader)]
impl JsCheckpointReader {
    /// Opens a checkpoint from its bytes (copied into the module).
    #[wasm_bindgen(constructor)]
    pub fn new(bytes: Vec<u8>) -> Result<JsCheckpointReader, JsError> {
        Self::open(Box::new(Cursor::new(bytes)))
    }

    /// Opens a checkpoint from its frame, as a store keeps it: `head` (its first 16
    /// bytes) and `tail` (its bytes from the manifest on).
    #[wasm_bindgen(js_name = fromFrame)]
    pub fn from_frame(head: Vec<u8>, tail: Vec<u8>) -> Result<JsCheckpointReader, JsError> {
        Self::open(Box::new(FrameSource::new(head, tail)))
    }

    fn open(source: Box<dyn Source>) -> Result<JsCheckpointReader, JsError> {
        CheckpointReader::open(source)
            .map(Self)
            .map_err(into_js_error)
    }

    /// Throws unless `bytes` are chunk `index` (its length and hash).
    #[wasm_bindgen(js_name = checkChunk)]
    pub fn check_chunk(&self, index: u32, bytes: &[u8]) -> Result<(), JsError> {
        self.0
            .check_chunk(ChunkId::new(index), bytes)
            .map_err(into_js_error)
    }

    /// Throws unless `len` bytes whose blake3 is `digest` (32 bytes, hashed elsewhere:
    /// a worker) are chunk `index`.
    #[wasm_bindgen(js_name = checkChunkDigest)]
    pub fn check_chunk_digest(&self, index: u32, len: u32, digest: &[u8]) -> Result<(), JsError> {
        let hash = <[u8; 32]>::try_from(digest)
            .map_err(|_| JsError::new("a chunk's digest is 32 bytes"))?;
        self.0
            .check_chunk_digest(ChunkId::new(index), u64::from(len), ContentHash(hash))
            .map_err(into_js_error)
    }

    /// Where blob `index` of stored group `group` lies: its length and its chunks.
    #[wasm_bindgen(js_name = blobRef, unchecked_return_type = "BlobRef")]
    pub fn blob_ref(&self, group: u32, index: usize) -> Result<JsValue, JsError> {
        to_js(
            &self
                .0
                .blob_ref(GroupId::new(group), index)
                .map_err(into_js_error)?,
        )
    }

    /// What `inspect` shows.
    #[wasm_bindgen(unchecked_return_type = "CheckpointSummary")]
    pub fn summary(&self) -> Result<JsValue, JsError> {
        to_js(&self.0.manifest().summary())
    }

    /// The restore, step by step, with code and names.
    #[wasm_bindgen(js_name = restoreSteps, unchecked_return_type = "RestoreStep[]")]
    pub fn restore_steps(&self) -> Result<JsValue, JsError> {
        to_js(&self.0.manifest().restore_steps())
    }

    /// The restore steps when the stored groups `failed` cannot be loaded: those are
    /// recomputed from the history instead.
    #[wasm_bindgen(js_name = fallbackSteps, unchecked_return_type = "RestoreStep[]")]
    pub fn fallback_steps(&self, failed: Vec<u32>) -> Result<JsValue, JsError> {
        let failed: Vec<GroupId> = failed.into_iter().map(GroupId::new).collect();
        let steps = self
            .0
            .manifest()
            .fallback_steps(&failed)
            .map_err(into_js_error)?;
        to_js(&steps)
    }

    /// Blob `index` of stored group `group`, verified.
    #[wasm_bindgen(js_name = readBlob)]
    pub fn read_blob(&mut self, group: u32, index: usize) -> Result<Vec<u8>, JsError> {
        self.0
            .read_blob(GroupId::new(group), index)
            .map_err(into_js_error)
    }

    /// Verifies every chunk.
    #[wasm_bindgen(unchecked_return_type = "VerifyReport")]
    pub fn verify(&mut self) -> Result<JsValue, JsError> {
        to_js(&self.0.verify().map_err(into_js_error)?)
    }

    /// The root hash (hex): the checkpoint's identity.
    #[wasm_bindgen(getter)]
    #[must_use]
    pub fn root(&self) -> String {
        self.0.root().to_hex()
    }

    /// Where its parts lie in the file, for a content-addressed store.
    #[wasm_bindgen(js_name = storeLayout, unchecked_return_type = "StoreLayout")]
    pub fn store_layout(&self) -> Result<JsValue, JsError> {
        to_js(&self.0.store_layout())
    }

    /// The session's history, to continue recording after a restore.
    #[must_use]
    pub fn history(&self) -> JsHistory {
        JsHistory(self.0.manifest().head.history.clone())
    }
}

/// Fully verifies a checkpoint's bytes; throws what is wrong.
#[wasm_bindgen(js_name = verifyCheckpoint, unchecked_return_type = "VerifyReport")]
pub fn verify_checkpoint(bytes: &[u8]) -> Result<JsValue, JsError> {
    let (_, report) = checkpoint::verify_bytes(bytes).map_err(into_js_error)?;
    to_js(&report)
}

/// An incremental blake3 hash, for fingerprinting values (mutation detection).
#[wasm_bindgen(js_name = Hasher)]
#[derive(Default)]
pub struct JsHasher(ContentHasher);

#[wasm_bindgen(js_class = Hasher)]
impl JsHasher {
    /// A hasher with nothing fed yet.
    #[wasm_bindgen(constructor)]
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds bytes.
    pub fn update(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    /// The 32-byte digest of everything fed.
    #[must_use]
    pub fn digest(&self) -> Vec<u8> {
        self.0.finish().0.to_vec()
    }
}
