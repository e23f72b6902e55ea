//! The walk over a heap built by hand, with CPython 3.14's wasm32 layout (`layout`).

use std::collections::BTreeSet;

use crate::layout;
use crate::memory::Memory;
use crate::table;
use crate::walk::{self, ATOM_SLOTS, TYPES_WORDS};

/// A heap of words with a bump allocator; every fault is a panic.
struct Heap {
    words: Vec<u32>,
    freed: Vec<u32>,
}

impl Memory for Heap {
    fn word(&self, address: u32) -> u32 {
        assert_eq!(address % 4, 0, "unaligned word read at {address}");
        self.words[(address / 4) as usize]
    }

    fn byte(&self, address: u32) -> u32 {
        (self.word(address & !3) >> (8 * (address % 4))) & 0xff
    }

    fn set_word(&mut self, address: u32, value: u32) {
        self.words[(address / 4) as usize] = value;
    }

    fn copy_words(&mut self, from: u32, to: u32, words: u32) {
        for index in 0..words {
            let value = self.word(from + 4 * index);
            self.set_word(to + 4 * index, value);
        }
    }

    fn zero_words(&mut self, address: u32, words: u32) {
        for index in 0..words {
            self.set_word(address + 4 * index, 0);
        }
    }

    fn words(&self) -> u32 {
        self.words.len() as u32
    }

    fn alloc_words(&mut self, words: u32) -> u32 {
        let address = 4 * self.words.len() as u32;
        // Garbage, as malloc's memory may hold: the walk must not rely on zeroes.
        self.words
            .extend(std::iter::repeat_n(0xdead_beef, words as usize));
        address
    }

    fn free(&mut self, address: u32) {
        assert!(!self.freed.contains(&address), "{address} freed twice");
        self.freed.push(address);
    }

    fn fault(&self) -> ! {
        panic!("fault")
    }
}

/// The heap with CPython's types in it, and builders of objects.
struct Python {
    heap: Heap,
    /// Atom types (as `int`, `str`, `float`, `NoneType`).
    atoms: [u32; 4],
    list: u32,
    tuple: u32,
    dict: u32,
    set: u32,
    frozenset: u32,
    dummy: u32,
    /// The `Types` block.
    types: u32,
}

const LARGE: u32 = 4;

/// A type object whose instances have `flags`.
fn new_type(heap: &mut Heap, flags: u32) -> u32 {
    let address = heap.alloc_words(layout::TYPE_FLAGS / 4 + 1);
    heap.set_word(address + layout::TYPE_FLAGS, flags);
    address
}

impl Python {
    fn new() -> Python {
        let mut heap = Heap {
            words: vec![0; 4],
            freed: Vec::new(),
        };
        let mut new_type = |flags: u32| new_type(&mut heap, flags);
        let atoms = [new_type(0), new_type(0), new_type(0), new_type(0)];
        let (list, tuple, dict) = (new_type(0), new_type(0), new_type(0));
        let (set, frozenset) = (new_type(0), new_type(0));
        let mut python = Python {
            heap,
            atoms,
            list,
            tuple,
            dict,
            set,
            frozenset,
            dummy: 0,
            types: 0,
        };
        python.dummy = python.atom();
        let types = python.heap.alloc_words(TYPES_WORDS);
        let mut words = vec![0; ATOM_SLOTS as usize];
        words[..4].copy_from_slice(&atoms);
        words.extend([list, tuple, dict, set, frozenset, python.dummy, LARGE]);
        for (index, word) in words.into_iter().enumerate() {
            python.heap.set_word(types + 4 * index as u32, word);
        }
        python.types = types;
        python
    }

    /// An object of `kind` with `extra` words after its header, and them set.
    fn object(&mut self, kind: u32, extra: &[u32]) -> u32 {
        let address = self.heap.alloc_words(2 + extra.len() as u32);
        self.heap.set_word(address, 1);
        self.heap.set_word(address + layout::TYPE, kind);
        for (index, word) in extra.iter().enumerate() {
            self.heap.set_word(address + 8 + 4 * index as u32, *word);
        }
        address
    }

    fn atom(&mut self) -> u32 {
        self.object(self.atoms[0], &[0])
    }

    fn buffer(&mut self, words: &[u32]) -> u32 {
        let address = self.heap.alloc_words(words.len().max(1) as u32);
        for (index, word) in words.iter().enumerate() {
            self.heap.set_word(address + 4 * index as u32, *word);
        }
        address
    }

