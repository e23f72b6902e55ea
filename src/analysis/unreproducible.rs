//! Calls whose results a re-run may not give back: the system's randomness (`os.urandom`,
//! `uuid.uuid4`, `secrets`), random generators made without a seed
//! (`np.random.default_rng()`, `random.Random()`) and what the user types ([`USER_INPUT`]:
//! `input()`); and calls whose re-run needs files
//! ([`FILE_READERS`]: `open`, `pd.read_csv`, `np.load`).
//!
//! The analysis lists the calls a cell makes *now* (not in the bodies of functions or
//! lambdas it defines, nor past the first iterable of a generator expression, which runs
//! only when consumed) whose callee is a dotted name ending in a name [`is_listed`].
//! The source cannot tell `np.random.default_rng` from a notebook function of that name:
//! the host resolves each dotted name in its namespace after the cell and compares the
//! object it finds with the real functions. Listing too many costs nothing but that look.

use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{self as ast, Expr};
use serde::{Deserialize, Serialize};

/// The last names of the callees worth listing (`is_listed`) that are the system's
/// randomness, unreproducible whatever the arguments: with [`UNSEEDED_GENERATORS`] and
/// [`USER_INPUT`], every function or class of the host's tables of unreproducible calls
/// (`unreproducible.py`), and nothing else.
pub const SYSTEM_RANDOMNESS: &[&str] = &[
    "urandom",
    "uuid1",
    "uuid4",
    "token_bytes",
    "token_hex",
    "token_urlsafe",
    "randbits",
    "randbelow",
    "choice",
    "SystemRandom",
];

/// The last names of calls that ask the user (`input()`, `getpass.getpass()`): a re-run
/// would ask again, in the middle of a restore, and may be answered otherwise (or not
/// at all: a kernel run by nbclient has no stdin). Unreproducible whatever the arguments.
pub const USER_INPUT: &[&str] = &["input", "getpass"];

/// The last names of generators seeded from the system when called without a seed.
pub const UNSEEDED_GENERATORS: &[&str] = &[
    "Random",
    "default_rng",
    "RandomState",
    "SeedSequence",
    "PCG64",
    "PCG64DXSM",
    "MT19937",
    "Philox",
    "SFC64",
];

/// The last names of calls that read files, or what a shell command prints (IPython's
/// `files = !ls`, which is `get_ipython().getoutput('ls')`; `subprocess.check_output`):
/// a re-run of a cell that makes one needs the files, or the same machine, which a
/// checkpoint does not carry (a restore in another browser or on another machine has
/// neither). Listed too, and never resolved: the host takes any call of
/// one of these names as a file read (it reads this list through the bindings:
/// `file_readers()` in Python, `fileReaders()` in JS), so a checkpoint prefers storing
/// what the cell made to re-running it. A false match (a notebook function named `load`)
/// only stores values rather than re-running a cell.
pub const FILE_READERS: &[&str] = &[
    "open",
    "read_csv",
    "read_table",
    "read_fwf",
    "read_excel",
    "read_json",
    "read_parquet",
    "read_feather",
    "read_orc",
    "read_pickle",
    "read_hdf",
    "read_sql",
    "read_stata",
    "read_sas",
    "read_spss",
    "read_xml",
    "load",
    "loadtxt",
    "genfromtxt",
    "fromfile",
    "read_text",
    "read_bytes",
    "imread",
    "getoutput",
    "getstatusoutput",
    "check_output",
];

/// Whether a call whose callee's last name is `name` is listed.
fn is_listed(name: &str) -> bool {
    SYSTEM_RANDOMNESS.contains(&name)
        || UNSEEDED_GENERATORS.contains(&name)
        || USER_INPUT.contains(&name)
        || FILE_READERS.contains(&name)
}

/// Besides [`SYSTEM_RANDOMNESS`], the last names of calls whose result differs from one
/// run to the next: the clocks, the process id, `hash` (of a string: randomized per
/// process) and `id`. A generator seeded from one of them
/// (`np.random.default_rng(time.time_ns())`) is seeded anew by each run, as if it had no
/// seed. By name alone, never resolved: a notebook function of one of these names only
/// makes its caller's results stored rather than re-run.
pub const SEED_SOURCE_NAMES: &[&str] = &[
    "time",
    "time_ns",
    "perf_counter",
    "perf_counter_ns",
    "monotonic",
    "monotonic_ns",
    "process_time",
    "process_time_ns",
    "thread_time",
    "thread_time_ns",
    "now",
    "utcnow",
    "today",
    "getpid",
    "hash",
    "id",
];

