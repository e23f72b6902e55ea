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
//! conservatively, since `[x] + []` holds `x`. Names bound in earlier cells are linked by
//! the host, through the objects their fingerprints reached. Function and lambda bodies
//! in the cell count as if they ran: a parameter
//! changed inside one is covered at the call, whose arguments are marked unless the
//! callee is known to be pure.
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
    "agg",
    "aggregate",
    "all",
    "allclose",
    "any",
    "arange",
    "argmax",
    "argmin",
    "argsort",
    "array",
    "array_equal",
    "asarray",
    "assign",
    "astype",
    "between",
    "bfill",
    "bincount",
    "capitalize",
    "casefold",
    "ceil",
    "center",
    "choice",
    "choices",
    "clip",
    "compile",
    "concat",
    "concatenate",
    "convolve",
    "copy",
    "corr",
    "cos",
    "count",
    "Counter",
    "cov",
    "cross",
    "crosstab",
    "cumprod",
    "cumsum",
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
    "dot",
    "drop",
    "drop_duplicates",
    "dropna",
    "dumps",
    "duplicated",
    "einsum",
    "empty",
    "encode",
    "endswith",
    "equals",
    "ewm",
    "exp",
    "expanding",
    "explode",
    "eye",
    "ffill",
    "fillna",
    "find",
    "findall",
    "finditer",
    "first",
    "flatten",
    "floor",
    "format",
    "full",
    "fullmatch",
    "gauss",
    "get",
    "get_dummies",
    "groupby",
    "head",
    "histogram",
    "hstack",
    "identity",
    "idxmax",
    "idxmin",
    "index",
    "integers",
    "interp",
    "interpolate",
    "inv",
    "isalnum",
    "isalpha",
    "isclose",
    "isdigit",
    "isfinite",
    "isin",
    "islower",
    "isna",
    "isnan",
    "isnull",
    "isnumeric",
    "isoformat",
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
    "linspace",
    "ljust",
    "log",
    "log10",
    "log2",
    "lower",
    "lstrip",
    "lstsq",
    "mask",
    "match",
    "matmul",
    "max",
    "maximum",
    "mean",
    "median",
    "melt",
    "merge",
    "meshgrid",
    "min",
    "minimum",
    "mode",
    "most_common",
    "nanmax",
    "nanmean",
    "nanmin",
    "nansum",
    "nlargest",
    "norm",
    "normal",
    "notna",
    "notnull",
    "nsmallest",
    "nth",
    "nunique",
    "ones",
    "ones_like",
    "OrderedDict",
    "outer",
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
    "qcut",
    "quantile",
    "rand",
    "randint",
    "randn",
    "random",
    "randrange",
    "rank",
    "ravel",
    "read_csv",
    "reindex",
    "rename",
    "repeat",
    "replace",
    "resample",
    "reset_index",
    "reshape",
    "rfind",
    "rindex",
    "rjust",
    "rolling",
    "round",
    "rsplit",
    "rstrip",
    "sample",
    "search",
    "select_dtypes",
    "sem",
    "Series",
    "set_index",
    "shift",
    "sign",
    "sin",
    "size",
    "skew",
    "solve",
    "sort_index",
    "sort_values",
    "split",
    "splitlines",
    "sqrt",
    "squeeze",
    "stack",
    "standard_normal",
    "startswith",
    "std",
    "strftime",
    "strip",
    "sub",
    "sum",
    "svd",
    "swapcase",
    "tail",
    "tan",
    "tanh",
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
    "uniform",
    "unique",
    "unstack",
    "upper",
    "value_counts",
    "values",
    "var",
    "vstack",
    "where",
    "zeros",
    "zeros_like",
    "zfill",
];

/// Keywords that make any call write into an argument or its receiver.
const WRITING_KEYWORDS: &[&str] = &["inplace", "out"];

/// Collects, over a cell's statements, the names it may change in place.
#[derive(Default)]
pub(super) struct MutationScan {
    /// Roots of expressions in positions that may change an object in place.
    roots: FastSet<Name>,
    /// Name -> the names whose objects it may share after the cell bound it.
    shares: FastMap<Name, FastSet<Name>>,
}

impl MutationScan {
    /// Scans statements (a cell's, or code run by a magic).
    pub(super) fn scan(&mut self, body: &[Stmt]) {
        for stmt in body {
            self.visit_stmt(stmt);
        }
    }

    /// The names the cell may change in place: the roots, and every name they may share
    /// objects with through the cell's own bindings.
    pub(super) fn finish(self) -> FastSet<Name> {
        let mut marked = self.roots;
        let mut stack: Vec<Name> = marked.iter().cloned().collect();
        while let Some(name) = stack.pop() {
            for source in self.shares.get(&name).into_iter().flatten() {
                if marked.insert(source.clone()) {
                    stack.push(source.clone());
                }
            }
        }
        marked
    }

