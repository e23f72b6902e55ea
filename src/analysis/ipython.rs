//! IPython: `get_ipython()` calls, escapes (`%magic`, `!shell`, `obj?`) and magics.
//!
//! The host hands over source transformed by IPython, where `%time y = f(x)` has become
//! `get_ipython().run_line_magic('time', 'y = f(x)')`, `!ls` is
//! `get_ipython().system('ls')`, `x = !ls` is `x = get_ipython().getoutput('ls')`,
//! `obj?` is `get_ipython().run_line_magic('pinfo', 'obj')` and a `%%magic` cell is
//! `get_ipython().run_cell_magic('magic', 'line', 'body')`. Of raw IPython syntax only a
//! leading `%%magic` line is understood (IPython hands cell magics their body untransformed,
//! so `%%capture` bodies may start with one); other raw escapes do not parse.
//!
//! Magics fall in three groups:
//! - magics that run Python code given as a string (`time`, `timeit`, `prun`, `capture`):
//!   the code is parsed and analysed in place; `timeit` runs it inside a function, so it
//!   reads globals but binds nothing;
//! - magics known to leave the user namespace alone (`matplotlib`, `pip`, `cd`, shell
//!   commands, display cell magics, ...): harmless, except for the variables IPython
//!   expands in their arguments (`$name`, `{expression}`), which are reads;
//!   `pinfo` (`obj?`) reads the inspected object's name, which costs nothing since such
//!   a cell binds nothing;
//! - everything else (`run`, `store`, `load`, `sx`, `reset`, unknown names, arguments
//!   that are not string literals): the cell is dynamic.

use ruff_python_ast::name::Name;
use ruff_python_ast::{self as ast, Expr};
use ruff_python_parser::{parse_unchecked, Mode, ParseOptions};

use super::guard;
use super::scope::{Analyzer, CodeMode};

/// Line magics that do not touch the user namespace.
const HARMLESS_LINE_MAGICS: &[&str] = &[
    "alias",
    "alias_magic",
    "autoawait",
    "autocall",
    "automagic",
    "autoreload",
    "autosave",
    "bookmark",
    "cat",
    "cd",
    "clear",
    "colors",
    "conda",
    "config",
    "connect_info",
    "cp",
    "dhist",
    "dirs",
    "doctest_mode",
    "gui",
    "hist",
    "history",
    "killbgscripts",
    "ldir",
    "less",
    "lf",
    "lk",
    "ll",
    "load_ext",
    "logoff",
    "logon",
    "logstart",
    "logstate",
    "logstop",
    "ls",
    "lsmagic",
    "lx",
    "magic",
    "mamba",
    "man",
    "matplotlib",
    "micromamba",
    "mkdir",
    "more",
    "mv",
    "notebook",
    "pdb",
    "pip",
    "popd",
    "pprint",
    "precision",
    "psearch",
    "pushd",
    "pwd",
    "quickref",
    "rehashx",
    "reload_ext",
    "rm",
    "rmdir",
    "save",
    "tb",
    "unalias",
    "unload_ext",
    "who",
    "whos",
    "xmode",
];

/// Line magics that inspect an object by name (`obj?` is `pinfo`).
const INSPECT_LINE_MAGICS: &[&str] = &[
    "page", "pdef", "pdoc", "pfile", "pinfo", "pinfo2", "psource",
];

/// Cell magics whose body is not Python and does not touch the user namespace.
const DISPLAY_CELL_MAGICS: &[&str] = &[
    "HTML",
    "file",
    "html",
    "javascript",
    "js",
    "latex",
    "markdown",
    "svg",
    "writefile",
];

/// Cell magics that run their body in another process; `--out`, `--err` and `--proc`
/// name variables they bind.
const SCRIPT_CELL_MAGICS: &[&str] = &[
    "bash", "perl", "pypy", "python", "python2", "python3", "ruby", "script", "sh",
];

/// `%timeit` options (getopt syntax: a colon marks an option with an argument).
const TIMEIT_OPTIONS: &str = "n:r:tcp:qo";
/// `%prun` options.
const PRUN_OPTIONS: &str = "D:l:rs:T:q";

/// If `func` is `get_ipython().<method>`, the method's name.
pub(super) fn get_ipython_method(func: &Expr) -> Option<&str> {
    let Expr::Attribute(attribute) = func else {
        return None;
    };
    let Expr::Call(inner) = &*attribute.value else {
        return None;
    };
    let Expr::Name(name) = &*inner.func else {
        return None;
    };
    let bare = inner.arguments.args.is_empty() && inner.arguments.keywords.is_empty();
    (name.id == "get_ipython" && bare).then_some(attribute.attr.id.as_str())
}

