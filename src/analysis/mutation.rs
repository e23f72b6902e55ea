//! Which names a cell may change in place: the host fingerprints only those (and what
//! shares objects with them) before and after the cell, instead of everything it reads.
//!
//! A name may be changed in place when it is the root of (`d` in `d['k'].x`):
//! - a subscript or attribute target of an assignment or `del` (`x[0] = 1`, `o.a = 1`);
//! - an augmented assignment's target, names included (`arr += 1` is in place);
//! - the receiver of a method call not known to be pure (`lst.append(1)`), or of any call
//!   with an `inplace=` or `out=` keyword;
//! - an argument of a call not known to be pure (`shuffle(x)`, `f(x)`, `f([x])`), or of
//!   any call that is given a `lambda`.
//!
//! Names bound in the cell from another name's objects pass the mark back to it: after
//! `row = rows[0]` or `for row in rows`, changing `row` may change `rows`. Operands of
//! comparisons and unary operators make new objects and do not link; arithmetic does,
//! conservatively, since `[x] + []` holds `x`; calls link their arguments unless their
//! result is known to be new (`len(x)`, `np.abs(x)`: `fresh_result`). Names bound in
//! earlier cells are linked by the host, through the objects their fingerprints reached.
//! Function and lambda bodies in the cell count as if they ran: a parameter
//! changed inside one is covered at the call, whose arguments are marked unless the
//! callee is known to be pure.
//!
//! Some of these are *direct* changes, which the host records without fingerprinting:
//! subscript and attribute targets and `del`s, augmented assignments, receivers of
//! methods known to change their receiver (`append`, `update`, `sort`, ...) or called
//! with `inplace=`, and `out=` arguments, together with the names they alias through the
//! cell's own bindings (`row = rows[0]`, `for row in rows`, `for k, v in d.items()`). Only
//! code at the cell's top level counts: a function body may never run. A direct change in
//! a branch that did not run is still taken as a change; that costs a little precision
//! (a cell that re-runs in a restore it did not need to), never correctness.
//!
//! Apart from these, the scan lists the roots of the targets a cell stores to at its top
//! level, through calls (`decimal.getcontext().prec = 50`), and of the receivers of known
//! setting methods (`pd.set_option`): `stores_through`, for the host, which fingerprints
//! no module, class or function and takes such a store as a change of it.
//!
//! "Known to be pure" is a fixed list of builtins and of method names that never change
//! their receiver or arguments in Python, numpy and pandas (`len`, `print`, `sum`, `mean`,
//! `groupby`, `copy`, ...). Names like `sort`, `update`, `fit` or `fill` are not on it.
//! Opaque objects (generators, files) are the host's concern: a cell that reads one is
//! taken to change it, whatever this says.

use ruff_python_ast::name::Name;
use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{Comprehension, Expr, Stmt};

use super::scope::{FastMap, FastSet};

/// Builtins that change none of their arguments.
const PURE_FUNCTIONS: &[&str] = &[
    "abs",
    "all",
    "any",
    "ascii",
    "bin",
    "bool",
    "bytes",
    "callable",
    "chr",
    "complex",
    "Counter",
    "defaultdict",
    "deque",
    "dict",
    "display",
    "divmod",
    "enumerate",
    "float",
    "format",
    "frozenset",
    "getattr",
    "hasattr",
    "hash",
    "hex",
    "id",
    "int",
    "isinstance",
    "issubclass",
    "len",
    "list",
    "max",
    "min",
    "oct",
    "OrderedDict",
    "ord",
    "pow",
    "print",
    "range",
    "repr",
    "reversed",
    "round",
    "set",
    "slice",
    "sorted",
    "str",
    "sum",
    "tuple",
    "type",
    "zip",
];

