//! The module's exports: thin wrappers of `walk` and `table` over Pyodide's memory.
//!
//! Every address argument is one these functions returned (a block), or an address in
//! Python's heap (roots, ids). Booleans are returned as 0 or 1.

use crate::memory::{Linear, Memory};
use crate::{table, walk};

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    Linear.fault()
}

/// A block of `walk::TYPES_WORDS` words for the caller to fill (`walk::Types`' order).
#[no_mangle]
pub extern "C" fn types_new() -> u32 {
    Linear.alloc_words(walk::TYPES_WORDS)
}

/// A scratch block for walks (`walk::new_scratch`).
#[no_mangle]
pub extern "C" fn scratch_new() -> u32 {
    walk::new_scratch(&mut Linear)
}

/// Walks from `count` roots at `roots` into the table `seen`; returns how many objects
/// it hands back (at `handed_at(scratch)`).
#[no_mangle]
pub extern "C" fn walk(types: u32, scratch: u32, seen: u32, roots: u32, count: u32) -> u32 {
    walk::walk(&mut Linear, types, scratch, seen, roots, count)
}

/// Where the last walk with `scratch` left the addresses it hands back.
#[no_mangle]
pub extern "C" fn handed_at(scratch: u32) -> u32 {
    walk::handed(&Linear, scratch).0
}

#[no_mangle]
pub extern "C" fn table_new() -> u32 {
    table::new(&mut Linear)
}

#[no_mangle]
pub extern "C" fn table_free(block: u32) {
    table::free(&mut Linear, block);
}

#[no_mangle]
pub extern "C" fn table_add(block: u32, id: u32) -> u32 {
    u32::from(table::add(&mut Linear, block, id))
}

#[no_mangle]
pub extern "C" fn table_has(block: u32, id: u32) -> u32 {
    u32::from(table::has(&Linear, block, id))
}

#[no_mangle]
pub extern "C" fn table_size(block: u32) -> u32 {
    table::size(&Linear, block)
}

/// The address of the table's slots (`table_slot_count` words; 0 is an empty slot).
#[no_mangle]
pub extern "C" fn table_slots(block: u32) -> u32 {
    table::slots(&Linear, block).0
}

#[no_mangle]
pub extern "C" fn table_slot_count(block: u32) -> u32 {
    table::slots(&Linear, block).1
}

#[no_mangle]
pub extern "C" fn tables_disjoint(a: u32, b: u32) -> u32 {
    u32::from(table::disjoint(&Linear, a, b))
}

#[no_mangle]
pub extern "C" fn tables_same(a: u32, b: u32) -> u32 {
    u32::from(table::same(&Linear, a, b))
}