/// Whether `expr` calls, anywhere in it, a function named in [`SEED_SOURCE_NAMES`] or
/// [`SYSTEM_RANDOMNESS`] (`int(datetime.now().timestamp())`, `os.getpid() * 7`).
fn calls_a_seed_source(expr: &Expr) -> bool {
    struct Find(bool);
    impl<'a> Visitor<'a> for Find {
        fn visit_expr(&mut self, expr: &'a Expr) {
            if self.0 {
                return;
            }
            if let Expr::Call(call) = expr {
                let last = match &*call.func {
                    Expr::Name(name) => Some(name.id.as_str()),
                    Expr::Attribute(attribute) => Some(attribute.attr.id.as_str()),
                    _ => None,
                };
                if last.is_some_and(|name| {
                    SEED_SOURCE_NAMES.contains(&name) || SYSTEM_RANDOMNESS.contains(&name)
                }) {
                    self.0 = true;
                    return;
                }
            }
            visitor::walk_expr(self, expr);
        }
    }
    let mut find = Find(false);
    find.visit_expr(expr);
    find.0
}

/// One call a cell makes at its top level to a callee whose last name is listed
/// ([`SYSTEM_RANDOMNESS`], [`UNSEEDED_GENERATORS`], [`USER_INPUT`], [`FILE_READERS`]).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NamedCall {
    /// The callee's dotted name: `["np", "random", "default_rng"]`.
    pub callee: Vec<String>,
    /// It passes an argument other than a literal `None` (for a generator, a seed), and no
    /// argument calls a function of [`SEED_SOURCE_NAMES`] or [`SYSTEM_RANDOMNESS`]: a seed
    /// from the clock is none.
    pub seeded: bool,
}

/// The call as a [`NamedCall`], if its callee is a dotted name ending in one [`is_listed`].
///
/// A callee whose first name the cell (or the function) bound by an import is named by
/// what it imported (`from secrets import token_hex as th; th()`: `secrets.token_hex`):
/// `imported_path` gives that path. The host resolves a first name the notebook does not
/// bind to a module through the modules imported (`unreproducible.py`).
pub(super) fn named_call<'a>(
    call: &ast::ExprCall,
    imported_path: impl Fn(&str) -> Option<&'a [String]>,
) -> Option<NamedCall> {
    let mut attributes = Vec::new();
    let mut callee = &*call.func;
    while let Expr::Attribute(attribute) = callee {
        attributes.push(attribute.attr.id.as_str());
        callee = &attribute.value;
    }
    let Expr::Name(root) = callee else {
        // `f()()`, `objs[0].choice()`: no dotted name to resolve. A file read still counts
        // by its last name (`Path('c.toml').read_text()`), which is all the host looks at.
        return attributes
            .first()
            .filter(|name| FILE_READERS.contains(name))
            .map(|&name| NamedCall {
                callee: vec![name.to_owned()],
                seeded: false,
            });
    };
    // The last name first, so that the many calls not listed allocate nothing.
    let imported = imported_path(root.id.as_str());
    let last = match (attributes.first(), imported) {
        (Some(&attribute), _) => attribute,
        (None, Some(path)) => path.last().map_or("", String::as_str),
        (None, None) => root.id.as_str(),
    };
    if !is_listed(last) {
        return None;
    }
    let mut parts: Vec<String> = match imported {
        Some(path) => path.to_vec(),
        None => vec![root.id.to_string()],
    };
    parts.extend(attributes.iter().rev().map(|&name| name.to_owned()));
    let arguments = &call.arguments;
    let given: Vec<&Expr> = arguments
        .args
        .iter()
        .chain(arguments.keywords.iter().map(|keyword| &keyword.value))
        .collect();
    let seeded = given
        .iter()
        .any(|argument| !matches!(argument, Expr::NoneLiteral(_)))
        && !given.iter().any(|argument| calls_a_seed_source(argument));
    Some(NamedCall {
        callee: parts,
        seeded,
    })
}