/// Method (and module function) names that change neither their receiver nor their
/// arguments, in the standard types, numpy and pandas.
const PURE_METHODS: &[&str] = &[
    "abs",
    "absolute",
    "add",
    "agg",
    "aggregate",
    "all",
    "allclose",
    "angle",
    "any",
    "arange",
    "arccos",
    "arcsin",
    "arctan",
    "arctan2",
    "argmax",
    "argmin",
    "argsort",
    "argwhere",
    "array",
    "array_equal",
    "array_split",
    "asarray",
    "assign",
    "astype",
    "average",
    "between",
    "bfill",
    "bincount",
    "block",
    "broadcast_to",
    "capitalize",
    "casefold",
    "cbrt",
    "ceil",
    "center",
    "choice",
    "choices",
    "cholesky",
    "clip",
    "column_stack",
    "compile",
    "concat",
    "concatenate",
    "conj",
    "convolve",
    "copy",
    "corr",
    "corrcoef",
    "cos",
    "cosh",
    "count",
    "count_nonzero",
    "Counter",
    "cov",
    "cross",
    "crosstab",
    "cumprod",
    "cumsum",
    "cumulative_prod",
    "cumulative_sum",
    "cut",
    "DataFrame",
    "decode",
    "deepcopy",
    "defaultdict",
    "describe",
    "det",
    "diag",
    "diff",
    "digitize",
    "divide",
    "dot",
    "drop",
    "drop_duplicates",
    "dropna",
    "dstack",
    "dumps",
    "duplicated",
    "eig",
    "eigh",
    "eigvals",
    "eigvalsh",
    "einsum",
    "empty",
    "empty_like",
    "encode",
    "endswith",
    "equal",
    "equals",
    "ewm",
    "exp",
    "exp2",
    "expand_dims",
    "expanding",
    "explode",
    "expm1",
    "eye",
    "ffill",
    "fft",
    "fft2",
    "fftfreq",
    "fftn",
    "fftshift",
    "fillna",
    "find",
    "findall",
    "finditer",
    "first",
    "flatnonzero",
    "flatten",
    "flip",
    "fliplr",
    "flipud",
    "floor",
    "floor_divide",
    "format",
    "full",
    "full_like",
    "fullmatch",
    "gauss",
    "get",
    "get_dummies",
    "gradient",
    "greater",
    "groupby",
    "head",
    "histogram",
    "histogram2d",
    "hsplit",
    "hstack",
    "hypot",
    "identity",
    "idxmax",
    "idxmin",
    "ifft",
    "ifft2",
    "ifftn",
    "ifftshift",
    "imag",
    "index",
    "inner",
    "integers",
    "interp",
    "interpolate",
    "inv",
    "irfft",
    "irfft2",
    "irfftn",
    "isalnum",
    "isalpha",
    "isclose",
    "isdigit",
    "isfinite",
    "isin",
    "isinf",
    "islower",
    "isna",
    "isnan",
    "isnull",
    "isnumeric",
    "isoformat",
    "isreal",
    "isspace",
    "isupper",
    "items",
    "iterrows",
    "itertuples",
    "join",
    "keys",
    "kron",
    "kurt",
    "last",
    "less",
    "linspace",
    "ljust",
    "log",
    "log10",
    "log1p",
    "log2",
    "logical_and",
    "logical_not",
    "logical_or",
    "lower",
    "lstrip",
    "lstsq",
    "mask",
    "match",
    "matmul",
    "matrix_power",
    "matrix_rank",
    "max",
    "maximum",
    "mean",
    "median",
    "melt",
    "merge",
    "meshgrid",
    "min",
    "minimum",
    "mod",
    "mode",
    "most_common",
    "moveaxis",
    "multiply",
    "nanmax",
    "nanmean",
    "nanmedian",
    "nanmin",
    "nanpercentile",
    "nanquantile",
    "nanstd",
    "nansum",
    "nanvar",
    "negative",
    "nlargest",
    "nonzero",
    "norm",
    "normal",
    "not_equal",
    "notna",
    "notnull",
    "nsmallest",
    "nth",
    "nunique",
    "ones",
    "ones_like",
    "OrderedDict",
    "outer",
    "pad",
    "partition",
    "pct_change",
    "percentile",
    "permutation",
    "pinv",
    "pivot",
    "pivot_table",
    "polyfit",
    "polyval",
    "power",
    "prod",
    "product",
    "ptp",
    "qcut",
    "qr",
    "quantile",
    "rand",
    "randint",
    "randn",
    "random",
    "randrange",
    "rank",
    "ravel",
    "read_csv",
    "real",
    "reindex",
    "remainder",
    "rename",
    "repeat",
    "replace",
    "resample",
    "reset_index",
    "reshape",
    "rfft",
    "rfft2",
    "rfftfreq",
    "rfftn",
    "rfind",
    "rindex",
    "rjust",
    "roll",
    "rolling",
    "rot90",
    "round",
    "row_stack",
    "rsplit",
    "rstrip",
    "sample",
    "search",
    "searchsorted",
    "select_dtypes",
    "sem",
    "Series",
    "set_index",
    "shift",
    "sign",
    "sin",
    "sinh",
    "size",
    "skew",
    "slogdet",
    "solve",
    "sort_complex",
    "sort_index",
    "sort_values",
    "split",
    "split_array",
    "splitlines",
    "sqrt",
    "square",
    "squeeze",
    "stack",
    "standard_normal",
    "startswith",
    "std",
    "strftime",
    "strip",
    "sub",
    "subtract",
    "sum",
    "svd",
    "swapaxes",
    "swapcase",
    "tail",
    "tan",
    "tanh",
    "tensordot",
    "tile",
    "title",
    "to_datetime",
    "to_dict",
    "to_frame",
    "to_list",
    "to_numeric",
    "to_numpy",
    "to_string",
    "tolist",
    "trace",
    "transform",
    "transpose",
    "trapezoid",
    "tril",
    "triu",
    "true_divide",
    "uniform",
    "unique",
    "unstack",
    "upper",
    "value_counts",
    "values",
    "var",
    "vdot",
    "vsplit",
    "vstack",
    "where",
    "zeros",
    "zeros_like",
    "zfill",
];

