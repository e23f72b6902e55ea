//! One reach walk: from root objects, every container reached counted in a `table`.
//!
//! Rules as `fingerprint._reach_in_python`: atoms are skipped; exact lists, dicts and sets
//! are counted and entered; exact tuples and frozensets only if they hold something other
//! than atoms; classes are skipped; anything else is counted and handed back to Python,
//! which looks into it. A large container subclass holding only atoms and tuples or
//! frozensets of atoms is handed back marked (its address's low bit: addresses are
//! 4-byte aligned), so Python walks only its attributes.

use crate::layout;
use crate::memory::Memory;
use crate::table;

/// Atom types a `Types` block holds (unused ones are 0, which no object's type is).
pub const ATOM_SLOTS: u32 = 8;
/// Words of a `Types` block: the atoms, then list, tuple, dict, set, frozenset, the
/// set's removed-item marker, and the item count from which a container subclass is
/// large.
pub const TYPES_WORDS: u32 = ATOM_SLOTS + 7;

/// What the walk knows of this CPython: type addresses, read from a `Types` block.
struct Types {
    atoms: [u32; ATOM_SLOTS as usize],
    list: u32,
    tuple: u32,
    dict: u32,
    set: u32,
    frozenset: u32,
    /// The key a set's table holds where an item was removed.
    dummy: u32,
    /// Items from which a container subclass may be marked flat.
    large: u32,
}

impl Types {
    #[inline(always)]
    fn read(memory: &impl Memory, block: u32) -> Types {
        let word = |index: u32| memory.word(block + 4 * index);
        let mut atoms = [0; ATOM_SLOTS as usize];
        for (index, atom) in (0..ATOM_SLOTS).zip(atoms.iter_mut()) {
            *atom = word(index);
        }
        Types {
            atoms,
            list: word(ATOM_SLOTS),
            tuple: word(ATOM_SLOTS + 1),
            dict: word(ATOM_SLOTS + 2),
            set: word(ATOM_SLOTS + 3),
            frozenset: word(ATOM_SLOTS + 4),
            dummy: word(ATOM_SLOTS + 5),
            large: word(ATOM_SLOTS + 6),
        }
    }

    #[inline(always)]
    fn is_atom(&self, kind: u32) -> bool {
        let atoms = &self.atoms;
        // Unrolled: a loop over the array would need it in memory.
        kind == atoms[0]
            || kind == atoms[1]
            || kind == atoms[2]
            || kind == atoms[3]
            || kind == atoms[4]
            || kind == atoms[5]
            || kind == atoms[6]
            || kind == atoms[7]
    }
}

/// Word offsets of a scratch block: the walk's stack and the objects it hands back,
/// kept between walks (each buffer grows, doubling, as needed).
const STACK: u32 = 0;
const STACK_CAPACITY: u32 = 4;
const HANDED: u32 = 8;
const HANDED_CAPACITY: u32 = 12;
const HANDED_COUNT: u32 = 16;
const SCRATCH_WORDS: u32 = 5;
const FIRST_CAPACITY: u32 = 256;

/// A new scratch block (for one walk at a time).
pub fn new_scratch(memory: &mut impl Memory) -> u32 {
    let block = memory.alloc_words(SCRATCH_WORDS);
    let stack = memory.alloc_words(FIRST_CAPACITY);
    let handed = memory.alloc_words(FIRST_CAPACITY);
    memory.set_word(block + STACK, stack);
    memory.set_word(block + STACK_CAPACITY, FIRST_CAPACITY);
    memory.set_word(block + HANDED, handed);
    memory.set_word(block + HANDED_CAPACITY, FIRST_CAPACITY);
    memory.set_word(block + HANDED_COUNT, 0);
    block
}

/// Where the objects the last walk handed back are, and how many.
pub fn handed(memory: &impl Memory, scratch: u32) -> (u32, u32) {
    (
        memory.word(scratch + HANDED),
        memory.word(scratch + HANDED_COUNT),
    )
}

/// The walk's state: its stack lives in the scratch block's buffer; its top, base and
/// capacity in locals (written back only when the buffer moves).
struct Walk<'m, M: Memory> {
    memory: &'m mut M,
    types: Types,
    scratch: u32,
    stack: u32,
    capacity: u32,
    depth: u32,
    /// The memory's words: no length or count read can be larger.
    words: u32,
}

/// Walks from the `count` root addresses at `roots`, counting into the table at `seen`.
/// Returns how many objects it hands back (`handed`).
pub fn walk(
    memory: &mut impl Memory,
    types: u32,
    scratch: u32,
    seen: u32,
    roots: u32,
    count: u32,
) -> u32 {
    let types = Types::read(memory, types);
    memory.set_word(scratch + HANDED_COUNT, 0);
    let mut walk = Walk {
        stack: memory.word(scratch + STACK),
        capacity: memory.word(scratch + STACK_CAPACITY),
        words: memory.words(),
        memory,
        types,
        scratch,
        depth: 0,
    };
    for index in 0..count {
        let root = walk.memory.word(roots + 4 * index);
        walk.push(root);
    }
    walk.run(seen);
    walk.memory.word(scratch + HANDED_COUNT)
}

