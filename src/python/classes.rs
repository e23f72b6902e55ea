//! The core's stateful objects as Python classes: a history, a checkpoint file being
//! written, a checkpoint file being read. Thin like the functions: convert, call, convert.

use std::collections::BTreeSet;
use std::fs::File;
use std::io::{BufReader, BufWriter};
use std::path::PathBuf;

use pyo3::buffer::PyBuffer;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes};

use super::{from_py, into_py_err, to_py};
use crate::checkpoint::{
    self, open_file, AtomicCheckpointFile, CheckpointHead, ContentHasher, Serializer,
    DEFAULT_CHUNK_SIZE,
};
use crate::history::{self, CellId, CellRecord, GroupId, GroupSpec};
use crate::optimize::{self, CostModel, PlanMode};

/// The application history graph of one session.
#[pyclass(module = "elastic_notebook._core")]
#[derive(Default)]
pub struct History(history::History);

#[pymethods]
impl History {
    /// An empty history.
    #[new]
    fn new() -> Self {
        Self::default()
    }

    /// Decodes a history from its postcard bytes, checking its invariants.
    #[staticmethod]
    fn from_bytes(data: &[u8]) -> PyResult<Self> {
        history::History::from_postcard(data)
            .map(Self)
            .map_err(into_py_err)
    }

    /// Its postcard bytes.
    fn to_bytes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let bytes = self.0.to_postcard().map_err(into_py_err)?;
        Ok(PyBytes::new(py, &bytes))
    }

    /// Records one cell execution (a `CellRecord` dict); returns its id.
    fn record_cell(&mut self, record: &Bound<'_, PyAny>) -> PyResult<u32> {
        let record: CellRecord = from_py(record)?;
        Ok(self.0.record_cell(&record).as_u32())
    }

    /// Records cell executions in order (a list of `CellRecord` dicts): one conversion
    /// for many, so a host can hand records over in batches.
    fn record_cells(&mut self, records: &Bound<'_, PyAny>) -> PyResult<()> {
        let records: Vec<CellRecord> = from_py(records)?;
        self.0.record_cells(&records);
        Ok(())
    }

    /// Replaces the co-variable grouping of the live namespace (a list of `GroupSpec`).
    fn set_groups(&mut self, specs: &Bound<'_, PyAny>) -> PyResult<()> {
        let specs: Vec<GroupSpec> = from_py(specs)?;
        self.0.set_groups(&specs).map_err(into_py_err)
    }

    /// Plans a checkpoint: `mode` is "optimal", "storeAll" or "recomputeAll"; `model` a
    /// `CostModel` dict or `None` for the default; `avoid_rerun` the cells an optimal plan
    /// re-runs only for values it cannot store (`optimize::plan_avoiding`).
    #[pyo3(signature = (mode, model=None, avoid_rerun=None))]
    fn plan<'py>(
        &self,
        py: Python<'py>,
        mode: &Bound<'py, PyAny>,
        model: Option<&Bound<'py, PyAny>>,
        avoid_rerun: Option<Vec<u32>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let mode: PlanMode = from_py(mode)?;
        let model: CostModel = model.map(from_py).transpose()?.unwrap_or_default();
        let avoid: BTreeSet<CellId> = avoid_rerun
            .unwrap_or_default()
            .into_iter()
            .map(CellId::new)
            .collect();
        let plan = py
            .detach(|| optimize::plan_avoiding(&self.0, &model, mode, &avoid))
            .map_err(into_py_err)?;
        to_py(py, &plan)
    }

    /// The recorded cells' code, by cell id (the index).
    fn cell_codes(&self) -> Vec<String> {
        self.0
            .cells()
            .iter()
            .map(|cell| cell.code.clone())
            .collect()
    }

    /// Live variables no plan can restore (not serializable, made by no re-runnable cell),
    /// sorted: set the groups first.
    fn unrestorable_names(&self) -> Vec<String> {
        optimize::unrestorable(&self.0)
    }

    /// An independent copy (a checkpoint that leaves variables out records that there).
    fn copy(&self) -> Self {
        Self(self.0.clone())
    }

    /// The live variable names, sorted.
    fn live_names(&self) -> Vec<String> {
        self.0.live().map(|(name, _)| name.to_owned()).collect()
    }

    /// The number of recorded cells.
    #[getter]
    fn cell_count(&self) -> usize {
        self.0.cells().len()
    }

    /// The graph as Mermaid text.
    fn to_mermaid(&self) -> String {
        history::to_mermaid(&self.0)
    }
}

/// A checkpoint file being written atomically: a temp file beside `path`, synced and
/// verified by `finish` before it replaces `path`. `abort` (or garbage collection)
/// removes the temp file and leaves any previous file untouched.
#[pyclass(module = "elastic_notebook._core")]
pub struct CheckpointWriter(Option<AtomicCheckpointFile>);

impl CheckpointWriter {
    fn file(&mut self) -> PyResult<&mut AtomicCheckpointFile> {
        self.0
            .as_mut()
            .ok_or_else(|| PyValueError::new_err("the checkpoint writer is finished or aborted"))
    }

    fn writer(&mut self) -> PyResult<&mut checkpoint::CheckpointWriter<BufWriter<File>>> {
        Ok(self.file()?.writer())
    }
}

#[pymethods]
impl CheckpointWriter {
    /// Starts a checkpoint that will replace `path`, with chunks of `chunk_size` bytes.
    #[new]
    #[pyo3(signature = (path, chunk_size=None))]
    fn new(path: PathBuf, chunk_size: Option<u32>) -> PyResult<Self> {
        AtomicCheckpointFile::create(&path, chunk_size.unwrap_or(DEFAULT_CHUNK_SIZE))
            .map(|file| Self(Some(file)))
            .map_err(into_py_err)
    }

