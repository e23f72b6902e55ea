//! Static analysis of one notebook cell: which global names it reads, binds, deletes and
//! imports, which functions and classes it defines (with the globals their bodies read),
//! and which names it calls.
//!
//! The parser (`ruff_python_parser`, Python 3.14 grammar) stays behind this module: no
//! parser type appears in its public API, so it can be swapped.
//!
//! The analysis over-approximates reads: a spurious read only adds a dependency (an extra
//! re-run at restore), a missed read can restore a wrong value.
//!
//! Layout: `guard` rejects input nested too deeply to walk safely, `scope` holds the
//! analyzer's state and resolves names through Python's scopes, `walk` visits the tree
//! in evaluation order, `ipython` handles `get_ipython()` calls and magics, `unreproducible`
//! names the calls that may give other values on every run.

mod guard;
mod ipython;
mod mutation;
mod scope;
mod unreproducible;
mod walk;

#[cfg(test)]
mod tests;

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

pub use unreproducible::{
    NamedCall, FILE_READERS, SEED_SOURCE_NAMES, SYSTEM_RANDOMNESS, UNSEEDED_GENERATORS, USER_INPUT,
};

/// What one cell does to the global namespace, as far as its source shows.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CellAnalysis {
    /// The parse error, if the cell does not parse; all other fields are then empty and
    /// the caller must treat the cell conservatively (it may read anything).
    pub parse_error: Option<ParseError>,
    /// Global names the cell reads when it runs, as they were before the cell ran: names
    /// the cell itself bound earlier in straight-line top-level code are not reads. Names
    /// read only inside the bodies of functions it defines are not reads either, unless the
    /// cell refers to such a function (calls it, passes it on or decorates it): then the
    /// function's reads are added, through other functions defined in the cell. Builtins
    /// are not filtered out: the host ignores names that are not in its namespace, and a
    /// builtin's name may be shadowed by a notebook variable.
    pub reads: BTreeSet<String>,
    /// Global names the cell binds by assignment, augmented assignment, `for`,
    /// `with ... as`, `except ... as`, walrus, `match` captures, `def`, `class`, `type`,
    /// `global` declarations in class bodies, and code run by `%time`-like magics. Names
    /// bound only by imports are in `imports`, not here.
    pub binds: BTreeSet<String>,
    /// Global names the cell deletes with `del name`, or unbinds implicitly at the end of
    /// an `except ... as name` handler (Python deletes `name` there).
    pub deletes: BTreeSet<String>,
    /// Global names bound by `import` statements (`import a.b` binds `a`).
    pub imports: BTreeSet<String>,
    /// Modules imported with `from module import *`, with leading dots if relative. The
    /// names they bind are not in the source, but the host's namespace diff sees them, so
    /// a star import does not make the cell `dynamic`.
    pub star_imports: BTreeSet<String>,
    /// Functions, classes and named lambdas defined at the cell's top level (also inside
    /// top-level `if`/`for`/`try` blocks). A name defined twice has one entry that merges
    /// both bodies.
    pub definitions: Vec<Definition>,
    /// Global names the cell calls directly (`f(...)`), for resolving notebook functions
    /// defined in earlier cells; like `reads`, names the cell bound earlier in
    /// straight-line code are left out. Functions passed as values (callbacks) appear in
    /// `reads` only.
    pub calls: BTreeSet<String>,
    /// Names whose values the cell may change in place (see `mutation`): the roots of
    /// subscript and attribute targets, augmented assignments, method calls not known to
    /// be pure and arguments of calls not known to be pure, plus the names whose objects
    /// those may share through the cell's own bindings. The host fingerprints only these
    /// (and their co-variables) to find in-place changes. Includes local names of the
    /// cell's functions, which the host ignores like any name not in its namespace.
    pub mutates: BTreeSet<String>,
    /// The names of `mutates` the cell changes directly at its top level: subscript and
    /// attribute stores and `del`s, augmented assignments, known mutating methods
    /// (`append`, `update`, `sort`, ...), `inplace=` receivers and `out=` arguments, and
    /// the names these alias through the cell's bindings (`row = rows[0]`,
    /// `for row in rows`). The host takes these as changed without fingerprinting them.
    pub mutates_directly: BTreeSet<String>,
    /// Names at the root of the attribute and subscript targets the cell stores to,
    /// augments or deletes at its top level, following calls (`mod.SCALE = 10`,
    /// `mod.CONFIG['k'] = 2`, `decimal.getcontext().prec = 50`, `del mod.X`), and of the
    /// receivers of methods that change settings (`pd.set_option`,
    /// `warnings.filterwarnings`). The host takes those bound to a module as changes of
    /// the module's state, which a module stored by its name does not bring back. Other
    /// method calls are not stores (`np.add(a, b)` changes nothing of `np`).
    #[serde(default)]
    pub stores_through: BTreeSet<String>,
    /// The cell does something the source cannot show: `exec`, `eval`, `globals()`,
    /// `breakpoint()`, `locals()`/`vars()`/`dir()` at top level, a use of `get_ipython()`
    /// other than a known magic or shell escape, or an IPython magic whose effect on the
    /// namespace is unknown (`%run`, `%store`, `%load`, unknown names, non-literal
    /// arguments, ...). It also covers calling a `dynamic` function defined in the cell.
    pub dynamic: bool,
    /// Calls the cell makes now (not in the bodies of functions or lambdas, nor past a
    /// generator expression's first iterable) whose callees may give values no re-run
    /// gives back: the system's randomness, generators made without a seed; or whose re-run
    /// needs files a checkpoint does not carry ([`FILE_READERS`], by last name; see
    /// `unreproducible`). By dotted name, sorted, each once; the host resolves them.
    #[serde(default)]
    pub maybe_unreproducible_calls: Vec<NamedCall>,
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
    /// Global names its body reads when called, through the functions, lambdas and
    /// comprehensions nested in it (for a class: the bodies of its methods; the class
    /// body itself runs at definition time, so its reads are the cell's).
    pub reads: BTreeSet<String>,
    /// Global names its body binds or deletes through `global` declarations.
    pub global_writes: BTreeSet<String>,
    /// Global names its body calls, for resolving calls transitively.
    pub calls: BTreeSet<String>,
    /// Its body does something the source cannot show (`exec`, `eval`, `globals()`,
    /// an unknown magic, ...): a cell calling it must be treated as `dynamic`.
    #[serde(default)]
    pub dynamic: bool,
    /// Calls its body makes (nested functions and lambdas included) whose callees may give
    /// values no re-run gives back, or read files, as the cell's
    /// `maybe_unreproducible_calls`: a cell calling it makes them too. Sorted, each once.
    #[serde(default)]
    pub maybe_unreproducible_calls: Vec<NamedCall>,
}