/// Method names that change their receiver whenever they return: the standard
/// containers' mutators, plus numpy's and pandas' in-place ones.
const MUTATING_METHODS: &[&str] = &[
    "add",
    "append",
    "appendleft",
    "clear",
    "difference_update",
    "discard",
    "extend",
    "extendleft",
    "fill",
    "insert",
    "intersection_update",
    "pop",
    "popitem",
    "popleft",
    "put",
    "remove",
    "resize",
    "reverse",
    "rotate",
    "setdefault",
    "sort",
    "symmetric_difference_update",
    "update",
];

/// Methods that change a library's settings: called on a module (`pd.set_option`,
/// `warnings.filterwarnings`, `plt.style.use`, `sns.set`), they store into its state
/// (`Mutations::stores_through`). Not seeds: the global generators' states travel in a
/// checkpoint on their own, and a seed cell re-run would reset them.
const SETTING_METHODS: &[&str] = &[
    "basicConfig",
    "filterwarnings",
    "rc",
    "rcdefaults",
    "reset_option",
    "resetwarnings",
    "set",
    "set_config",
    "set_context",
    "set_default_dtype",
    "set_int_max_str_digits",
    "set_option",
    "set_palette",
    "set_printoptions",
    "set_style",
    "set_theme",
    "setLevel",
    "seterr",
    "setrecursionlimit",
    "simplefilter",
    "use",
];

/// Functions through which a `for` target still holds the iterable's own items
/// (`for i, row in enumerate(rows)`).
const ITEM_PASSING_FUNCTIONS: &[&str] = &[
    "enumerate",
    "iter",
    "list",
    "reversed",
    "sorted",
    "tuple",
    "zip",
];

/// Methods through which a `for` target still holds the receiver's own items.
const ITEM_PASSING_METHODS: &[&str] = &["items", "values"];

/// Builtins whose result holds none of their arguments' objects: it is a number, a
/// string or a bool (`abs` of an array is a new array).
const FRESH_BUILTINS: &[&str] = &[
    "abs",
    "ascii",
    "bin",
    "bool",
    "callable",
    "chr",
    "complex",
    "divmod",
    "float",
    "format",
    "hasattr",
    "hash",
    "hex",
    "id",
    "int",
    "isinstance",
    "issubclass",
    "len",
    "oct",
    "ord",
    "pow",
    "repr",
    "round",
    "str",
];