    fn mark_root(&mut self, expr: &Expr) {
        if let Some(name) = root(expr) {
            self.roots.insert(name.clone());
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

    /// Records that the names `target` binds may share objects with those of `value`.
    fn bind(&mut self, target: &Expr, value: &Expr) {
        let mut sources = FastSet::default();
        shared_names(value, &mut sources);
        self.bind_names(target, &sources);
    }

    fn bind_names(&mut self, target: &Expr, sources: &FastSet<Name>) {
        match target {
            Expr::Name(name) => {
                if !sources.is_empty() {
                    self.shares
                        .entry(name.id.clone())
                        .or_default()
                        .extend(sources.iter().cloned());
                }
            }
            Expr::Tuple(tuple) => tuple.elts.iter().for_each(|e| self.bind_names(e, sources)),
            Expr::List(list) => list.elts.iter().for_each(|e| self.bind_names(e, sources)),
            Expr::Starred(starred) => self.bind_names(&starred.value, sources),
            // `x[0] = v`, `o.a = v`: an in-place change of `x` / `o`.
            other => self.mark_root(other),
        }
    }

    fn call(&mut self, call: &ruff_python_ast::ExprCall) {
        let writes = call.arguments.keywords.iter().any(|k| {
            k.arg
                .as_ref()
                .is_some_and(|a| WRITING_KEYWORDS.contains(&a.as_str()))
                && !matches!(k.value, Expr::BooleanLiteral(ref b) if !b.value)
                && !k.value.is_none_literal_expr()
        });
        let pure = match &*call.func {
            Expr::Name(name) => PURE_FUNCTIONS.contains(&name.id.as_str()),
            Expr::Attribute(attribute) => {
                let pure_method = PURE_METHODS.contains(&attribute.attr.as_str());
                if !pure_method || writes {
                    self.mark_root(&attribute.value);
                }
                pure_method
            }
            _ => false,
        };
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
                    self.bind(target, &assign.value);
                }
            }
            Stmt::AnnAssign(assign) => {
                if let Some(value) = &assign.value {
                    self.bind(&assign.target, value);
                }
            }
            Stmt::AugAssign(assign) => self.mark_root(&assign.target),
            Stmt::Delete(delete) => {
                for target in &delete.targets {
                    if !target.is_name_expr() {
                        self.mark_root(target);
                    }
                }
            }
            Stmt::For(for_) => self.bind(&for_.target, &for_.iter),
            Stmt::With(with) => {
                for item in &with.items {
                    if let Some(target) = &item.optional_vars {
                        self.bind(target, &item.context_expr);
                    }
                }
            }
            _ => {}
        }
        visitor::walk_stmt(self, stmt);
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        match expr {
            Expr::Call(call) => self.call(call),
            Expr::Named(named) => self.bind(&named.target, &named.value),
            _ => {}
        }
        visitor::walk_expr(self, expr);
    }

    fn visit_comprehension(&mut self, comprehension: &'a Comprehension) {
        self.bind(&comprehension.target, &comprehension.iter);
        visitor::walk_comprehension(self, comprehension);
    }
}

/// The name at the root of a chain of attributes, subscripts and calls on it
/// (`d` in `d['k'].x`, `df` in `df.loc[0]`), if there is one.
fn root(expr: &Expr) -> Option<&Name> {
    let mut current = expr;
    loop {
        match current {
            Expr::Name(name) => return Some(&name.id),
            Expr::Attribute(attribute) => current = &attribute.value,
            Expr::Subscript(subscript) => current = &subscript.value,
            Expr::Starred(starred) => current = &starred.value,
            Expr::Named(named) => current = &named.target,
            _ => return None,
        }
    }
}

/// Names whose objects the value of `expr` may share: every name loaded in it, except
/// operands of unary operators and comparisons, which make new objects. (Arithmetic
/// operands count: `[x] + []` holds `x`.)
fn shared_names(expr: &Expr, out: &mut FastSet<Name>) {
    struct Collect<'o>(&'o mut FastSet<Name>);
    impl<'a> Visitor<'a> for Collect<'_> {
        fn visit_expr(&mut self, expr: &'a Expr) {
            match expr {
                Expr::Name(name) => {
                    self.0.insert(name.id.clone());
                }
                Expr::UnaryOp(_) | Expr::Compare(_) => {}
                other => visitor::walk_expr(self, other),
            }
        }
    }
    Collect(out).visit_expr(expr);
}
