//! The `elastic-notebook` command line: inspect and verify `.ckpt` files.
fn main() {}