/// numpy functions (called on the module: `np.abs(x)`, `np.fft.rfft(x)`,
/// `numpy.linalg.inv(m)`) whose result is computed by arithmetic from their arguments,
/// so it holds none of their objects unless given `out=`. Functions that select or
/// rearrange items (`sort`, `where`, `concatenate`, `max`, `reshape`, `asarray`) or may
/// return an argument, an item or a view (`sum` of one object item, `real` and `imag`,
/// `diff` with `n=0`, `linalg.matrix_power` to the power 1: all checked with
/// `np.shares_memory`) are not here: their result may share the arguments' objects.
const FRESH_NUMPY_FUNCTIONS: &[&str] = &[
    "abs",
    "absolute",
    "add",
    "allclose",
    "angle",
    "arccos",
    "arccosh",
    "arcsin",
    "arcsinh",
    "arctan",
    "arctan2",
    "arctanh",
    "array_equal",
    "average",
    "cbrt",
    "ceil",
    "cholesky",
    "conj",
    "convolve",
    "corrcoef",
    "correlate",
    "cos",
    "cosh",
    "count_nonzero",
    "cov",
    "cross",
    "deg2rad",
    "degrees",
    "det",
    "divide",
    "dot",
    "eig",
    "eigh",
    "eigvals",
    "eigvalsh",
    "equal",
    "exp",
    "exp2",
    "expm1",
    "fabs",
    "fft",
    "fft2",
    "fftn",
    "floor",
    "floor_divide",
    "gradient",
    "greater",
    "greater_equal",
    "hypot",
    "ifft",
    "ifft2",
    "ifftn",
    "inner",
    "interp",
    "inv",
    "irfft",
    "irfft2",
    "irfftn",
    "isclose",
    "isfinite",
    "isinf",
    "isnan",
    "kron",
    "less",
    "less_equal",
    "log",
    "log10",
    "log1p",
    "log2",
    "logical_and",
    "logical_not",
    "logical_or",
    "logical_xor",
    "lstsq",
    "matmul",
    "matrix_rank",
    "maximum",
    "mean",
    "minimum",
    "mod",
    "multiply",
    "nanmean",
    "nanstd",
    "nanvar",
    "negative",
    "norm",
    "not_equal",
    "outer",
    "pinv",
    "polyfit",
    "polyval",
    "power",
    "qr",
    "rad2deg",
    "radians",
    "reciprocal",
    "remainder",
    "rfft",
    "rfft2",
    "rfftn",
    "rint",
    "sign",
    "sin",
    "sinh",
    "slogdet",
    "solve",
    "sqrt",
    "square",
    "std",
    "subtract",
    "svd",
    "tan",
    "tanh",
    "tensordot",
    "true_divide",
    "trunc",
    "var",
];

/// The names numpy is imported as, by convention.
const NUMPY_NAMES: &[&str] = &["np", "numpy"];

/// Keywords that make any call write into an argument or its receiver.
const WRITING_KEYWORDS: &[&str] = &["inplace", "out"];

/// Collects, over a cell's statements, the names it may change in place.
#[derive(Default)]
pub(super) struct MutationScan {
    /// Roots of expressions in positions that may change an object in place.
    roots: FastSet<Name>,
    /// Roots of direct changes at the cell's top level (a subset of `roots`).
    direct_roots: FastSet<Name>,
    /// Name -> the names whose objects it may share after the cell bound it.
    shares: FastMap<Name, FastSet<Name>>,
    /// Name -> the names whose object, or one of whose items, the cell bound it to
    /// (a subset of `shares`): a direct change of the name is one of theirs.
    aliases: FastMap<Name, FastSet<Name>>,
    /// Roots of the attribute and subscript targets stored to or deleted at the cell's
    /// top level, through calls too (`mod.X = 1`, `decimal.getcontext().prec = 50`),
    /// and of the receivers of setting methods (`pd.set_option`).
    store_roots: FastSet<Name>,
    /// How many function, lambda or class bodies the scan is inside.
    nested: usize,
}

/// What a cell may change in place.
pub(super) struct Mutations {
    /// Every name it may change in place.
    pub(super) mutates: FastSet<Name>,
    /// Those it changes directly (a subset of `mutates`).
    pub(super) direct: FastSet<Name>,
    /// The roots of what it stores through at its top level (`root_through_calls`).
    pub(super) stores_through: FastSet<Name>,
}

