//! Link arguments of the wasm32 module: it imports its memory (Pyodide's) instead of
//! defining one, and has no stack of its own in it (`-zstack-size=0`): the code keeps
//! every value in wasm locals, which `scripts/build-wasm` checks (no use of
//! `__stack_pointer`, no data segment: either would write into Pyodide's memory).

fn main() {
    if std::env::var("CARGO_CFG_TARGET_ARCH").as_deref() == Ok("wasm32") {
        println!("cargo:rustc-cdylib-link-arg=--import-memory");
        println!("cargo:rustc-cdylib-link-arg=-zstack-size=0");
    }
}
