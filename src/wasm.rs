//! wasm-bindgen bindings: convert, call the core once, convert back.
//!
//! Every export takes plain JS values (strings, numbers, `Uint8Array`) and returns either a
//! plain value or a data-transfer object built by serde ([`to_js`]): structs become plain
//! objects with the core's serde (camelCase) field names, sets and sequences become arrays,
//! maps become plain objects, `None` becomes `undefined`. The TypeScript types of those objects
//! are hand-written in `js/src/types.ts` and copied into the generated `.d.ts`; exports
//! name them with `unchecked_return_type`. Errors are thrown as JS `Error`s
//! ([`into_js_error`]).
//!
//! The same `.wasm` is used by two glues: the ES module (`--target web`) for pages and
//! workers, and the classic-script glue (`--target no-modules`) that Pyodide evaluates
//! synchronously (see `scripts/build-wasm`).

use serde::Serialize;
use wasm_bindgen::prelude::*;

use crate::analysis;

// The hand-written TypeScript types of every object the exports return.
#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &str = include_str!("../js/src/types.ts");

/// How data-transfer objects are built: plain objects and arrays (maps too), so Pyodide's
/// `to_py()` turns them into the same dicts and lists the PyO3 module returns. `None` stays
/// `undefined` (serde-wasm-bindgen's default), which `to_py()` turns into `None`; `null`
/// would become `pyodide.ffi.jsnull` instead.
const SERIALIZER: serde_wasm_bindgen::Serializer =
    serde_wasm_bindgen::Serializer::new().serialize_maps_as_objects(true);

/// Converts a data-transfer struct to a JS value with [`SERIALIZER`].
fn to_js<T: Serialize + ?Sized>(value: &T) -> Result<JsValue, JsError> {
    value.serialize(&SERIALIZER).map_err(into_js_error)
}

/// The one conversion of a core (or conversion) error into a thrown JS `Error`.
fn into_js_error(error: impl std::fmt::Display) -> JsError {
    JsError::new(&error.to_string())
}

/// The version of the core, e.g. `"0.1.0"`.
#[wasm_bindgen]
#[must_use]
pub fn version() -> String {
    crate::VERSION.to_owned()
}

/// Analyses one cell's source: the global names it reads, binds, deletes and imports, its
/// top-level definitions and calls. A cell that does not parse yields `parseError`; this
/// never throws on any input.
#[wasm_bindgen(unchecked_return_type = "CellAnalysis")]
pub fn analyze(code: &str) -> Result<JsValue, JsError> {
    to_js(&analysis::analyze(code))
}
