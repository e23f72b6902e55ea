//! A stand-in for `unicode_names2`, whose only user here is `ruff_python_parser`: it
//! resolves `\N{NAME}` escapes in string literals while lexing.
//!
//! elastic-notebook parses cells to learn which names they read and bind; it never needs
//! the character an escape denotes, only that the literal parses. The real crate's name
//! tables are about 700 KB of the 1.5 MB WebAssembly module every browser session
//! downloads, so this stand-in accepts every name and returns U+FFFD. A cell with a
//! misspelt name still parses here (CPython rejects it when the cell runs, and the failed
//! run is recorded like any other).

/// The character a Unicode name denotes: U+FFFD REPLACEMENT CHARACTER for every name.
#[must_use]
pub fn character(name: &str) -> Option<char> {
    let _ = name;
    Some(char::REPLACEMENT_CHARACTER)
}
