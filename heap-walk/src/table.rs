//! A set of object addresses in the memory itself: open addressing over a word buffer.
//!
//! Addresses are 4-byte aligned and never 0, so 0 marks an empty slot. A table is a
//! block of three words (`SLOTS`, `SHIFT`, `SIZE`) and its slots, both from
//! `Memory::alloc_words`. A slot is the top bits of the address times 2^32 / phi
//! (`SHIFT` = 32 - log2 of the slot count): the low bits repeat the address's own low
//! bits, which allocators align, so objects would crowd into a fraction of the slots.
//! The table grows fourfold when half full.

use crate::memory::Memory;

/// Word offsets in a table's block.
const SLOTS: u32 = 0;
const SHIFT: u32 = 4;
const SIZE: u32 = 8;
const BLOCK_WORDS: u32 = 3;
/// Slots of a new table (2^8): most values walked are small.
const FIRST_SHIFT: u32 = 24;
const GOLDEN: u32 = 0x9e37_79b1;

/// A new empty table; returns its block's address.
pub fn new(memory: &mut impl Memory) -> u32 {
    let block = memory.alloc_words(BLOCK_WORDS);
    let slots = fresh_slots(memory, FIRST_SHIFT);
    memory.set_word(block + SLOTS, slots);
    memory.set_word(block + SHIFT, FIRST_SHIFT);
    memory.set_word(block + SIZE, 0);
    block
}

/// Frees the table at `block`.
pub fn free(memory: &mut impl Memory, block: u32) {
    let slots = memory.word(block + SLOTS);
    memory.free(slots);
    memory.free(block);
}

/// How many addresses it holds.
pub fn size(memory: &impl Memory, block: u32) -> u32 {
    memory.word(block + SIZE)
}

/// Where its slots are, and how many (0 for an empty slot).
pub fn slots(memory: &impl Memory, block: u32) -> (u32, u32) {
    (
        memory.word(block + SLOTS),
        slot_count(memory.word(block + SHIFT)),
    )
}

/// Whether `id` is in it.
#[inline]
pub fn has(memory: &impl Memory, block: u32, id: u32) -> bool {
    let (found, _) = probe(memory, block, id);
    found
}

/// Adds `id`; false if it was there already.
#[inline]
pub fn add(memory: &mut impl Memory, block: u32, id: u32) -> bool {
    let (found, slot) = probe(memory, block, id);
    if found {
        return false;
    }
    memory.set_word(slot, id);
    let size = memory.word(block + SIZE) + 1;
    memory.set_word(block + SIZE, size);
    if size * 2 > slot_count(memory.word(block + SHIFT)) {
        grow(memory, block);
    }
    true
}

/// Whether no address is in both tables (looks up the smaller's in the larger).
pub fn disjoint(memory: &impl Memory, a: u32, b: u32) -> bool {
    let (small, large) = if size(memory, a) <= size(memory, b) {
        (a, b)
    } else {
        (b, a)
    };
    !any_slot(memory, small, |id| has(memory, large, id))
}

/// Whether both tables hold the same addresses.
pub fn same(memory: &impl Memory, a: u32, b: u32) -> bool {
    size(memory, a) == size(memory, b) && !any_slot(memory, a, |id| !has(memory, b, id))
}

/// Whether `test` holds for an address in the table.
fn any_slot(memory: &impl Memory, block: u32, mut test: impl FnMut(u32) -> bool) -> bool {
    let (first, count) = slots(memory, block);
    (0..count).any(|slot| {
        let id = memory.word(first + 4 * slot);
        id != 0 && test(id)
    })
}

/// Whether `id` is there, and its slot's address (where it is, or the empty slot where it
/// goes).
#[inline(always)]
fn probe(memory: &impl Memory, block: u32, id: u32) -> (bool, u32) {
    let first = memory.word(block + SLOTS);
    let shift = memory.word(block + SHIFT);
    let mask = slot_count(shift) - 1;
    let mut slot = id.wrapping_mul(GOLDEN) >> shift;
    loop {
        let address = first + 4 * slot;
        let held = memory.word(address);
        if held == id {
            return (true, address);
        }
        if held == 0 {
            return (false, address);
        }
        slot = (slot + 1) & mask;
    }
}

#[inline(always)]
fn slot_count(shift: u32) -> u32 {
    1 << (32 - shift)
}

fn fresh_slots(memory: &mut impl Memory, shift: u32) -> u32 {
    let count = slot_count(shift);
    let slots = memory.alloc_words(count);
    memory.zero_words(slots, count);
    slots
}

/// Four times the slots, every address moved over.
#[inline(never)]
fn grow(memory: &mut impl Memory, block: u32) {
    let (old, old_count) = slots(memory, block);
    let shift = memory.word(block + SHIFT);
    if shift <= 4 {
        memory.fault(); // 2^28 slots and more: more than the memory's words
    }
    let shift = shift - 2;
    let first = fresh_slots(memory, shift);
    let mask = slot_count(shift) - 1;
    for slot in 0..old_count {
        let id = memory.word(old + 4 * slot);
        if id == 0 {
            continue;
        }
        let mut to = id.wrapping_mul(GOLDEN) >> shift;
        while memory.word(first + 4 * to) != 0 {
            to = (to + 1) & mask;
        }
        memory.set_word(first + 4 * to, id);
    }
    memory.set_word(block + SLOTS, first);
    memory.set_word(block + SHIFT, shift);
    memory.free(old);
}