impl MutationScan {
    /// Scans statements (a cell's, or code run by a magic).
    pub(super) fn scan(&mut self, body: &[Stmt]) {
        for stmt in body {
            self.visit_stmt(stmt);
        }
    }

    /// The names the cell may change in place (the roots, and every name they may share
    /// objects with through the cell's own bindings), and those it changes directly (the
    /// direct roots, and the names they alias).
    pub(super) fn finish(self) -> Mutations {
        Mutations {
            mutates: closure(self.roots, &self.shares),
            direct: closure(self.direct_roots, &self.aliases),
            stores_through: self.store_roots,
        }
    }

    fn mark_root(&mut self, expr: &Expr) {
        if let Some(name) = root(expr) {
            self.roots.insert(name.clone());
        }
    }

    /// Marks the root of a direct change; outside the cell's top level, a possible one.
    fn mark_direct(&mut self, expr: &Expr) {
        if let Some(name) = root(expr) {
            self.roots.insert(name.clone());
            if self.nested == 0 {
                self.direct_roots.insert(name.clone());
            }
        }
    }

    /// Marks the root of a store or `del` target, or of a setting method's receiver, at
    /// the cell's top level, through calls.
    fn mark_store(&mut self, target: &Expr) {
        if self.nested == 0 {
            if let Some(name) = root_through_calls(target) {
                self.store_roots.insert(name.clone());
            }
        }
    }

    /// Marks an argument: its root, and the roots of the items of a display.
    fn mark_argument(&mut self, expr: &Expr) {
        match expr {
            Expr::Starred(starred) => self.mark_argument(&starred.value),
            Expr::List(list) => list.elts.iter().for_each(|e| self.mark_argument(e)),
            Expr::Tuple(tuple) => tuple.elts.iter().for_each(|e| self.mark_argument(e)),
            Expr::Set(set) => set.elts.iter().for_each(|e| self.mark_argument(e)),
            Expr::Dict(dict) => {
                for item in &dict.items {
                    if let Some(key) = &item.key {
                        self.mark_argument(key);
                    }
                    self.mark_argument(&item.value);
                }
            }
            other => self.mark_root(other),
        }
    }

    /// Records that the names `target` binds may share objects with those of `value`;
    /// `items` when they get `value`'s items (`for`, comprehensions), not `value` itself.
    fn bind(&mut self, target: &Expr, value: &Expr, items: bool) {
        let mut sources = FastSet::default();
        shared_names(value, &mut sources);
        let mut aliased = FastSet::default();
        if self.nested == 0 {
            if items {
                item_sources(value, &mut aliased);
            } else if let Some(name) = root(value) {
                aliased.insert(name.clone());
            }
        }
        self.bind_names(target, &sources, &aliased);
    }

    fn bind_names(&mut self, target: &Expr, sources: &FastSet<Name>, aliased: &FastSet<Name>) {
        match target {
            Expr::Name(name) => {
                for (links, names) in [(&mut self.shares, sources), (&mut self.aliases, aliased)] {
                    if !names.is_empty() {
                        links
                            .entry(name.id.clone())
                            .or_default()
                            .extend(names.iter().cloned());
                    }
                }
            }
            Expr::Tuple(tuple) => tuple
                .elts
                .iter()
                .for_each(|e| self.bind_names(e, sources, aliased)),
            Expr::List(list) => list
                .elts
                .iter()
                .for_each(|e| self.bind_names(e, sources, aliased)),
            Expr::Starred(starred) => self.bind_names(&starred.value, sources, aliased),
            // `x[0] = v`, `o.a = v`: an in-place change of `x` / `o`.
            other => {
                self.mark_direct(other);
                self.mark_store(other);
            }
        }
    }

