//! CPython 3.14's structs on wasm32 (4-byte pointers and `Py_ssize_t`), as byte offsets.
//!
//! Private layout: the loader checks the walk against the Python walk before use.

/// `PyObject.ob_type` (after `ob_refcnt`).
pub const TYPE: u32 = 4;
/// `PyVarObject.ob_size`; a dict's `ma_used` is at the same place.
pub const SIZE: u32 = 8;
/// `PyListObject.ob_item`: a pointer to the items.
pub const LIST_ITEMS: u32 = 12;
/// `PyTupleObject`: `ob_hash` (3.14), then the items inline.
pub const TUPLE_ITEMS: u32 = 16;
/// `PySetObject`: `fill`, `used`, `mask`, `table` (entries of key and hash).
pub const SET_MASK: u32 = 16;
pub const SET_TABLE: u32 = 20;
/// Words of a set's table entry (key, hash).
pub const SET_ENTRY_WORDS: u32 = 2;
/// `PyDictObject`: `ma_used`, `_ma_watcher_tag` (8-byte aligned), `ma_keys`, `ma_values`.
pub const DICT_KEYS: u32 = 24;
pub const DICT_VALUES: u32 = 28;
/// `PyDictKeysObject`: `dk_refcnt`, `dk_log2_size`, `dk_log2_index_bytes`, `dk_kind`,
/// `dk_version`, `dk_usable`, `dk_nentries`, `dk_indices` (then the entries).
pub const KEYS_LOG2_INDEX_BYTES: u32 = 5;
pub const KEYS_KIND: u32 = 6;
pub const KEYS_ENTRIES: u32 = 16;
pub const KEYS_INDICES: u32 = 20;
/// `DICT_KEYS_GENERAL`: entries of hash, key and value; the other kinds hold exact
/// strings as keys, in entries of key and value.
pub const KEYS_KIND_GENERAL: u32 = 0;
/// `PyDictValues`: `capacity`, `size`, `embedded`, `valid` (one byte each), the values.
pub const VALUES_ITEMS: u32 = 4;
/// `PyTypeObject.tp_flags`.
pub const TYPE_FLAGS: u32 = 84;

/// `Py_TPFLAGS_*`: what a type object's flags say of its instances.
pub const FLAG_TYPE_SUBCLASS: u32 = 1 << 31;
pub const FLAG_DICT_SUBCLASS: u32 = 1 << 29;
pub const FLAG_TUPLE_SUBCLASS: u32 = 1 << 26;
pub const FLAG_LIST_SUBCLASS: u32 = 1 << 25;