    fn list_of(&mut self, kind: u32, items: &[u32]) -> u32 {
        let buffer = self.buffer(items);
        self.object(kind, &[items.len() as u32, buffer])
    }

    fn list(&mut self, items: &[u32]) -> u32 {
        self.list_of(self.list, items)
    }

    fn tuple(&mut self, items: &[u32]) -> u32 {
        let mut words = vec![items.len() as u32, 0]; // ob_size, ob_hash
        words.extend_from_slice(items);
        self.object(self.tuple, &words)
    }

    /// A set or frozenset whose table has the given slots (0: empty, `dummy`: removed).
    fn set_of(&mut self, kind: u32, slots: &[u32]) -> u32 {
        let entries: Vec<u32> = slots.iter().flat_map(|&key| [key, 7]).collect();
        let table = self.buffer(&entries);
        let used = slots
            .iter()
            .filter(|&&key| key != 0 && key != self.dummy)
            .count() as u32;
        // fill, used, mask, table
        self.object(kind, &[used, used, slots.len() as u32 - 1, table])
    }

    /// A dict with a combined table: `keys` of kind `kind` (entries of the given words),
    /// 8 index bytes before the entries.
    fn dict_combined(&mut self, general: bool, entries: &[&[u32]]) -> u32 {
        let count = entries.len() as u32;
        // dk_refcnt; log2 size, log2 index bytes (3: 8 bytes), kind; dk_version;
        // dk_usable; dk_nentries; 8 bytes of indices; the entries.
        let kind = if general {
            layout::KEYS_KIND_GENERAL
        } else {
            1
        };
        let mut words = vec![1, (kind << 16) | (3 << 8) | 3, 0, 0, count, 0, 0];
        for entry in entries {
            words.extend_from_slice(entry);
        }
        let keys = self.buffer(&words);
        // ma_used, _ma_watcher_tag (two words), ma_keys, ma_values
        self.object(self.dict, &[count, 0, 0, 0, keys, 0])
    }

    /// A dict with a split table: shared keys of `entries` entries, its own `values`
    /// (capacity = their count).
    fn dict_split(&mut self, entries: u32, values: &[u32]) -> u32 {
        let keys = self.buffer(&[1, (2 << 16) | (3 << 8) | 3, 0, 0, entries, 0, 0]);
        let used = values.len() as u32;
        let mut words = vec![used]; // capacity (a byte), size, embedded, valid
        words.extend_from_slice(values);
        let values = self.buffer(&words);
        self.object(self.dict, &[used, 0, 0, 0, keys, values])
    }

    /// Walks from `roots`: the ids counted, and the objects handed back (marks kept).
    fn walk(&mut self, roots: &[u32]) -> (BTreeSet<u32>, Vec<u32>) {
        let root_count = roots.len() as u32;
        let roots = self.buffer(roots);
        let seen = table::new(&mut self.heap);
        let scratch = walk::new_scratch(&mut self.heap);
        let handed_count = walk::walk(&mut self.heap, self.types, scratch, seen, roots, root_count);
        let (at, count) = walk::handed(&self.heap, scratch);
        assert_eq!(count, handed_count);
        let handed = (0..count)
            .map(|index| self.heap.word(at + 4 * index))
            .collect();
        (ids(&self.heap, seen), handed)
    }
}

fn ids(memory: &impl Memory, block: u32) -> BTreeSet<u32> {
    let (first, count) = table::slots(memory, block);
    let ids: BTreeSet<u32> = (0..count)
        .map(|slot| memory.word(first + 4 * slot))
        .filter(|&id| id != 0)
        .collect();
    assert_eq!(ids.len() as u32, table::size(memory, block));
    ids
}

#[test]
fn lists_shared_and_tuples_of_atoms() {
    let mut py = Python::new();
    let (a, b) = (py.atom(), py.atom());
    let shared = py.list(&[a, b]);
    let inner = py.list(&[]);
    let flat = py.tuple(&[a, b]);
    let holding = py.tuple(&[a, inner]);
    let outer = py.list(&[shared, shared, flat, holding, a]);
    let (ids, handed) = py.walk(&[outer]);
    assert_eq!(ids, BTreeSet::from([outer, shared, holding, inner]));
    assert!(handed.is_empty());
}

