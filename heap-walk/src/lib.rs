//! The reach walk over Pyodide's CPython heap, compiled to a WebAssembly module that
//! imports Pyodide's own memory.
//!
//! In Pyodide every Python object lives in one `WebAssembly.Memory`. This module reads
//! exact lists, tuples, dicts, sets and frozensets straight from their C structs there
//! (CPython 3.14, 32-bit pointers: `layout`), counts every container it reaches in an id
//! table (`table`), and hands every other object back to Python, which decides what it
//! reaches (`walk`). It is the heap walk of `elastic_notebook._pyodide.walk`, which checks
//! it against the Python walk on probe values before any use and falls back to the Python
//! walk on any mismatch or trap.
//!
//! It only reads Python's objects: it writes nothing but its own buffers, which it
//! allocates with Pyodide's `malloc` (imports `env.alloc`/`env.free`). No Python code runs
//! during a call, so nothing it reads can change or be freed under it.
//!
//! The module must not touch memory that is not its own: it has no data segment and no
//! shadow stack (every value stays in wasm locals), both checked by `scripts/build-wasm`
//! and the data segment again by the loader. Its logic is plain Rust over a `Memory`
//! (`memory`), tested natively on a heap built by hand.

#![cfg_attr(target_arch = "wasm32", no_std)]

pub mod layout;
pub mod memory;
pub mod table;
pub mod walk;

#[cfg(target_arch = "wasm32")]
mod exports;

#[cfg(test)]
mod tests;