impl<M: Memory> Walk<'_, M> {
    #[inline(always)]
    fn run(&mut self, seen: u32) {
        let t = &self.types;
        let (list, dict, set, tuple, frozenset) = (t.list, t.dict, t.set, t.tuple, t.frozenset);
        while self.depth > 0 {
            self.depth -= 1;
            let address = self.memory.word(self.stack + 4 * self.depth);
            let kind = self.type_of(address);
            if kind == list {
                if table::add(self.memory, seen, address) {
                    let count = self.length(address);
                    let first = self.memory.word(address + layout::LIST_ITEMS);
                    self.push_all(first, count, 1);
                }
            } else if kind == dict {
                if table::add(self.memory, seen, address) {
                    self.push_dict(address);
                }
            } else if kind == set {
                if table::add(self.memory, seen, address) {
                    let (first, slots) = self.set_table(address);
                    self.push_all(first, slots, layout::SET_ENTRY_WORDS);
                }
            } else if kind == tuple {
                let (first, count) = (address + layout::TUPLE_ITEMS, self.length(address));
                if !self.all_atoms(first, count, 1) && table::add(self.memory, seen, address) {
                    self.push_all(first, count, 1);
                }
            } else if kind == frozenset {
                let (first, slots) = self.set_table(address);
                if !self.all_atoms(first, slots, layout::SET_ENTRY_WORDS)
                    && table::add(self.memory, seen, address)
                {
                    self.push_all(first, slots, layout::SET_ENTRY_WORDS);
                }
            } else {
                let flags = self.memory.word(kind + layout::TYPE_FLAGS);
                if flags & layout::FLAG_TYPE_SUBCLASS != 0 {
                    continue; // a class: code, not data
                }
                if table::add(self.memory, seen, address) {
                    let mark = u32::from(self.large_and_flat(address, flags));
                    self.hand(address | mark);
                }
            }
        }
    }

    /// The object's type; faults on an address no object can have.
    #[inline(always)]
    fn type_of(&self, address: u32) -> u32 {
        if address == 0 || address & 3 != 0 {
            self.memory.fault();
        }
        self.memory.word(address + layout::TYPE)
    }

    /// A sized object's item count, bounded by the memory.
    #[inline(always)]
    fn length(&self, address: u32) -> u32 {
        let count = self.memory.word(address + layout::SIZE);
        if count > self.words {
            self.memory.fault();
        }
        count
    }

    /// A set's or frozenset's table: its first entry and its slot count.
    #[inline(always)]
    fn set_table(&self, address: u32) -> (u32, u32) {
        let slots = self.memory.word(address + layout::SET_MASK).wrapping_add(1);
        if slots == 0 || slots > self.words {
            self.memory.fault();
        }
        (self.memory.word(address + layout::SET_TABLE), slots)
    }

    #[inline(always)]
    fn push(&mut self, address: u32) {
        if self.types.is_atom(self.type_of(address)) {
            return;
        }
        if self.depth == self.capacity {
            self.stack = grown(self.memory, self.scratch + STACK, self.depth);
            self.capacity = self.memory.word(self.scratch + STACK_CAPACITY);
        }
        self.memory.set_word(self.stack + 4 * self.depth, address);
        self.depth += 1;
    }

    /// Pushes the items `stride` words apart from `first`, but empty and removed ones.
    #[inline(always)]
    fn push_all(&mut self, first: u32, count: u32, stride: u32) {
        for index in 0..count {
            let item = self.memory.word(first + 4 * index * stride);
            if item != 0 && item != self.types.dummy {
                self.push(item);
            }
        }
    }

    /// Pushes what a dict holds: its values, and its keys unless they are exact strings.
    #[inline(always)]
    fn push_dict(&mut self, address: u32) {
        let table = self.dict_table(address);
        match table.keys {
            Keys::None => self.push_all(table.first, table.count, 1),
            Keys::Strings => self.push_all(table.first + 4, table.count, 2),
            Keys::Any => {
                for index in 0..table.count {
                    let key = table.first + 12 * index + 4;
                    let value = self.memory.word(key + 4);
                    if value != 0 {
                        // 0: a deleted entry
                        let key = self.memory.word(key);
                        self.push(key);
                        self.push(value);
                    }
                }
            }
        }
    }

    /// Where a dict's entries are.
    #[inline(always)]
    fn dict_table(&self, address: u32) -> DictTable {
        let keys = self.memory.word(address + layout::DICT_KEYS);
        let values = self.memory.word(address + layout::DICT_VALUES);
        let entries = self.memory.word(keys + layout::KEYS_ENTRIES);
        if entries > self.words {
            self.memory.fault();
        }
        if values != 0 {
            // A split table: the values are the dict's own (its keys are shared strings);
            // `capacity` bounds them.
            let capacity = self.memory.byte(values);
            DictTable {
                first: values + layout::VALUES_ITEMS,
                count: entries.min(capacity),
                keys: Keys::None,
            }
        } else {
            let index_bytes = 1u32 << (self.memory.byte(keys + layout::KEYS_LOG2_INDEX_BYTES) & 31);
            let general = self.memory.byte(keys + layout::KEYS_KIND) == layout::KEYS_KIND_GENERAL;
            DictTable {
                first: keys + layout::KEYS_INDICES + index_bytes,
                count: entries,
                keys: if general { Keys::Any } else { Keys::Strings },
            }
        }
    }

    /// Whether the items `stride` words apart from `first` are all atoms (or empty).
    #[inline(always)]
    fn all_atoms(&self, first: u32, count: u32, stride: u32) -> bool {
        for index in 0..count {
            let item = self.memory.word(first + 4 * index * stride);
            if item != 0 && item != self.types.dummy && !self.types.is_atom(self.type_of(item)) {
                return false;
            }
        }
        true
    }

    /// An atom, or an exact tuple or frozenset of atoms: it can reach nothing.
    #[inline(always)]
    fn flat_item(&self, address: u32) -> bool {
        let kind = self.type_of(address);
        if self.types.is_atom(kind) {
            true
        } else if kind == self.types.tuple {
            self.all_atoms(address + layout::TUPLE_ITEMS, self.length(address), 1)
        } else if kind == self.types.frozenset {
            let (first, slots) = self.set_table(address);
            self.all_atoms(first, slots, layout::SET_ENTRY_WORDS)
        } else {
            false
        }
    }

    /// Whether a subclass of list, tuple or dict (a `Counter`) has `large` items or more,
    /// all flat (`fingerprint._flat_container`).
    #[inline(always)]
    fn large_and_flat(&self, address: u32, flags: u32) -> bool {
        if flags & (layout::FLAG_LIST_SUBCLASS | layout::FLAG_TUPLE_SUBCLASS) != 0 {
            let count = self.length(address);
            if count < self.types.large {
                return false;
            }
            let first = if flags & layout::FLAG_LIST_SUBCLASS != 0 {
                self.memory.word(address + layout::LIST_ITEMS)
            } else {
                address + layout::TUPLE_ITEMS
            };
            for index in 0..count {
                if !self.flat_item(self.memory.word(first + 4 * index)) {
                    return false;
                }
            }
            return true;
        }
        // A dict's `ma_used` is where a sized object's `ob_size` is.
        if flags & layout::FLAG_DICT_SUBCLASS == 0
            || self.memory.word(address + layout::SIZE) < self.types.large
        {
            return false;
        }
        let table = self.dict_table(address);
        let (stride, value_at) = match table.keys {
            Keys::None => (1, 0),
            Keys::Strings => (2, 1),
            Keys::Any => (3, 2),
        };
        for index in 0..table.count {
            let entry = table.first + 4 * index * stride;
            let value = self.memory.word(entry + 4 * value_at);
            if value == 0 {
                continue; // a deleted entry
            }
            // Keys: none (split), exact strings (atoms), or the word before the value.
            let key_flat =
                !matches!(table.keys, Keys::Any) || self.flat_item(self.memory.word(entry + 4));
            if !(key_flat && self.flat_item(value)) {
                return false;
            }
        }
        true
    }

    /// Appends `item` to the objects handed back.
    #[inline(always)]
    fn hand(&mut self, item: u32) {
        let scratch = self.scratch;
        let count = self.memory.word(scratch + HANDED_COUNT);
        let mut buffer = self.memory.word(scratch + HANDED);
        if count == self.memory.word(scratch + HANDED_CAPACITY) {
            buffer = grown(self.memory, scratch + HANDED, count);
        }
        self.memory.set_word(buffer + 4 * count, item);
        self.memory.set_word(scratch + HANDED_COUNT, count + 1);
    }
}

/// Doubles the buffer whose address is at `field` (its capacity in the next word), of
/// which `count` words are used; returns its new address.
///
/// A function of words, not a method: the walk's state stays in wasm locals only while
/// nothing takes its address (the module has no stack in memory).
#[inline(never)]
fn grown(memory: &mut impl Memory, field: u32, count: u32) -> u32 {
    let old = memory.word(field);
    let Some(capacity) = memory.word(field + 4).checked_mul(2) else {
        memory.fault()
    };
    let buffer = memory.alloc_words(capacity);
    memory.copy_words(old, buffer, count);
    memory.free(old);
    memory.set_word(field, buffer);
    memory.set_word(field + 4, capacity);
    buffer
}

/// A dict's entries: from `first`, `count` of them.
struct DictTable {
    first: u32,
    count: u32,
    keys: Keys,
}

/// What a dict's entries hold besides values.
enum Keys {
    /// A split table: values only, one word each.
    None,
    /// Exact strings (atoms): entries of key and value.
    Strings,
    /// Anything: entries of hash, key and value.
    Any,
}