    /// Starts the blobs of one stored group; `serializer` is "pickle" or "cloudPickle".
    fn begin_group(&mut self, group: u32, serializer: &Bound<'_, PyAny>) -> PyResult<()> {
        let serializer: Serializer = from_py(serializer)?;
        self.writer()?
            .begin_group(GroupId::new(group), serializer)
            .map_err(into_py_err)
    }

    /// Starts a blob whose bytes follow through `write`.
    fn begin_blob(&mut self) -> PyResult<()> {
        self.writer()?.begin_blob().map_err(into_py_err)
    }

    /// Appends a bytes-like object (bytes, memoryview, `PickleBuffer.raw()`) to the open
    /// blob. It is copied once; callers bound memory by passing slices of large buffers.
    fn write(&mut self, py: Python<'_>, data: PyBuffer<u8>) -> PyResult<()> {
        let bytes = data.to_vec(py)?;
        let writer = self.writer()?;
        py.detach(|| writer.write(&bytes)).map_err(into_py_err)
    }

    /// Ends the open blob.
    fn end_blob(&mut self) -> PyResult<()> {
        self.writer()?.end_blob().map_err(into_py_err)
    }

    /// Ends the open group.
    fn end_group(&mut self) -> PyResult<()> {
        self.writer()?.end_group().map_err(into_py_err)
    }

    /// Writes the manifest (`head`: a `CheckpointHead` dict with the plan) for `history`,
    /// syncs, verifies and renames the file into place; returns the verify report dict.
    fn finish<'py>(
        &mut self,
        py: Python<'py>,
        history: &History,
        head: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let head: CheckpointHead = from_py(head)?;
        let file = self
            .0
            .take()
            .ok_or_else(|| PyValueError::new_err("the checkpoint writer is finished or aborted"))?;
        let head = head.into_head(history.0.clone());
        let (_, report) = py.detach(|| file.commit(head)).map_err(into_py_err)?;
        to_py(py, &report)
    }

    /// Gives up: removes the temp file; the previous checkpoint at the path is untouched.
    fn abort(&mut self) {
        self.0 = None;
    }
}

/// An open checkpoint file: header, trailer and manifest verified on open, every chunk
/// verified before a byte of it is returned.
#[pyclass(module = "elastic_notebook._core")]
pub struct CheckpointReader(checkpoint::CheckpointReader<BufReader<File>>);

#[pymethods]
impl CheckpointReader {
    /// Opens `path`.
    #[new]
    fn new(py: Python<'_>, path: PathBuf) -> PyResult<Self> {
        py.detach(|| open_file(&path))
            .map(Self)
            .map_err(into_py_err)
    }

    /// What `inspect` shows, as a dict.
    fn summary<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.0.manifest().summary())
    }

    /// The restore, step by step, with code and names (a list of `RestoreStep` dicts).
    fn restore_steps<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.0.manifest().restore_steps())
    }

    /// The restore steps when the stored groups `failed` cannot be loaded: those are
    /// recomputed from the history instead (a list of `RestoreStep` dicts).
    fn fallback_steps<'py>(
        &self,
        py: Python<'py>,
        failed: Vec<u32>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let failed: Vec<GroupId> = failed.into_iter().map(GroupId::new).collect();
        let steps = self
            .0
            .manifest()
            .fallback_steps(&failed)
            .map_err(into_py_err)?;
        to_py(py, &steps)
    }

    /// Blob `index` of stored group `group`, verified, as a new `bytearray`: writable, so
    /// arrays unpickled over it as out-of-band buffers are writable too.
    fn read_blob<'py>(
        &mut self,
        py: Python<'py>,
        group: u32,
        index: usize,
    ) -> PyResult<Bound<'py, PyByteArray>> {
        let reader = &mut self.0;
        let bytes = py
            .detach(|| reader.read_blob(GroupId::new(group), index))
            .map_err(into_py_err)?;
        Ok(PyByteArray::new(py, &bytes))
    }

    /// Verifies every chunk; returns the report dict.
    fn verify<'py>(&mut self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let reader = &mut self.0;
        let report = py.detach(|| reader.verify()).map_err(into_py_err)?;
        to_py(py, &report)
    }

    /// The root hash (hex): the checkpoint's identity.
    #[getter]
    fn root(&self) -> String {
        self.0.root().to_hex()
    }

    /// Where its parts lie in the file, for a content-addressed store (a `StoreLayout`
    /// dict).
    fn store_layout<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.0.store_layout())
    }

    /// The session's history, to continue recording after a restore.
    fn history(&self) -> History {
        History(self.0.manifest().head.history.clone())
    }
}

/// An incremental blake3 hash, for fingerprinting values (mutation detection).
///
/// `update` copies each piece once (safe code cannot view Python memory as bytes) and
/// hashes it without the GIL; callers bound the copy by feeding slices of large buffers.
#[pyclass(module = "elastic_notebook._core")]
#[derive(Default)]
pub struct Hasher(ContentHasher);

#[pymethods]
impl Hasher {
    /// A hasher with nothing fed yet.
    #[new]
    fn new() -> Self {
        Self::default()
    }

    /// Feeds a bytes-like object (bytes, bytearray, a C-contiguous memoryview).
    fn update(&mut self, py: Python<'_>, data: PyBuffer<u8>) -> PyResult<()> {
        let bytes = data.to_vec(py)?;
        let hasher = &mut self.0;
        py.detach(|| {
            hasher.update(&bytes);
        });
        Ok(())
    }

    /// The 32-byte digest of everything fed.
    fn digest<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.0.finish().0)
    }
}
