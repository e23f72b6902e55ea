//! The plain part of a value's reach, walked natively on CPython.
//!
//! `elastic_notebook.fingerprint.reach` lists the mutable objects a value reaches. Most
//! of a notebook's data is builtin containers of atoms (a list of 100k dicts, a list of
//! a million strings, a `Counter`), and a walk of those in Python is most of the
//! recorder's cost. [`ObjectWalk`] does that part here, with exactly the Python walk's
//! rules, and hands every other object back to Python, which decides what it reaches
//! (instances, numpy arrays, opaque objects, a large subclass's attributes). This is the
//! one piece of the binding that reads Python objects itself: the core cannot (it has
//! no Python in it), and Pyodide, which has no native module of ours, keeps the Python
//! walk.

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{
    PyBool, PyBytes, PyComplex, PyDict, PyFloat, PyFrozenSet, PyInt, PyList, PySet, PyString,
    PyTuple, PyType,
};
use pyo3::{ffi, Borrowed, PyTypeInfo};
use rustc_hash::FxHashSet;

use super::borrowed::{dict_items, list_items, tuple_items};

/// The exact types whose values are atoms: never shared, never entered.
///
/// Invariant: the same set as `fingerprint._ATOM_TYPES` (exact types, not subclasses).
struct AtomTypes([*mut ffi::PyTypeObject; 7]);

impl AtomTypes {
    fn new(py: Python<'_>) -> Self {
        Self([
            PyInt::type_object_raw(py),
            PyFloat::type_object_raw(py),
            PyComplex::type_object_raw(py),
            PyBool::type_object_raw(py),
            PyString::type_object_raw(py),
            PyBytes::type_object_raw(py),
            py.None().bind(py).get_type_ptr(),
        ])
    }

    fn contains(&self, value: &Bound<'_, PyAny>) -> bool {
        self.contains_type(value.get_type_ptr())
    }

    fn contains_type(&self, value_type: *mut ffi::PyTypeObject) -> bool {
        self.0.contains(&value_type)
    }
}

/// What a walk has yet to look at.
struct Pending<'py> {
    atoms: AtomTypes,
    /// Invariant: never an atom (checked before pushing, which keeps a list of a million
    /// strings off it).
    items: Vec<Bound<'py, PyAny>>,
}

impl<'py> Pending<'py> {
    fn extend(&mut self, items: impl IntoIterator<Item = Bound<'py, PyAny>>) {
        for item in items {
            if !self.atoms.contains(&item) {
                self.items.push(item);
            }
        }
    }

    /// `extend` for borrowed items (`borrowed`): only those kept are counted references.
    fn extend_borrowed<'a>(&mut self, items: impl IntoIterator<Item = Borrowed<'a, 'py, PyAny>>) {
        for item in items {
            if !self.atoms.contains(&item) {
                self.items.push(item.to_owned());
            }
        }
    }

    /// Whether items of these `types` are all atoms: an immutable container of atoms is an
    /// atom itself. Types, so that borrowed items (a tuple's) and owned ones (a
    /// frozenset's: the limited API has no borrowed iteration of a set) share one test.
    fn all_atoms(&self, mut types: impl Iterator<Item = *mut ffi::PyTypeObject>) -> bool {
        types.all(|item_type| self.atoms.contains_type(item_type))
    }

    /// Whether `item` can reach nothing: an atom, or an exact tuple or frozenset of atoms.
    fn flat_item(&self, item: &Bound<'py, PyAny>) -> bool {
        if self.atoms.contains(item) {
            return true;
        }
        if let Ok(tuple) = item.cast_exact::<PyTuple>() {
            return self.all_atoms(tuple_items(tuple).map(|item| item.get_type_ptr()));
        }
        if let Ok(frozen) = item.cast_exact::<PyFrozenSet>() {
            return self.all_atoms(frozen.iter().map(|item| item.get_type_ptr()));
        }
        false
    }
}

/// From this length on, a container subclass holding only atoms and exact tuples and
/// frozensets of atoms is not entered. Invariant: `fingerprint._LARGE`, so both walks
/// count the same objects.
const LARGE: usize = 256;

