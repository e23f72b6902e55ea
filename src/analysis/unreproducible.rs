//! Calls whose results a re-run may not give back: the system's randomness (`os.urandom`,
//! `uuid.uuid4`, `secrets`) and random generators made without a seed
//! (`np.random.default_rng()`, `random.Random()`).
//!
//! The analysis lists the calls a cell makes *now* (not in the bodies of functions or
//! lambdas it defines, nor past the first iterable of a generator expression, which runs
//! only when consumed) whose callee is a dotted name ending in one of [`CALLEE_NAMES`].
//! The source cannot tell `np.random.default_rng` from a notebook function of that name:
//! the host resolves each dotted name in its namespace after the cell and compares the
//! object it finds with the real functions. Listing too many costs nothing but that look.

use ruff_python_ast::{self as ast, Expr};
use serde::{Deserialize, Serialize};

/// The last names of the callees worth listing: every function or class of the host's
/// tables of unreproducible calls (`unreproducible.py`), and nothing else.
pub const CALLEE_NAMES: &[&str] = &[
    // The system's randomness, whatever the arguments.
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
    // Generators, seeded from the system when called without a seed.
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

/// One call a cell makes at its top level to a callee named in [`CALLEE_NAMES`].
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NamedCall {
    /// The callee's dotted name: `["np", "random", "default_rng"]`.
    pub callee: Vec<String>,
    /// It passes an argument other than a literal `None` (for a generator, a seed).
    pub seeded: bool,
}

/// The call as a [`NamedCall`], if its callee is a dotted name of [`CALLEE_NAMES`].
pub(super) fn named_call(call: &ast::ExprCall) -> Option<NamedCall> {
    let mut parts = Vec::new();
    let mut callee = &*call.func;
    while let Expr::Attribute(attribute) = callee {
        parts.push(attribute.attr.id.as_str());
        callee = &attribute.value;
    }
    let Expr::Name(root) = callee else {
        return None; // `f()()`, `objs[0].choice()`: no dotted name to resolve
    };
    let last = parts.first().copied().unwrap_or(root.id.as_str());
    if !CALLEE_NAMES.contains(&last) {
        return None;
    }
    parts.push(root.id.as_str());
    let arguments = &call.arguments;
    let seeded = !arguments.keywords.is_empty()
        || arguments
            .args
            .iter()
            .any(|argument| !matches!(argument, Expr::NoneLiteral(_)));
    Some(NamedCall {
        callee: parts.into_iter().rev().map(str::to_owned).collect(),
        seeded,
    })
}
