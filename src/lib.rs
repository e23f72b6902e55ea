//! elastic-notebook core: checkpoint and restore of live notebook sessions.
//!
//! Plain Rust with no JS or Python in it. The modules, each owning one concept:
//! - [`analysis`]: what a cell's source reads, binds, deletes, imports, defines and calls;
//! - [`history`]: the application history graph of cell executions and variable snapshots;
//! - [`optimize`]: the cost model and the minimum cut that decides store vs recompute;
//! - [`checkpoint`]: the `.ckpt` file format, its streaming writer and verifying reader;
//! - [`units`]: human-readable durations and sizes for renderings.
//!
//! Bindings are thin and gated: `wasm` on `wasm32`, `python` behind the `python` feature.

pub mod analysis;
pub mod checkpoint;
pub mod history;
pub mod ids;
pub mod optimize;
pub mod units;

#[cfg(all(feature = "python", not(target_arch = "wasm32")))]
mod python;
#[cfg(target_arch = "wasm32")]
mod wasm;

/// The version of this crate, written into every checkpoint as the producer's version.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