#[test]
fn dicts_of_every_table_kind() {
    let mut py = Python::new();
    let (string, atom) = (py.atom(), py.atom());
    let (v1, v2, v3, k3, deleted) = (
        py.list(&[]),
        py.list(&[]),
        py.list(&[]),
        py.list(&[]),
        py.list(&[]),
    );
    let key_tuple = py.tuple(&[k3]);
    // Strings as keys: only the values are walked (a list as key would be skipped: the
    // kind says exact strings).
    let strings = py.dict_combined(false, &[&[string, v1], &[deleted, 0]]);
    // General: hash, key, value; a deleted entry's value is 0 and its key not walked.
    let general = py.dict_combined(
        true,
        &[&[9, key_tuple, v2], &[9, deleted, 0], &[9, atom, atom]],
    );
    // Split: the values beyond the capacity are not read.
    let split = py.dict_split(1, &[v3]);
    let outer = py.list(&[strings, general, split]);
    let (ids, _) = py.walk(&[outer]);
    assert_eq!(
        ids,
        BTreeSet::from([outer, strings, general, split, v1, v2, v3, key_tuple, k3])
    );
}

#[test]
fn sets_with_removed_items_and_frozensets() {
    let mut py = Python::new();
    let atom = py.atom();
    let held = py.list(&[]);
    let dummy = py.dummy;
    let frozen_atoms = py.set_of(py.frozenset, &[atom, 0, dummy, 0]);
    let frozen_list = py.set_of(py.frozenset, &[0, held]);
    let set = py.set_of(py.set, &[frozen_atoms, dummy, frozen_list, 0]);
    let (ids, _) = py.walk(&[set]);
    assert_eq!(ids, BTreeSet::from([set, frozen_list, held]));
}

#[test]
fn other_objects_are_handed_back_classes_skipped_large_flat_subclasses_marked() {
    let mut py = Python::new();
    let atom = py.atom();
    let instance_type = new_type(&mut py.heap, 0);
    let instance = py.object(instance_type, &[]);
    let metaclass = new_type(&mut py.heap, layout::FLAG_TYPE_SUBCLASS);
    let class = py.object(metaclass, &[]);
    let subclass = new_type(&mut py.heap, layout::FLAG_LIST_SUBCLASS);
    let pair = py.tuple(&[atom, atom]);
    let large_flat = py.list_of(subclass, &[atom, pair, atom, atom]);
    let small = py.list_of(subclass, &[atom]);
    let inner = py.list(&[]);
    let large_not_flat = py.list_of(subclass, &[atom, atom, atom, inner]);
    let outer = py.list(&[instance, class, large_flat, small, large_not_flat, instance]);
    let (ids, handed) = py.walk(&[outer]);
    assert_eq!(
        ids,
        BTreeSet::from([outer, instance, large_flat, small, large_not_flat])
    );
    // In the order popped: the last item first; the second `instance` is counted already.
    assert_eq!(handed, [instance, large_not_flat, small, large_flat | 1]);
}

#[test]
fn the_stack_and_the_table_grow() {
    let mut py = Python::new();
    let lists: Vec<u32> = (0..3000).map(|_| py.list(&[])).collect();
    let outer = py.list(&lists);
    let (ids, _) = py.walk(&[outer]);
    assert_eq!(ids.len(), 3001);
    assert!(lists.iter().all(|list| ids.contains(list)));
}

#[test]
#[should_panic(expected = "fault")]
fn a_length_past_the_memory_faults() {
    let mut py = Python::new();
    let list = py.list(&[]);
    py.heap.set_word(list + layout::SIZE, u32::MAX);
    py.walk(&[list]);
}

#[test]
#[should_panic(expected = "fault")]
fn an_unaligned_item_faults() {
    let mut py = Python::new();
    let list = py.list(&[6]);
    py.walk(&[list]);
}

#[test]
fn tables_compare() {
    let mut heap = Heap {
        words: vec![0; 4],
        freed: Vec::new(),
    };
    let (a, b, c) = (
        table::new(&mut heap),
        table::new(&mut heap),
        table::new(&mut heap),
    );
    for id in (4..40_000).step_by(4) {
        assert!(table::add(&mut heap, a, id));
        assert!(!table::add(&mut heap, a, id));
        assert!(table::add(&mut heap, b, id));
    }
    assert!(table::add(&mut heap, c, 40_004));
    assert!(table::same(&heap, a, b));
    assert!(!table::same(&heap, a, c));
    assert!(table::disjoint(&heap, a, c));
    assert!(table::add(&mut heap, c, 8));
    assert!(!table::disjoint(&heap, c, a));
    assert!(table::has(&heap, a, 39_996) && !table::has(&heap, a, 40_000));
    assert_eq!(table::size(&heap, a), 9_999);
    table::free(&mut heap, a);
}
