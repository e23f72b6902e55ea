//! PyO3 bindings (`elastic_notebook._core`): convert, call the core once, convert back.
//!
//! Every function takes plain Python values (`str`, `int`, `bytes`) and returns either a
//! plain value or a data-transfer object converted by [`to_py`]: the core's serde shape
//! (camelCase keys, sets and sequences as lists, `None` as `None`) as `dict`s and `list`s,
//! exactly what Pyodide's `to_py()` gives for the wasm module's objects. The facade
//! (`elastic_notebook.core`) turns those dicts into typed dataclasses for both hosts.
//! Errors raise `ValueError` ([`into_py_err`]). Calls into the core release the GIL.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use serde::Serialize;

/// Converts a data-transfer struct to Python `dict`/`list`/scalars: serde to JSON, then
/// `json.loads`. One schema for both hosts (the serde one, as the wasm module gives to
/// Pyodide), no hand-written field lists to drift; a few microseconds per call.
fn to_py<'py, T: Serialize + ?Sized>(py: Python<'py>, value: &T) -> PyResult<Bound<'py, PyAny>> {
    static JSON_LOADS: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let json = serde_json::to_string(value).map_err(into_py_err)?;
    JSON_LOADS.import(py, "json", "loads")?.call1((json,))
}

/// The one conversion of a core (or conversion) error into a raised Python exception.
fn into_py_err(error: impl std::fmt::Display) -> PyErr {
    PyValueError::new_err(error.to_string())
}

/// Native core of elastic-notebook: cell analysis, history graph, planner, `.ckpt` format.
///
/// Private: use `elastic_notebook.core`, which returns typed objects.
#[pymodule(name = "_core")]
mod core_module {
    use pyo3::prelude::*;

    use super::to_py;
    use crate::analysis;

    /// The version of the core, e.g. `"0.1.0"`.
    #[pyfunction]
    fn version() -> &'static str {
        crate::VERSION
    }

    /// Analyses one cell's source; returns the analysis as a dict with camelCase keys.
    ///
    /// Never raises for any source: a cell that does not parse has `parseError` set.
    #[pyfunction]
    fn analyze<'py>(py: Python<'py>, code: &str) -> PyResult<Bound<'py, PyAny>> {
        let analysis = py.detach(|| analysis::analyze(code));
        to_py(py, &analysis)
    }
}
