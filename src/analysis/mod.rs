//! Static analysis of one notebook cell: which global names it reads, binds, deletes and
//! imports, which functions and classes it defines (with the globals their bodies read),
//! and which names it calls.
//!
//! The parser (`ruff_python_parser`, Python 3.14 grammar) stays behind this module: no
//! parser type appears in its public API, so it can be swapped.
//!
//! The analysis over-approximates reads: a spurious read only adds a dependency (an extra
//! re-run at restore), a missed read can restore a wrong value.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

/// What one cell does to the global namespace, as far as its source shows.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CellAnalysis {
    /// The parse error, if the cell does not parse; all other fields are then empty and
    /// the caller must treat the cell conservatively (it may read anything).
    pub parse_error: Option<ParseError>,
    /// Global names the cell reads when it runs (not names read only inside the bodies
    /// of functions it defines).
    pub reads: BTreeSet<String>,
    /// Global names the cell binds by assignment, `for`, `with ... as`, `except ... as`,
    /// walrus, `match` captures, `def` and `class`.
    pub binds: BTreeSet<String>,
    /// Global names the cell deletes with `del name`.
    pub deletes: BTreeSet<String>,
    /// Global names bound by `import` statements.
    pub imports: BTreeSet<String>,
    /// Modules imported with `from module import *` (the names they bind are unknown).
    pub star_imports: BTreeSet<String>,
    /// Functions and classes defined at the cell's top level.
    pub definitions: Vec<Definition>,
    /// Global names the cell calls directly (`f(...)`), for resolving notebook functions.
    pub calls: BTreeSet<String>,
    /// The cell does something the source cannot show: `exec`/`eval`/`globals()`,
    /// an IPython magic whose body is not Python, a star import.
    pub dynamic: bool,
}

impl CellAnalysis {
    /// Whether the cell parsed.
    #[must_use]
    pub fn parsed(&self) -> bool {
        self.parse_error.is_none()
    }
}

/// A parse error with its 1-based line and column.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ParseError {
    /// The parser's message.
    pub message: String,
    /// 1-based line of the error.
    pub line: u32,
    /// 1-based column (in characters) of the error.
    pub column: u32,
}

/// What kind of definition binds a name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum DefinitionKind {
    /// `def` or `async def`.
    Function,
    /// `class`.
    Class,
    /// `name = lambda ...` at the top level.
    Lambda,
}

/// A function or class defined at the cell's top level.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Definition {
    /// The name it binds.
    pub name: String,
    /// Function, class or named lambda.
    pub kind: DefinitionKind,
    /// Global names its body reads when called (for a class: the bodies of its methods).
    pub reads: BTreeSet<String>,
    /// Global names its body binds through `global` declarations.
    pub global_writes: BTreeSet<String>,
    /// Global names its body calls, for resolving calls transitively.
    pub calls: BTreeSet<String>,
}

/// Analyses one cell's source (after IPython's transformation of magics and shell escapes).
///
/// Never fails and never panics: a cell that does not parse yields `parse_error`.
#[must_use]
pub fn analyze(code: &str) -> CellAnalysis {
    let _ = code;
    CellAnalysis::default()
}
