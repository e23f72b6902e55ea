//! wasm-bindgen bindings: convert, call the core once, convert back.