/// The value of a plain string literal.
fn literal(expr: &Expr) -> Option<&str> {
    match expr {
        Expr::StringLiteral(string) => Some(string.value.to_str()),
        _ => None,
    }
}

/// A `%%magic line` at the start of a source, with the rest of the source as its body.
pub(super) struct LeadingCellMagic<'s> {
    pub(super) name: &'s str,
    pub(super) line: &'s str,
    pub(super) body: &'s str,
}

/// The `%%magic` line a raw cell starts with, after blank lines (IPython drops those).
pub(super) fn leading_cell_magic(code: &str) -> Option<LeadingCellMagic<'_>> {
    let mut rest = code;
    loop {
        let (line, after) = match rest.split_once('\n') {
            Some((line, after)) => (line, after),
            None => (rest, ""),
        };
        let trimmed = line.trim();
        if trimmed.is_empty() {
            if after.is_empty() {
                return None;
            }
            rest = after;
            continue;
        }
        let magic = trimmed.strip_prefix("%%")?;
        let (name, line) = magic.split_once(char::is_whitespace).unwrap_or((magic, ""));
        return Some(LeadingCellMagic {
            name,
            line: line.trim(),
            body: after,
        });
    }
}

/// What a line magic does.
enum LineMagic<'s> {
    /// Leaves the namespace alone; its argument's `$name` and `{expression}` are read.
    Harmless,
    /// Inspects the object named by its argument.
    Inspect,
    /// Runs this code like a cell.
    Exec(&'s str),
    /// Runs this code inside a function (`%timeit`).
    Timeit(&'s str),
    /// Unknown effect.
    Dynamic,
}

fn classify_line_magic<'s>(name: &str, line: &'s str) -> LineMagic<'s> {
    match name {
        "time" => strip_long_flags(line, &["--no-raise-error"])
            .map_or(LineMagic::Dynamic, LineMagic::Exec),
        "timeit" => {
            strip_options(line, TIMEIT_OPTIONS).map_or(LineMagic::Dynamic, LineMagic::Timeit)
        }
        "prun" => strip_options(line, PRUN_OPTIONS).map_or(LineMagic::Dynamic, LineMagic::Exec),
        // `%env NAME=value` and `%env NAME value` set a variable; without one it lists
        // or prints.
        "env" => {
            if line.contains('=') || line.split_whitespace().nth(1).is_some() {
                LineMagic::Dynamic
            } else {
                LineMagic::Harmless
            }
        }
        name if INSPECT_LINE_MAGICS.contains(&name) => LineMagic::Inspect,
        name if HARMLESS_LINE_MAGICS.contains(&name) => LineMagic::Harmless,
        _ => LineMagic::Dynamic,
    }
}