/// `gc.get_referents`, imported once: what a container subclass reaches, as in Python.
static GET_REFERENTS: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// Items read one at a time from a container's storage.
type StorageItems<'a, 'py> = Box<dyn Iterator<Item = Bound<'py, PyAny>> + 'a>;

/// The length and items of a subclass of a builtin container, read from the builtin's
/// own storage (not from methods the subclass may override); None for anything else.
fn subclass_storage<'a, 'py>(
    item: &'a Bound<'py, PyAny>,
) -> Option<(usize, StorageItems<'a, 'py>)> {
    if let Ok(dict) = item.cast::<PyDict>() {
        Some((
            dict.len(),
            Box::new(dict_items(dict).map(Borrowed::to_owned)),
        ))
    } else if let Ok(list) = item.cast::<PyList>() {
        Some((
            list.len(),
            Box::new(list_items(list).map(Borrowed::to_owned)),
        ))
    } else if let Ok(tuple) = item.cast::<PyTuple>() {
        Some((
            tuple.len(),
            Box::new(tuple_items(tuple).map(Borrowed::to_owned)),
        ))
    } else if let Ok(set) = item.cast::<PySet>() {
        Some((set.len(), Box::new(set.iter())))
    } else if let Ok(frozen) = item.cast::<PyFrozenSet>() {
        Some((frozen.len(), Box::new(frozen.iter())))
    } else {
        None
    }
}

/// One reach walk: the ids of the objects counted so far.
///
/// Ids stay unique while the walk lives, so an id seen is an object seen. The containers
/// it enters are held by the roots it is given, which the caller holds until the walk
/// ends (`fingerprint._reach_natively`), and no Python code runs during one `walk` call;
/// between calls the caller looks into the objects handed back (attributes, numpy
/// arrays), which the walk holds (`kept`), as it does those given to `count`. Holding
/// every counted object as well (200k increfs for 100k dicts, and as many decrefs, from
/// memory, when the walk ended) was a fifth of the walk of `orders`; it guarded only
/// against attribute access with side effects changing a container of the value in the
/// middle of the walk, which the heap walk in Pyodide does not guard against either.
///
/// Counted, as in the Python walk: exact lists, dicts and sets; exact tuples and
/// frozensets holding something other than atoms (one holding only atoms is an atom
/// itself); every other object that is not an atom or a class. Entered: the counted
/// exact containers, and container subclasses through `gc.get_referents`. Returned to
/// the caller: the other counted objects.
#[pyclass(module = "elastic_notebook._core")]
#[derive(Default)]
pub struct ObjectWalk {
    /// Ids (addresses) of the counted objects.
    seen: FxHashSet<usize>,
    /// Holds what the walk handed back or was given, so no id is reused while it lives.
    kept: Vec<Py<PyAny>>,
}

impl ObjectWalk {
    /// Counts `value` if it is new; returns whether it was.
    fn count_new(&mut self, value: &Bound<'_, PyAny>) -> bool {
        self.seen.insert(value.as_ptr() as usize)
    }

    /// Counts `value` if it is new and holds it (see the struct's doc); returns whether
    /// it was new.
    fn count_and_keep(&mut self, value: &Bound<'_, PyAny>) -> bool {
        let fresh = self.count_new(value);
        if fresh {
            self.kept.push(value.clone().unbind());
        }
        fresh
    }
}

#[pymethods]
impl ObjectWalk {
    /// A walk that has counted nothing.
    #[new]
    fn new() -> Self {
        Self::default()
    }

