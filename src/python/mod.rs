//! PyO3 bindings (`elastic_notebook._core`): convert, call the core once, convert back.
//!
//! Every function takes plain Python values (`str`, `int`, `bytes`) and returns either a
//! plain value or a data-transfer object converted by [`to_py`]: the core's serde shape
//! (camelCase keys, sets and sequences as lists, `None` as `None`) as `dict`s and `list`s,
//! exactly what Pyodide's `to_py()` gives for the wasm module's objects. The facade
//! (`elastic_notebook.core`) turns those dicts into typed dataclasses for both hosts.
//! Errors raise `ValueError` ([`into_py_err`]). Calls into the core release the GIL.

// PyO3 extracts arguments (paths, buffers) by value: the lint's advice cannot apply.
#![allow(clippy::needless_pass_by_value)]

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use serde::de::DeserializeOwned;
use serde::Serialize;

/// Converts a data-transfer struct to Python `dict`/`list`/scalars through serde
/// (pythonize): one schema for both hosts (the serde one, as the wasm module gives to
/// Pyodide), no hand-written field lists to drift.
fn to_py<'py, T: Serialize + ?Sized>(py: Python<'py>, value: &T) -> PyResult<Bound<'py, PyAny>> {
    pythonize::pythonize(py, value).map_err(into_py_err)
}

/// Converts a Python `dict`/`list` into a data-transfer struct through serde.
fn from_py<T: DeserializeOwned>(value: &Bound<'_, PyAny>) -> PyResult<T> {
    pythonize::depythonize(value).map_err(into_py_err)
}

/// The one conversion of a core (or conversion) error into a raised Python exception.
fn into_py_err(error: impl std::fmt::Display) -> PyErr {
    PyValueError::new_err(error.to_string())
}

/// Native core of elastic-notebook: cell analysis, history graph, planner, `.ckpt` format.
///
/// Private: use `elastic_notebook.core`, which returns typed objects.
mod borrowed;
mod classes;
mod namespace;
mod reach;

#[pymodule(name = "_core")]
mod core_module {
    use pyo3::prelude::*;

    use std::path::PathBuf;

    use super::{into_py_err, to_py};
    use crate::analysis;
    use crate::checkpoint::{open_file, verify_file};

    #[pymodule_export]
    use super::classes::{CheckpointReader, CheckpointWriter, Hasher, History};
    #[pymodule_export]
    use super::namespace::namespace_changes;
    #[pymodule_export]
    use super::reach::{IdSet, ObjectWalk};

    /// The version of the core, e.g. `"0.1.0"`.
    #[pyfunction]
    fn version() -> &'static str {
        crate::VERSION
    }

    /// The last names of calls that read files (`open`, `read_csv`, `load`...): the core
    /// lists such calls among a cell's `maybeUnreproducibleCalls`, the host tells them
    /// from the others by these names.
    #[pyfunction]
    fn file_readers() -> Vec<&'static str> {
        analysis::FILE_READERS.to_vec()
    }

    /// Analyses one cell's source; returns the analysis as a dict with camelCase keys.
    ///
    /// Never raises for any source: a cell that does not parse has `parseError` set.
    #[pyfunction]
    fn analyze<'py>(py: Python<'py>, code: &str) -> PyResult<Bound<'py, PyAny>> {
        let analysis = py.detach(|| analysis::analyze(code));
        to_py(py, &analysis)
    }

    /// Fully verifies a checkpoint file; returns the report dict, raises `ValueError`
    /// naming what is wrong.
    #[pyfunction]
    fn verify_checkpoint(py: Python<'_>, path: PathBuf) -> PyResult<Bound<'_, PyAny>> {
        let report = py.detach(|| verify_file(&path)).map_err(into_py_err)?;
        to_py(py, &report)
    }

    /// What `elastic-notebook inspect` shows, as a dict; raises `ValueError` if the file
    /// is not an intact checkpoint.
    #[pyfunction]
    fn inspect_checkpoint(py: Python<'_>, path: PathBuf) -> PyResult<Bound<'_, PyAny>> {
        let summary = py
            .detach(|| {
                let mut reader = open_file(&path)?;
                reader.verify()?;
                Ok::<_, crate::checkpoint::FormatError>(reader.manifest().summary())
            })
            .map_err(into_py_err)?;
        to_py(py, &summary)
    }
}
