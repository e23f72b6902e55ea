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
use pyo3::types::{PyDict, PyString};

/// Names of a namespace.
type Names<'py> = Vec<Bound<'py, PyAny>>;
/// A diff: changed, deleted, the next anchor, and the user's names among the changed and
/// the deleted, sorted.
type Diff<'py> = (
    Names<'py>,
    Names<'py>,
    Option<Bound<'py, PyAny>>,
    Names<'py>,
    Names<'py>,
);

/// What changed from `before` (a kept copy, taken when `anchor` was IPython's newest
/// input name) to `now`: the kept names `now` binds to another object and the names new
/// since that are not IPython's (in `before`'s order, then oldest first); the kept names
/// `now` lacks; and the anchor of the next diff (the newest input name among the new
/// ones, else `anchor` if it is still there). New names are those after `anchor` in
/// `now`; every name of `now` if `anchor` is None or gone.
///
/// Of those, the user's (sorted): the names `hidden` (IPython's `user_ns_hidden`) does not
/// hold with the same value, `now`'s for a changed name and `before`'s for a deleted one.
///
/// The whole of `elastic_notebook.namespace.changes` (which has the rule, and the Python
/// twin Pyodide runs), so that the recorder's diffs run no Python bytecode: the Python
/// steps around the native reading of the dicts had cost 6-7 us of the 10 us each took in
/// place, and the user-name filter after it 4-5 us. Compares identities, never values.
/// Owned references throughout: a lookup can run a key's `__eq__`, and so change a dict
/// while it is being read.
#[pyfunction]
#[pyo3(signature = (before, anchor, now, hidden))]
pub(super) fn namespace_changes<'py>(
    before: &Bound<'py, PyDict>,
    anchor: Option<&Bound<'py, PyAny>>,
    now: &Bound<'py, PyDict>,
    hidden: &Bound<'py, PyDict>,
) -> PyResult<Diff<'py>> {
    let mut changed = Vec::new();
    let mut deleted = Vec::new();
    for (name, value) in before.iter() {
        match now.get_item(&name)? {
            Some(now_value) if now_value.is(&value) => {}
            Some(_) => changed.push(name),
            None => deleted.push(name),
        }
    }
    // The anchor a diff keeps if no newer input name was added: none if it is gone.
    let mut kept_anchor = None;
    let added = if let Some(added) = anchor
        .map(|a| added_since(before, a, now))
        .transpose()?
        .flatten()
    {
        kept_anchor = anchor.cloned();
        added
    } else {
        // No anchor, or it is gone: every name of `now` is looked at.
        let mut added = Vec::new();
        for name in now.keys() {
            if !before.contains(&name)? {
                added.push(name);
            }
        }
        added
    };
    let mut newest_input = None;
    for name in added {
        if is_input_name(&name) {
            newest_input = Some(name.clone());
        }
        if !is_ipython_name(&name) {
            changed.push(name);
        }
    }
    // Input names are never kept, so a newer one than the anchor is among those added.
    let anchor = newest_input.or(kept_anchor);
    let bound = users(&changed, now, hidden)?;
    let gone = users(&deleted, before, hidden)?;
    Ok((changed, deleted, anchor, bound, gone))
}

/// The names of `names` that are the user's, sorted: `hidden` does not hold them with
/// their value in `values`.
fn users<'py>(
    names: &Names<'py>,
    values: &Bound<'py, PyDict>,
    hidden: &Bound<'py, PyDict>,
) -> PyResult<Names<'py>> {
    let mut users = Vec::new();
    for name in names {
        let is_hidden = match (hidden.get_item(name)?, values.get_item(name)?) {
            (Some(kept), Some(value)) => kept.is(&value),
            _ => false,
        };
        if !is_hidden {
            users.push(name.clone());
        }
    }
    // Python's order (`sorted`): names are `str`, whose order is their code points'.
    let mut keyed = Vec::with_capacity(users.len());
    for name in users {
        keyed.push((text(&name).map(str::to_owned), name));
    }
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(keyed.into_iter().map(|(_, name)| name).collect())
}

/// The names after `anchor` in `now` that `before` lacks, oldest first; None if
/// `anchor` is not in `now`.
///
/// From the end: a name bound since is after every name bound before it (a dict puts a
/// new key last and keeps a rebound one where it was), and the anchor, an input name, is
/// never bound again once deleted.
fn added_since<'py>(
    before: &Bound<'py, PyDict>,
    anchor: &Bound<'py, PyAny>,
    now: &Bound<'py, PyDict>,
) -> PyResult<Option<Names<'py>>> {
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
            return Ok(Some(added));
        }
        since.push(name);
    }
    Ok(None)
}

/// Whether `name` is an input history name (`_i<N>`): IPython binds a new one before
/// every cell it stores. Same rule as `namespace._INPUT_NAME`.
fn is_input_name(name: &Bound<'_, PyAny>) -> bool {
    text(name).is_some_and(|name| name.strip_prefix("_i").is_some_and(all_digits))
}

/// Whether `name` is one IPython binds itself: `_`, `__`, `___`, `_i`, `_ii`, `_iii`,
/// `_i<N>`, `_<N>`, dunders. Same rule as `namespace.is_ipython_name`.
fn is_ipython_name(name: &Bound<'_, PyAny>) -> bool {
    text(name).is_some_and(|name| {
        matches!(name, "_" | "__" | "___" | "_i" | "_ii" | "_iii")
            || name.strip_prefix("_i").is_some_and(all_digits)
            || name.strip_prefix('_').is_some_and(all_digits)
            || (name.starts_with("__") && name.ends_with("__"))
    })
}

/// Whether `text` is one or more ASCII digits.
fn all_digits(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|byte| byte.is_ascii_digit())
}

/// A name's text; None for a key that is not a `str` (or not valid UTF-8): never one of
/// IPython's names.
fn text<'a>(name: &'a Bound<'_, PyAny>) -> Option<&'a str> {
    name.cast::<PyString>().ok()?.to_str().ok()
}