/// Analyses one cell's source (after IPython's transformation of magics and shell escapes).
///
/// Of raw IPython syntax, only a leading `%%magic` line is understood (as IPython does,
/// the rest of the cell is then the magic's body); other escapes (`%time x`, `!ls`,
/// `obj?`) are parse errors, since the host transforms them first.
///
/// Never fails and never panics: a cell that does not parse, or is nested too deeply to
/// analyse safely, yields `parse_error`.
#[must_use]
pub fn analyze(code: &str) -> CellAnalysis {
    let mut analyzer = scope::Analyzer::new();
    match analyzer.run_cell(code) {
        Ok(()) => analyzer.finish(),
        Err(error) => {
            let (line, column) = line_column(code, error.offset);
            CellAnalysis {
                parse_error: Some(ParseError {
                    message: error.message,
                    line,
                    column,
                }),
                ..CellAnalysis::default()
            }
        }
    }
}

/// The 1-based line and column (in characters) of byte `offset` in `source`.
///
/// Line breaks are `\n`, `\r\n` and `\r`, as in Python. An offset past the end or inside
/// a character counts up to the end of that character.
fn line_column(source: &str, offset: usize) -> (u32, u32) {
    let mut line: u32 = 1;
    let mut column: u32 = 1;
    let mut chars = source.char_indices().peekable();
    while let Some((index, c)) = chars.next() {
        if index >= offset {
            break;
        }
        match c {
            '\n' => {
                line = line.saturating_add(1);
                column = 1;
            }
            '\r' => {
                // `\r\n` is one line break.
                if let Some(&(next, '\n')) = chars.peek() {
                    if next < offset {
                        chars.next();
                    }
                }
                line = line.saturating_add(1);
                column = 1;
            }
            _ => column = column.saturating_add(1),
        }
    }
    (line, column)
}
