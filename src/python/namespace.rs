//! What changed in a namespace: the recorder's diff of IPython's `user_ns` around a cell.
//!
//! The recorder keeps a copy of the namespace's names but IPython's own (which grow by
//! one or two every cell: `_i<N>`, `_<N>`), and an anchor: IPython's newest input name
//! when it last looked. A diff compares the kept names one by one and reads the
//! namespace from its end back to the anchor for the names added since (a dict keeps
//! insertion order), so its work is the user's namespace and what was bound since, not
//! the session's length (`elastic_notebook.namespace` has the rule and the Python twin
//! Pyodide runs). Here the same steps take about 20 ns a kept name, with no Python
//! bytecode run per name.

use pyo3::prelude::*;
use pyo3::types::PyDict;

/// Names of a namespace.
type Names<'py> = Vec<Bound<'py, PyAny>>;

/// The names of `before` (the kept copy) that `now` binds to another object, those
/// `now` lacks, and the names after `anchor` in `now` (oldest first) that `before`
/// lacks; None for the last if `anchor` is None or not in `now`.
///
/// Compares identities, never values. Owned references throughout: a lookup can run a
/// key's `__eq__`, and so change a dict while it is being read.
#[pyfunction]
#[pyo3(signature = (before, anchor, now))]
pub(super) fn namespace_changes<'py>(
    before: &Bound<'py, PyDict>,
    anchor: Option<&Bound<'py, PyAny>>,
    now: &Bound<'py, PyDict>,
) -> PyResult<(Names<'py>, Names<'py>, Option<Names<'py>>)> {
    let mut changed = Vec::new();
    let mut deleted = Vec::new();
    for (name, value) in before.iter() {
        match now.get_item(&name)? {
            Some(now_value) if now_value.is(&value) => {}
            Some(_) => changed.push(name),
            None => deleted.push(name),
        }
    }
    let Some(anchor) = anchor else {
        return Ok((changed, deleted, None));
    };
    let mut since: Names<'py> = Vec::new();
    for name in now.call_method0("__reversed__")?.try_iter()? {
        let name = name?;
        if name.is(anchor) {
            let mut added = Vec::with_capacity(since.len());
            for name in since.into_iter().rev() {
                if !before.contains(&name)? {
                    added.push(name);
                }
            }
            return Ok((changed, deleted, Some(added)));
        }
        since.push(name);
    }
    Ok((changed, deleted, None))
}