    /// Walks from `roots` through builtin containers, counting what it meets.
    ///
    /// Returns two lists of newly counted objects for the caller to look into: those it
    /// did not enter (instances, functions, opaque objects...), and the large container
    /// subclasses holding only atoms, whose attributes it did not walk.
    fn walk<'py>(
        &mut self,
        roots: &Bound<'py, PyAny>,
    ) -> PyResult<(Bound<'py, PyList>, Bound<'py, PyList>)> {
        let py = roots.py();
        let others = PyList::empty(py);
        let subclassed = PyList::empty(py);
        let mut pending = Pending {
            atoms: AtomTypes::new(py),
            items: Vec::new(),
        };
        for root in roots.try_iter()? {
            let root = root?;
            // A list of containers (100k dicts) grows the id set to hundreds of thousands:
            // room for one id per item at once spares most of its rehashes (the walk of
            // 100k dicts 15.4 -> 12.4 ms). Not for a list of atoms (a million strings),
            // whose reach is the list alone.
            if let Ok(list) = root.cast_exact::<PyList>() {
                if list_items(list)
                    .next()
                    .is_some_and(|first| !pending.atoms.contains(&first))
                {
                    self.seen.reserve(list.len());
                }
            }
            pending.extend([root]);
        }
        while let Some(item) = pending.items.pop() {
            if self.seen.contains(&(item.as_ptr() as usize)) {
                continue;
            }
            if let Ok(list) = item.cast_exact::<PyList>() {
                self.count_new(&item);
                pending.extend_borrowed(list_items(list));
            } else if let Ok(dict) = item.cast_exact::<PyDict>() {
                self.count_new(&item);
                pending.extend_borrowed(dict_items(dict));
            } else if let Ok(set) = item.cast_exact::<PySet>() {
                self.count_new(&item);
                pending.extend(set.iter());
            } else if let Ok(tuple) = item.cast_exact::<PyTuple>() {
                if !pending.all_atoms(tuple_items(tuple).map(|item| item.get_type_ptr())) {
                    self.count_new(&item);
                    pending.extend_borrowed(tuple_items(tuple));
                }
            } else if let Ok(frozen) = item.cast_exact::<PyFrozenSet>() {
                if !pending.all_atoms(frozen.iter().map(|item| item.get_type_ptr())) {
                    self.count_new(&item);
                    pending.extend(frozen.iter());
                }
            } else if let Some((len, mut items)) = subclass_storage(&item) {
                // A `Counter`, `defaultdict`, namedtuple...: what `gc.get_referents`
                // lists (items, attributes, a default factory), unless it is large and
                // flat: then only its attributes can reach more, and the caller walks
                // those.
                if len >= LARGE && items.all(|child| pending.flat_item(&child)) {
                    self.count_and_keep(&item);
                    subclassed.append(&item)?;
                } else {
                    self.count_new(&item);
                    let referents = GET_REFERENTS
                        .import(py, "gc", "get_referents")?
                        .call1((&item,))?;
                    pending.extend(referents.cast_into::<PyList>()?.iter());
                }
            } else if item.is_instance_of::<PyType>() {
                // Classes reached through instances or containers are code, not data.
            } else {
                self.count_and_keep(&item);
                others.append(&item)?;
            }
        }
        Ok((others, subclassed))
    }

    /// Counts `value` without entering it (a numpy view's base); returns whether it was
    /// new.
    fn count(&mut self, value: &Bound<'_, PyAny>) -> bool {
        self.count_and_keep(value)
    }

    /// The ids of every object counted, moved out of the walk (no copy): its last call.
    fn objects(&mut self) -> IdSet {
        IdSet(std::mem::take(&mut self.seen))
    }
}

/// A set of object ids that stays in Rust: what a reach is compared by.
///
/// A `frozenset` of the 200k ids of 100k dicts costs more to build and free than the walk
/// that found them; this answers the recorder's questions (`isdisjoint`, `==`, `in`,
/// `len`) without making a Python `int` per id. Iterating it makes them (grouping at a
/// checkpoint).
#[pyclass(module = "elastic_notebook._core", frozen, eq)]
#[derive(PartialEq, Eq)]
pub struct IdSet(FxHashSet<usize>);

#[pymethods]
impl IdSet {
    /// Whether no id is in both sets; `other` is an `IdSet` or an iterable of ints.
    fn isdisjoint(&self, other: &Bound<'_, PyAny>) -> PyResult<bool> {
        if let Ok(other) = other.cast::<IdSet>() {
            return Ok(self.0.is_disjoint(&other.get().0)); // probes the larger set
        }
        for key in other.try_iter()? {
            if self.0.contains(&key?.extract::<usize>()?) {
                return Ok(false);
            }
        }
        Ok(true)
    }

    fn __contains__(&self, key: &Bound<'_, PyAny>) -> bool {
        key.extract::<usize>()
            .is_ok_and(|key| self.0.contains(&key))
    }

    fn __len__(&self) -> usize {
        self.0.len()
    }

    fn __iter__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        PyList::new(py, self.0.iter())?
            .try_iter()
            .map(Bound::into_any)
    }
}
