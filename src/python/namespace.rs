//! What changed in a namespace: the recorder's diff of IPython's `user_ns` around a cell.
//!
//! The namespace holds two of IPython's names for every cell run (`_i<N>`, `_<N>`), so it
//! grows all session long: after 300 cells the diff in Python (C-level `map` passes) took
//! about 100 us per cell in place, a fifth of the recorder's fixed cost. Here it is a walk
//! of two dicts comparing pointers (`PyDict_Next`, about 20 ns per name and dict): about
//! 20 us for 600 names, and no Python object is touched, only the dicts' entries.

use pyo3::prelude::*;
use pyo3::types::PyDict;
use pyo3::Borrowed;

use super::borrowed::dict_items;

/// Keys of a namespace, in its order.
type Keys<'py> = Vec<Bound<'py, PyAny>>;

/// The keys of `now` whose value is not the very object `before` holds under them (bound
/// or rebound), the keys of `before` that `now` lacks (deleted), each in `now`'s and
/// `before`'s order; and whether `before`'s keys are all in `now`, in the same order and
/// ahead of the others (none deleted or deleted and bound again: the recorder then brings
/// its copy up to `now` in place, and the next diff takes the fast path all along).
///
/// `before` is a copy of `now` taken earlier (`dict(user_ns)`), so the two usually share
/// their keys' order: a dict keeps a rebound key in place and appends new ones. They are
/// walked side by side while their keys are the same objects; from the first key that
/// differs (a deletion, a key re-added, anything else), the rest is compared by lookups.
#[pyfunction]
pub(super) fn namespace_changes<'py>(
    before: &Bound<'py, PyDict>,
    now: &Bound<'py, PyDict>,
) -> PyResult<(Keys<'py>, Keys<'py>, bool)> {
    let mut changed = Vec::new();
    // Side by side, borrowed: no Python code runs here (pointers only), so neither dict
    // can change while its items are borrowed (`borrowed`'s invariant).
    let mut now_items = pairs(now);
    let mut before_items = pairs(before);
    let mut now_rest = Vec::new();
    let mut before_rest = Vec::new();
    let in_order = loop {
        match (now_items.next(), before_items.next()) {
            (Some((key, value)), Some((old_key, old_value))) if key.is(old_key) => {
                if !value.is(old_value) {
                    changed.push(key.to_owned());
                }
            }
            (now_item, before_item) => {
                // Owned from here: the lookups below may run Python code (a key's
                // `__eq__`), which must not meet borrowed items.
                let owned = |(key, _): (Borrowed<'_, 'py, PyAny>, _)| key.to_owned();
                now_rest.extend(now_item.into_iter().chain(now_items).map(owned));
                // In order when `before` ran out first (or with `now`): only new
                // keys follow.
                let in_order = before_item.is_none();
                before_rest.extend(before_item.into_iter().chain(before_items).map(owned));
                break in_order;
            }
        }
    };
    for key in now_rest {
        let value = now.get_item(&key)?;
        let old_value = before.get_item(&key)?;
        let same = match (&value, &old_value) {
            (Some(value), Some(old_value)) => value.is(old_value),
            _ => false,
        };
        if !same {
            changed.push(key);
        }
    }
    let mut deleted = Vec::new();
    for key in before_rest {
        if !now.contains(&key)? {
            deleted.push(key);
        }
    }
    Ok((changed, deleted, in_order))
}

/// `dict`'s entries as borrowed (key, value) pairs, in order.
fn pairs<'a, 'py>(
    dict: &'a Bound<'py, PyDict>,
) -> impl Iterator<Item = (Borrowed<'a, 'py, PyAny>, Borrowed<'a, 'py, PyAny>)> + 'a {
    let mut items = dict_items(dict);
    std::iter::from_fn(move || Some((items.next()?, items.next()?)))
}