    fn call(&mut self, call: &ruff_python_ast::ExprCall) {
        let writes = given(call, WRITING_KEYWORDS);
        // A known mutator changes its receiver, never its arguments (`lst.append(x)` stores
        // `x`; the host sees the sharing in the receiver's reach afterwards).
        let pure = match &*call.func {
            Expr::Name(name) => PURE_FUNCTIONS.contains(&name.id.as_str()),
            Expr::Attribute(attribute) => {
                let method = attribute.attr.as_str();
                if SETTING_METHODS.contains(&method) {
                    self.mark_store(&attribute.value);
                }
                let mutator = MUTATING_METHODS.contains(&method);
                if mutator || given(call, &["inplace"]) {
                    self.mark_direct(&attribute.value);
                } else if !PURE_METHODS.contains(&method) || writes {
                    self.mark_root(&attribute.value);
                }
                mutator || PURE_METHODS.contains(&method)
            }
            _ => false,
        };
        for keyword in &call.arguments.keywords {
            if keyword.arg.as_ref().is_some_and(|a| a.as_str() == "out") {
                self.mark_direct(&keyword.value);
            }
        }
        let gets_lambda = call
            .arguments
            .args
            .iter()
            .chain(call.arguments.keywords.iter().map(|k| &k.value))
            .any(Expr::is_lambda_expr);
        if !pure || writes || gets_lambda {
            for arg in &call.arguments.args {
                self.mark_argument(arg);
            }
            for keyword in &call.arguments.keywords {
                self.mark_argument(&keyword.value);
            }
        }
    }
}

impl<'a> Visitor<'a> for MutationScan {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        match stmt {
            Stmt::Assign(assign) => {
                for target in &assign.targets {
                    self.bind(target, &assign.value, false);
                }
            }
            Stmt::AnnAssign(assign) => {
                if let Some(value) = &assign.value {
                    self.bind(&assign.target, value, false);
                }
            }
            Stmt::AugAssign(assign) => {
                self.mark_direct(&assign.target);
                if !assign.target.is_name_expr() {
                    self.mark_store(&assign.target);
                }
            }
            Stmt::Delete(delete) => {
                for target in &delete.targets {
                    if !target.is_name_expr() {
                        self.mark_direct(target);
                        self.mark_store(target);
                    }
                }
            }
            Stmt::For(for_) => self.bind(&for_.target, &for_.iter, true),
            Stmt::With(with) => {
                for item in &with.items {
                    if let Some(target) = &item.optional_vars {
                        self.bind(target, &item.context_expr, false);
                    }
                }
            }
            Stmt::FunctionDef(_) | Stmt::ClassDef(_) => {
                self.nested += 1;
                visitor::walk_stmt(self, stmt);
                self.nested -= 1;
                return;
            }
            _ => {}
        }
        visitor::walk_stmt(self, stmt);
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        match expr {
            Expr::Call(call) => self.call(call),
            Expr::Named(named) => self.bind(&named.target, &named.value, false),
            Expr::Lambda(_) => {
                self.nested += 1;
                visitor::walk_expr(self, expr);
                self.nested -= 1;
                return;
            }
            _ => {}
        }
        visitor::walk_expr(self, expr);
    }

    fn visit_comprehension(&mut self, comprehension: &'a Comprehension) {
        self.bind(&comprehension.target, &comprehension.iter, true);
        visitor::walk_comprehension(self, comprehension);
    }
}

/// `names` and every name reachable from them through `links`.
fn closure(mut names: FastSet<Name>, links: &FastMap<Name, FastSet<Name>>) -> FastSet<Name> {
    let mut stack: Vec<Name> = names.iter().cloned().collect();
    while let Some(name) = stack.pop() {
        for source in links.get(&name).into_iter().flatten() {
            if names.insert(source.clone()) {
                stack.push(source.clone());
            }
        }
    }
    names
}

/// Whether a call is given one of the `keywords` with anything but a literal `False` or
/// `None` (`inplace=True`, `out=buf`).
fn given(call: &ruff_python_ast::ExprCall, keywords: &[&str]) -> bool {
    call.arguments.keywords.iter().any(|k| {
        k.arg
            .as_ref()
            .is_some_and(|a| keywords.contains(&a.as_str()))
            && !matches!(k.value, Expr::BooleanLiteral(ref b) if !b.value)
            && !k.value.is_none_literal_expr()
    })
}