/// What a cell magic does.
enum CellMagic<'s> {
    /// Leaves the namespace alone, except for binding these names (`--out NAME`).
    Harmless(Vec<&'s str>),
    /// Runs the body like a cell (`%%time`).
    Exec,
    /// Runs this rest of the line, then the body, like a cell (`%%prun`).
    Prun(&'s str),
    /// Runs the body like a cell and binds the output name, if any (`%%capture`).
    Capture(Option<&'s str>),
    /// Runs this setup line, then the body, inside a function (`%%timeit`).
    Timeit(&'s str),
    /// Unknown effect.
    Dynamic,
}

fn classify_cell_magic<'s>(name: &str, line: &'s str) -> CellMagic<'s> {
    match name {
        // Code after `%%time` on its line is a usage error in IPython 8 and a flag in
        // later versions.
        "time" => match strip_long_flags(line, &["--no-raise-error"]) {
            Some("") => CellMagic::Exec,
            _ => CellMagic::Dynamic,
        },
        "timeit" => {
            strip_options(line, TIMEIT_OPTIONS).map_or(CellMagic::Dynamic, CellMagic::Timeit)
        }
        "prun" => strip_options(line, PRUN_OPTIONS).map_or(CellMagic::Dynamic, CellMagic::Prun),
        "capture" => capture(line),
        name if DISPLAY_CELL_MAGICS.contains(&name) => CellMagic::Harmless(Vec::new()),
        name if SCRIPT_CELL_MAGICS.contains(&name) => {
            script_outputs(line).map_or(CellMagic::Dynamic, CellMagic::Harmless)
        }
        _ => CellMagic::Dynamic,
    }
}

/// Removes leading getopt-style options of `spec` from a magic's line and returns the
/// code after them; `None` if an option is unknown or lacks its argument (IPython then
/// fails with a usage error, but the parsing here is not sure to match IPython's).
fn strip_options<'s>(line: &'s str, spec: &str) -> Option<&'s str> {
    let mut rest = line.trim_start();
    while let Some(options) = rest.strip_prefix('-') {
        if let Some(after) = options.strip_prefix('-') {
            // `--` ends the options; long options are unknown.
            return (after.is_empty() || after.starts_with(char::is_whitespace))
                .then(|| after.trim_start());
        }
        let end = options.find(char::is_whitespace).unwrap_or(options.len());
        let (cluster, mut after) = options.split_at(end);
        if cluster.is_empty() {
            // A lone `-` is not an option: the code starts with it.
            return Some(rest);
        }
        for (index, option) in cluster.char_indices() {
            let position = spec.find(option).filter(|_| option != ':')?;
            if spec
                .get(position + 1..)
                .is_some_and(|tail| tail.starts_with(':'))
            {
                // The argument is the rest of the cluster, or else the next word.
                if index + option.len_utf8() == cluster.len() {
                    let argument = after.trim_start();
                    let end = argument.find(char::is_whitespace).unwrap_or(argument.len());
                    if end == 0 {
                        return None;
                    }
                    after = argument.get(end..).unwrap_or_default();
                }
                break;
            }
        }
        rest = after.trim_start();
    }
    Some(rest)
}

/// Removes the given leading `--flags` from a magic's line; `None` for other `--` flags.
fn strip_long_flags<'s>(line: &'s str, flags: &[&str]) -> Option<&'s str> {
    let mut rest = line.trim();
    while rest.starts_with("--") {
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        let (flag, after) = rest.split_at(end);
        if !flags.contains(&flag) {
            return None;
        }
        rest = after.trim_start();
    }
    Some(rest)
}

/// `%%capture [--no-stderr] [--no-stdout] [--no-display] [name]`, binding `name`;
/// dynamic for any other line.
fn capture(line: &str) -> CellMagic<'_> {
    let mut output = None;
    for word in line.split_whitespace() {
        match word {
            "--no-stderr" | "--no-stdout" | "--no-display" => {}
            word if is_identifier(word) && output.is_none() => output = Some(word),
            _ => return CellMagic::Dynamic,
        }
    }
    CellMagic::Capture(output)
}

/// The variables a script cell magic binds (`--out NAME`, `--err=NAME`, `--proc NAME`);
/// `None` if one of them is not an identifier.
fn script_outputs(line: &str) -> Option<Vec<&str>> {
    let mut outputs = Vec::new();
    let mut words = line.split_whitespace();
    while let Some(word) = words.next() {
        let name = match word.split_once('=') {
            Some(("--out" | "--err" | "--proc", name)) => name,
            None if matches!(word, "--out" | "--err" | "--proc") => words.next()?,
            _ => continue,
        };
        if !is_identifier(name) {
            return None;
        }
        outputs.push(name);
    }
    Some(outputs)
}

