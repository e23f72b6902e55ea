//! The linear memory the walk reads, and the allocator of the walk's own buffers.

/// A 32-bit linear memory: Pyodide's in WebAssembly (`Linear`), a hand-built heap in tests.
///
/// Reads past the end fault; so does anything else the walk finds impossible (`fault`):
/// the caller abandons the walk and walks in Python instead.
pub trait Memory {
    /// The word at `address` (4-byte aligned).
    fn word(&self, address: u32) -> u32;
    /// The byte at `address`.
    fn byte(&self, address: u32) -> u32;
    /// Writes the word at `address`, which is in one of the walk's own buffers.
    fn set_word(&mut self, address: u32, value: u32);
    /// Copies `words` words from `from` to `to` (own buffers, not overlapping).
    fn copy_words(&mut self, from: u32, to: u32, words: u32);
    /// Zeroes `words` words at `address` (an own buffer).
    fn zero_words(&mut self, address: u32, words: u32);
    /// How many words the memory holds now: no length the walk reads can be larger.
    fn words(&self) -> u32;
    /// A new buffer of `words` words (faults when there is no memory left).
    fn alloc_words(&mut self, words: u32) -> u32;
    /// Gives back a buffer of `alloc_words`.
    fn free(&mut self, address: u32);
    /// Abandons the walk: the memory does not hold what the walk expects.
    fn fault(&self) -> !;
}

/// Pyodide's memory, as the module imports it.
#[cfg(target_arch = "wasm32")]
pub struct Linear;

#[cfg(target_arch = "wasm32")]
mod linear {
    use super::{Linear, Memory};
    use core::arch::wasm32;

    #[link(wasm_import_module = "env")]
    extern "C" {
        /// Pyodide's `malloc`: 0 when there is no memory left.
        fn alloc(bytes: u32) -> u32;
        /// Pyodide's `free`.
        fn free(address: u32);
    }

    // SAFETY (every block below): in wasm32 a load or store at any address below the
    // memory's size is defined (the machine has no other notion of validity) and one
    // past it traps, which abandons the walk. The walk stores only into buffers of its
    // own (`alloc_words`), so Python's objects are only ever read.
    impl Memory for Linear {
        #[inline(always)]
        fn word(&self, address: u32) -> u32 {
            // SAFETY: above.
            unsafe { core::ptr::read(address as usize as *const u32) }
        }

        #[inline(always)]
        fn byte(&self, address: u32) -> u32 {
            // SAFETY: above.
            u32::from(unsafe { core::ptr::read(address as usize as *const u8) })
        }

        #[inline(always)]
        fn set_word(&mut self, address: u32, value: u32) {
            // SAFETY: above; `address` is in an own buffer.
            unsafe { core::ptr::write(address as usize as *mut u32, value) }
        }

        fn copy_words(&mut self, from: u32, to: u32, words: u32) {
            // SAFETY: above; both are own buffers of at least `words` words, apart.
            unsafe {
                core::ptr::copy_nonoverlapping(
                    from as usize as *const u32,
                    to as usize as *mut u32,
                    words as usize,
                );
            }
        }

        fn zero_words(&mut self, address: u32, words: u32) {
            // SAFETY: above; an own buffer of at least `words` words.
            unsafe { core::ptr::write_bytes(address as usize as *mut u32, 0, words as usize) }
        }

        #[inline(always)]
        fn words(&self) -> u32 {
            // 64 KiB pages of 16 Ki words; wasm32 memory is at most 4 GiB (2^30 words).
            (wasm32::memory_size(0) as u32) << 14
        }

        fn alloc_words(&mut self, words: u32) -> u32 {
            let Some(bytes) = words.checked_mul(4) else {
                self.fault()
            };
            // SAFETY: an imported function of Pyodide's runtime, called with a size.
            let address = unsafe { alloc(bytes) };
            if address == 0 {
                self.fault();
            }
            address
        }

        fn free(&mut self, address: u32) {
            // SAFETY: `address` came from `alloc_words` and is freed once.
            unsafe { free(address) }
        }

        #[inline(always)]
        fn fault(&self) -> ! {
            wasm32::unreachable()
        }
    }
}