/// The names whose own items iterating `expr` yields: `rows` in `rows`, `rows[1:]`,
/// `enumerate(rows)`, `zip(a, b)`, `d.items()`.
fn item_sources(expr: &Expr, out: &mut FastSet<Name>) {
    match expr {
        Expr::Call(call) => match &*call.func {
            Expr::Name(name) if ITEM_PASSING_FUNCTIONS.contains(&name.id.as_str()) => {
                call.arguments
                    .args
                    .iter()
                    .for_each(|a| item_sources(a, out));
            }
            Expr::Attribute(attribute)
                if ITEM_PASSING_METHODS.contains(&attribute.attr.as_str()) =>
            {
                item_sources(&attribute.value, out);
            }
            _ => {}
        },
        other => {
            if let Some(name) = root(other) {
                out.insert(name.clone());
            }
        }
    }
}

/// The name at the root of a chain of attributes and subscripts on it (`d` in
/// `d['k'].x`, `df` in `df.loc[0]`), if there is one.
fn root(expr: &Expr) -> Option<&Name> {
    chain_root(expr, false)
}

/// The name at the root of a target, through attributes, subscripts and calls:
/// `decimal` for `decimal.getcontext().prec`, `mod` for `mod.CONFIG['k']`. A store into
/// what a call returned changes state that the callee's owner holds (the context
/// `getcontext()` returns lives in the `decimal` module).
fn root_through_calls(expr: &Expr) -> Option<&Name> {
    chain_root(expr, true)
}

fn chain_root(expr: &Expr, through_calls: bool) -> Option<&Name> {
    let mut current = expr;
    loop {
        match current {
            Expr::Name(name) => return Some(&name.id),
            Expr::Attribute(attribute) => current = &attribute.value,
            Expr::Subscript(subscript) => current = &subscript.value,
            Expr::Starred(starred) => current = &starred.value,
            Expr::Named(named) => current = &named.target,
            Expr::Call(call) if through_calls => current = &call.func,
            _ => return None,
        }
    }
}

/// Names whose objects the value of `expr` may share: every name loaded in it, except
/// operands of unary operators and comparisons, and arguments of calls with a fresh
/// result (`fresh_result`), which make new objects. (Arithmetic operands count:
/// `[x] + []` holds `x`.)
fn shared_names(expr: &Expr, out: &mut FastSet<Name>) {
    struct Collect<'o>(&'o mut FastSet<Name>);
    impl<'a> Visitor<'a> for Collect<'_> {
        fn visit_expr(&mut self, expr: &'a Expr) {
            match expr {
                Expr::Name(name) => {
                    self.0.insert(name.id.clone());
                }
                Expr::UnaryOp(_) | Expr::Compare(_) => {}
                Expr::Call(call) if fresh_result(call) => {}
                other => visitor::walk_expr(self, other),
            }
        }
    }
    Collect(out).visit_expr(expr);
}

/// Whether a call's result holds none of its arguments' objects: a builtin of
/// `FRESH_BUILTINS`, or a function of `FRESH_NUMPY_FUNCTIONS` on numpy or one of its
/// submodules (`np.fft.rfft`), without `out=`. This is what lets `spectrum =
/// np.abs(np.fft.rfft(prices))` followed by `spectrum[...] = 0` leave `prices` alone.
fn fresh_result(call: &ruff_python_ast::ExprCall) -> bool {
    if given(call, &["out"]) {
        return false;
    }
    match &*call.func {
        Expr::Name(name) => FRESH_BUILTINS.contains(&name.id.as_str()),
        Expr::Attribute(attribute) => {
            FRESH_NUMPY_FUNCTIONS.contains(&attribute.attr.as_str())
                && numpy_module(&attribute.value)
        }
        _ => false,
    }
}

/// Whether `expr` is numpy or one of its submodules by name: `np`, `numpy.linalg`,
/// `np.fft`.
fn numpy_module(expr: &Expr) -> bool {
    match expr {
        Expr::Name(name) => NUMPY_NAMES.contains(&name.id.as_str()),
        Expr::Attribute(attribute) => {
            matches!(attribute.attr.as_str(), "fft" | "linalg") && numpy_module(&attribute.value)
        }
        _ => false,
    }
}