fn is_identifier(word: &str) -> bool {
    let mut chars = word.chars();
    chars
        .next()
        .is_some_and(|first| first.is_alphabetic() || first == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_')
}

/// The root name of the object `pinfo` inspects (`obj` in `obj.attr[0]`); `None` for
/// wildcard searches (`np.*load*`).
fn inspected_root(line: &str) -> Option<&str> {
    let line = line.trim();
    if line.contains('*') {
        return None;
    }
    let end = line
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(line.len());
    line.get(..end).filter(|root| is_identifier(root))
}

impl Analyzer {
    /// `get_ipython().<method>(arguments)`.
    pub(super) fn ipython_call(&mut self, method: &str, arguments: &ast::Arguments) {
        // Keyword arguments (`_stack_depth=`, `split=`) do not change what runs.
        for keyword in &arguments.keywords {
            self.visit_expr(&keyword.value);
        }
        let literals: Option<Vec<&str>> = arguments.args.iter().map(literal).collect();
        match (method, literals.as_deref()) {
            ("run_line_magic", Some(&[name, line])) => self.line_magic(name, line),
            ("run_cell_magic", Some(&[name, line, body])) => self.cell_magic(name, line, body),
            ("system" | "getoutput", Some(&[command])) => self.expand_variables(command),
            // A shell command built at run time: its expression is read; the shell does
            // not touch the namespace.
            ("system" | "getoutput", _) => self.visit_all(&arguments.args),
            _ => {
                self.mark_dynamic();
                self.visit_all(&arguments.args);
            }
        }
    }

    /// `%name line`.
    pub(super) fn line_magic(&mut self, name: &str, line: &str) {
        match classify_line_magic(name, line) {
            LineMagic::Harmless => self.expand_variables(line),
            LineMagic::Inspect => {
                if let Some(root) = inspected_root(line) {
                    self.use_name(&Name::new(root), false);
                }
            }
            LineMagic::Exec(code) => self.run_code(code, CodeMode::Exec),
            LineMagic::Timeit(code) => self.run_code(code, CodeMode::Timeit),
            LineMagic::Dynamic => self.mark_dynamic(),
        }
    }

    /// `%%name line` followed by `body`.
    pub(super) fn cell_magic(&mut self, name: &str, line: &str, body: &str) {
        match classify_cell_magic(name, line) {
            CellMagic::Harmless(outputs) => {
                self.expand_variables(line);
                for output in outputs {
                    self.store_name(&Name::new(output));
                }
            }
            CellMagic::Exec => self.run_code(body, CodeMode::Exec),
            CellMagic::Prun(code) => self.run_code(&format!("{code}\n{body}"), CodeMode::Exec),
            CellMagic::Capture(output) => {
                self.run_code(body, CodeMode::Exec);
                if let Some(output) = output {
                    self.store_name(&Name::new(output));
                }
            }
            CellMagic::Timeit(setup) => {
                self.run_code(&format!("{setup}\n{body}"), CodeMode::Timeit);
            }
            CellMagic::Dynamic => self.mark_dynamic(),
        }
    }

    /// Reads of the variables IPython expands in a shell command or magic argument:
    /// `$name` (`$$` escapes a dollar) and `{expression}` (`{{` escapes a brace).
    ///
    /// IPython skips `$name` inside single quotes and evaluates `{...}` only if the
    /// whole string formats; both are ignored here, which only adds reads.
    pub(super) fn expand_variables(&mut self, text: &str) {
        let mut rest = text;
        while let Some(start) = rest.find(['$', '{']) {
            let after = rest.get(start..).unwrap_or_default();
            if let Some(after_dollar) = after.strip_prefix('$') {
                if let Some(escaped) = after_dollar.strip_prefix('$') {
                    rest = escaped
                        .trim_start_matches(|c: char| c.is_alphanumeric() || c == '_' || c == '.');
                    continue;
                }
                let end = after_dollar
                    .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .unwrap_or(after_dollar.len());
                let (root, tail) = after_dollar.split_at(end);
                if is_identifier(root) {
                    self.use_name(&Name::new(root), false);
                }
                rest = tail;
            } else if let Some(escaped) = after.strip_prefix("{{") {
                rest = escaped;
            } else {
                let inner = after.get(1..).unwrap_or_default();
                let Some(end) = matching_brace(inner) else {
                    return;
                };
                let (field, tail) = inner.split_at(end);
                self.expand_field(field);
                rest = tail.get(1..).unwrap_or_default();
            }
        }
    }

    /// Reads of one `{field}` IPython evaluates: the field, else the part before a
    /// conversion (`!r`) or format spec (`:>10`). A field that does not parse is not
    /// evaluated by IPython either.
    fn expand_field(&mut self, field: &str) {
        if self.expand_expression(field) {
            return;
        }
        if let Some(end) = field.find(['!', ':']) {
            self.expand_expression(field.get(..end).unwrap_or_default());
        }
    }

    /// Walks `source` as an expression in the current scope, if it parses.
    fn expand_expression(&mut self, source: &str) -> bool {
        if source.trim().is_empty() || guard::check(source).is_err() {
            return false;
        }
        let parsed = parse_unchecked(source, ParseOptions::from(Mode::Expression));
        if !parsed.errors().is_empty() {
            return false;
        }
        if let ast::Mod::Expression(expression) = parsed.syntax() {
            self.visit_expr(&expression.body);
        }
        true
    }
}

/// The offset of the `}` closing a field whose `{` precedes `text`, counting nested
/// braces.
fn matching_brace(text: &str) -> Option<usize> {
    let mut depth = 0usize;
    for (index, c) in text.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => return Some(index),
            '}' => depth -= 1,
            _ => {}
        }
    }
    None
}
