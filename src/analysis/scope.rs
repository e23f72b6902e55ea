//! The analyzer's state and Python's name resolution, for the tree walk in `walk`.
//!
//! Scopes form a stack: the module (the cell's top level) at the bottom, then classes,
//! functions and lambdas, comprehensions, and annotation scopes (PEP 695 type
//! parameters). A name is resolved where it is used:
//!
//! - the module and class bodies run top to bottom, so they track the names they have
//!   definitely bound so far (a [`Flow`]); a name read there that is not yet bound
//!   falls through to the enclosing scope (for the module: it is a read of the cell);
//! - which names a function binds is only known at its end (any assignment anywhere in
//!   its body makes a name local), so a function buffers the names used in it and
//!   resolves them when it ends: locals are dropped, `global` names go straight to the
//!   module, the rest continue to the enclosing scope;
//! - comprehension and annotation scopes know their names up front (iteration targets,
//!   type parameters) and filter immediately;
//! - class scopes are invisible from the scopes nested in them (a method reading `x`
//!   reads the global `x`, not the class attribute).
//!
//! Names reaching the module from a `def` (or a named lambda, or a method) are the reads
//! of the top-level definition being walked, not of the cell: they happen when it is
//! called. Names from immediately evaluated code (comprehensions, class bodies, lambdas
//! that are not named definitions, which are assumed to be called) are reads of the
//! cell, unless the cell definitely bound them before.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

use ruff_python_ast as ast;
use ruff_python_ast::name::Name;
use ruff_python_parser::{parse_unchecked, Mode, ParseOptions};

use super::guard;
use super::ipython;
use super::mutation::MutationScan;
use super::unreproducible::NamedCall;
use super::{CellAnalysis, Definition, DefinitionKind};

/// The deepest recursion of the walk (statements, expressions, targets, patterns).
///
/// [`guard::check`] keeps every accepted source at most [`guard::MAX_DEPTH`] levels deep
/// by its estimate; the walk recurses at most about once per level it counts, so this
/// leaves room for the estimate's slack and for code nested in magics. Reaching it
/// stops the walk and reports the cell as too deeply nested.
const MAX_WALK_DEPTH: usize = 2 * guard::MAX_DEPTH + 64;

/// The deepest nesting of code strings run by magics (`%time` inside `%%capture` ...);
/// deeper code makes the cell dynamic.
const MAX_MAGIC_DEPTH: usize = 4;

/// A small, fast hasher for names (the multiply-rotate hash of rustc's `FxHasher`):
/// names are short and not attacker-chosen in a way that matters here.
#[derive(Default, Clone, Copy)]
pub(super) struct FxHasher {
    hash: u64,
}

impl FxHasher {
    const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(Self::SEED);
    }
}

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut rest = bytes;
        while let Some((word, tail)) = rest.split_first_chunk::<8>() {
            self.add(u64::from_le_bytes(*word));
            rest = tail;
        }
        if let Some((word, tail)) = rest.split_first_chunk::<4>() {
            self.add(u64::from(u32::from_le_bytes(*word)));
            rest = tail;
        }
        for &byte in rest {
            self.add(u64::from(byte));
        }
    }

    fn write_u8(&mut self, byte: u8) {
        self.add(u64::from(byte));
    }

    fn write_usize(&mut self, value: usize) {
        self.add(value as u64);
    }

    fn finish(&self) -> u64 {
        self.hash
    }
}

/// A hash set keyed with [`FxHasher`].
pub(super) type FastSet<T> = HashSet<T, BuildHasherDefault<FxHasher>>;
/// A hash map keyed with [`FxHasher`].
pub(super) type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

/// The names of a set, as the public API's sorted strings.
fn sorted(names: FastSet<Name>) -> BTreeSet<String> {
    names.into_iter().map(String::from).collect()
}

/// Calls sorted, each once, as the public API gives them.
fn sorted_calls(mut calls: Vec<NamedCall>) -> Vec<NamedCall> {
    calls.sort_unstable();
    calls.dedup();
    calls
}

/// Adds `name` to an output set, allocating only if it is new.
fn add(set: &mut BTreeSet<String>, name: &str) {
    if !set.contains(name) {
        set.insert(name.to_owned());
    }
}

/// The names a module or class body has definitely bound so far.
///
/// Branches (`if`, loops, `try`, `match`, conditional expressions) work on the same set:
/// [`Flow::mark`] before, [`Flow::restore`] after, which unbinds what the branch bound.
/// Unbinding (`del`) is permanent, since the branch may have run.
#[derive(Default)]
struct Flow {
    bound: FastSet<Name>,
    /// Names in the order they were newly bound, for `restore`.
    log: Vec<Name>,
}

impl Flow {
    fn contains(&self, name: &str) -> bool {
        self.bound.contains(name)
    }

    fn bind(&mut self, name: &Name) {
        if self.bound.insert(name.clone()) {
            self.log.push(name.clone());
        }
    }

    fn unbind(&mut self, name: &str) {
        self.bound.remove(name);
    }

    fn mark(&self) -> usize {
        self.log.len()
    }

    fn restore(&mut self, mark: usize) {
        if mark < self.log.len() {
            for name in self.log.drain(mark..) {
                self.bound.remove(&name);
            }
        }
    }
}

/// What kind of scope a [`Scope`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    /// The cell's top level.
    Module,
    /// A class body, or the namespace of code run by a magic outside the top level.
    Class,
    /// A function or lambda body. `deferred` when it runs only when called (a `def`, a
    /// named lambda): its reads then belong to the definition, not to the cell.
    Function { deferred: bool },
    /// A list, set or dict comprehension or a generator expression.
    Comprehension,
    /// The annotation scope holding PEP 695 type parameters.
    Annotation,
}

/// One scope on the stack.
pub(super) struct Scope {
    pub(super) kind: Kind,
    /// Module and class: names definitely bound so far.
    flow: Flow,
    /// Function: names bound anywhere in it; comprehension: iteration targets;
    /// annotation: type parameters.
    pub(super) names: FastSet<Name>,
    /// Names declared `global` (function and class).
    pub(super) globals: Vec<Name>,
    /// Names declared `nonlocal` (function and class).
    pub(super) nonlocals: Vec<Name>,
    /// Function: names used in it and in its nested scopes, with whether each use is a
    /// call, resolved when it ends.
    pub(super) uses: Vec<(Name, bool)>,
    /// Names bound here by an `import` or `from ... import`, with the dotted path of what
    /// they were bound to (`import numpy.random as npr`: `npr`, `numpy.random`), so a
    /// call through an alias names what it calls (`unreproducible`).
    pub(super) imported: Vec<(Name, Vec<String>)>,
}

impl Scope {
    /// An empty scope of `kind`.
    pub(super) fn new(kind: Kind) -> Self {
        Self {
            kind,
            flow: Flow::default(),
            names: FastSet::default(),
            globals: Vec::new(),
            nonlocals: Vec::new(),
            uses: Vec::new(),
            imported: Vec::new(),
        }
    }
}

/// Why a source could not be analysed.
pub(super) struct SourceError {
    /// Byte offset of the problem in the source.
    pub(super) offset: usize,
    /// A message for the user.
    pub(super) message: String,
}

/// How code run by a magic is scoped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum CodeMode {
    /// Run in the user namespace like a cell (`%time`, `%prun`, `%%capture`).
    Exec,
    /// Run inside a function (`%timeit`): it reads globals but binds only locals.
    Timeit,
}

/// The walker. It owns everything it collects (names are cheap reference-counted or
/// inline strings), so code strings found in magics can be parsed and walked by the same
/// walker in the current scope.
pub(super) struct Analyzer {
    pub(super) scopes: Vec<Scope>,
    pub(super) reads: FastSet<Name>,
    pub(super) binds: FastSet<Name>,
    pub(super) deletes: FastSet<Name>,
    pub(super) imports: FastSet<Name>,
    pub(super) star_imports: FastSet<Name>,
    pub(super) calls: FastSet<Name>,
    pub(super) dynamic: bool,
    pub(super) definitions: Vec<Definition>,
    /// Index in `definitions` of each defined name.
    pub(super) definition_index: FastMap<Name, usize>,
    /// The top-level definition whose body is being walked, if any.
    pub(super) current_definition: Option<usize>,
    /// Current recursion depth of the walk.
    pub(super) depth: usize,
    /// The walk reached [`MAX_WALK_DEPTH`] and skipped part of the tree.
    pub(super) too_deep: bool,
    /// Current nesting of code strings run by magics.
    pub(super) magic_depth: usize,
    /// Names the cell may change in place (a separate pass over each parsed source).
    mutations: MutationScan,
    /// Calls made now to callees that may be unreproducible (`unreproducible`).
    pub(super) named_calls: Vec<NamedCall>,
    /// Generator expressions being walked past their first iterable: code that runs only
    /// when (and if) they are consumed.
    pub(super) lazy_generators: usize,
}

impl Analyzer {
    /// An analyzer at the top level of an empty cell.
    pub(super) fn new() -> Self {
        // Cells rarely nest scopes more than a few levels deep.
        let mut scopes = Vec::with_capacity(8);
        let mut module = Scope::new(Kind::Module);
        module.flow.bound.reserve(32);
        scopes.push(module);
        Self {
            scopes,
            // Sized for a typical cell, to spare the first few rehashes.
            reads: FastSet::with_capacity_and_hasher(32, BuildHasherDefault::default()),
            binds: FastSet::with_capacity_and_hasher(32, BuildHasherDefault::default()),
            deletes: FastSet::default(),
            imports: FastSet::default(),
            star_imports: FastSet::default(),
            calls: FastSet::with_capacity_and_hasher(16, BuildHasherDefault::default()),
            dynamic: false,
            definitions: Vec::new(),
            definition_index: FastMap::default(),
            current_definition: None,
            depth: 0,
            too_deep: false,
            magic_depth: 0,
            mutations: MutationScan::default(),
            named_calls: Vec::new(),
            lazy_generators: 0,
        }
    }

    /// Analyses a whole cell; the error is the cell's parse error.
    pub(super) fn run_cell(&mut self, code: &str) -> Result<(), SourceError> {
        self.run_source(code)?;
        if self.too_deep {
            return Err(SourceError {
                offset: 0,
                message: "code nested too deeply to analyse".to_owned(),
            });
        }
        Ok(())
    }

    /// The collected facts.
    pub(super) fn finish(self) -> CellAnalysis {
        let mutations = self.mutations.finish();
        CellAnalysis {
            parse_error: None,
            reads: sorted(self.reads),
            binds: sorted(self.binds),
            deletes: sorted(self.deletes),
            imports: sorted(self.imports),
            star_imports: sorted(self.star_imports),
            definitions: self
                .definitions
                .into_iter()
                .map(|definition| Definition {
                    maybe_unreproducible_calls: sorted_calls(definition.maybe_unreproducible_calls),
                    ..definition
                })
                .collect(),
            calls: sorted(self.calls),
            mutates: sorted(mutations.mutates),
            mutates_directly: sorted(mutations.direct),
            stores_through: sorted(mutations.stores_through),
            dynamic: self.dynamic,
            maybe_unreproducible_calls: sorted_calls(self.named_calls),
        }
    }

    /// Parses and walks `code` (a cell, or code run by a magic) in the current scope.
    ///
    /// A leading `%%magic` line makes the rest of the source that magic's body, as in
    /// IPython, so the body is not parsed as Python here.
    fn run_source(&mut self, code: &str) -> Result<(), SourceError> {
        if let Some(magic) = ipython::leading_cell_magic(code) {
            self.cell_magic(magic.name, magic.line, magic.body);
            return Ok(());
        }
        guard::check(code).map_err(|error| SourceError {
            offset: error.offset,
            message: error.message,
        })?;
        // Module mode, not the parser's IPython mode: that mode panics on some inputs
        // (`match ( } \r ?` reaches an `unreachable!`), and the host transforms IPython
        // syntax before the source gets here.
        let options =
            ParseOptions::from(Mode::Module).with_target_version(ast::PythonVersion::PY314);
        let parsed = parse_unchecked(code, options);
        if let Some(error) = parsed.errors().first() {
            return Err(SourceError {
                offset: error.location.start().to_usize(),
                message: error.error.to_string(),
            });
        }
        if let ast::Mod::Module(module) = parsed.syntax() {
            self.visit_body(&module.body);
            self.mutations.scan(&module.body);
        }
        Ok(())
    }

    /// Runs code found in a magic, scoped as `mode` says; code that cannot be analysed
    /// (it does not parse, or magics nest too deeply) makes the cell dynamic.
    pub(super) fn run_code(&mut self, code: &str, mode: CodeMode) {
        if self.magic_depth >= MAX_MAGIC_DEPTH {
            self.mark_dynamic();
            return;
        }
        // Code run like a cell binds in the module when the magic runs at the top level;
        // elsewhere it runs in a namespace of its own that falls back to the enclosing
        // scopes, which is how a class body behaves.
        let scope = match mode {
            CodeMode::Exec if self.scopes.len() == 1 => None,
            CodeMode::Exec => Some(Kind::Class),
            CodeMode::Timeit => Some(Kind::Function { deferred: false }),
        };
        if let Some(kind) = scope {
            self.scopes.push(Scope::new(kind));
        }
        self.magic_depth += 1;
        let result = self.run_source(code);
        self.magic_depth -= 1;
        match scope {
            Some(Kind::Function { .. }) => self.end_function(),
            Some(_) => {
                self.scopes.pop();
            }
            None => {}
        }
        if result.is_err() {
            self.mark_dynamic();
        }
    }

    // ----- recursion guard -----

    /// Enters one level of recursion; false (and nothing entered) past the limit.
    pub(super) fn enter(&mut self) -> bool {
        if self.depth >= MAX_WALK_DEPTH {
            self.too_deep = true;
            return false;
        }
        self.depth += 1;
        true
    }

    /// Leaves a level entered with [`Analyzer::enter`].
    pub(super) fn leave(&mut self) {
        self.depth -= 1;
    }

    // ----- scopes and names -----

    /// The kind of the innermost scope.
    pub(super) fn top_kind(&self) -> Kind {
        self.scopes.last().map_or(Kind::Module, |scope| scope.kind)
    }

    /// Whether the walk is at the cell's top level (also inside top-level blocks).
    pub(super) fn at_module(&self) -> bool {
        self.scopes.len() == 1
    }

    /// Whether the walk is inside code that runs only when a definition is called.
    pub(super) fn in_deferred(&self) -> bool {
        self.scopes
            .iter()
            .any(|scope| scope.kind == Kind::Function { deferred: true })
    }

    /// Whether code walked here runs now, as the cell runs: not in a function or lambda
    /// body, nor in the lazy part of a generator expression.
    pub(super) fn runs_now(&self) -> bool {
        self.lazy_generators == 0
            && !self
                .scopes
                .iter()
                .any(|scope| matches!(scope.kind, Kind::Function { .. }))
    }

    /// Whether `locals()` here would be the module namespace: no function or class
    /// scope encloses the walk.
    pub(super) fn locals_are_globals(&self) -> bool {
        !self
            .scopes
            .iter()
            .any(|scope| matches!(scope.kind, Kind::Function { .. } | Kind::Class))
    }

    /// A snapshot of the current flow, for [`Analyzer::restore`] after a branch.
    pub(super) fn mark(&self) -> usize {
        self.scopes.last().map_or(0, |scope| scope.flow.mark())
    }

    /// Ends a branch started at `mark`: unbinds what it bound.
    pub(super) fn restore(&mut self, mark: usize) {
        if let Some(scope) = self.scopes.last_mut() {
            scope.flow.restore(mark);
        }
    }

    /// The top-level definition whose body is being walked, if any.
    pub(super) fn current_definition_mut(&mut self) -> Option<&mut Definition> {
        self.current_definition
            .and_then(|index| self.definitions.get_mut(index))
    }

    /// Marks the cell dynamic, or the definition being walked if the code runs only when
    /// it is called.
    pub(super) fn mark_dynamic(&mut self) {
        if self.in_deferred() {
            if let Some(definition) = self.current_definition_mut() {
                definition.dynamic = true;
                return;
            }
        }
        self.dynamic = true;
    }

    /// A use (read, or call if `call`) of `name` in the current scope.
    pub(super) fn use_name(&mut self, name: &Name, call: bool) {
        let top = self.scopes.len().saturating_sub(1);
        self.resolve(top, name, call, false, false);
    }

    /// Resolves a use of `name` starting at scope `start`. `from_child` when the use comes
    /// from a scope nested in `start` (class scopes are then skipped); `deferred` when it
    /// happens only when a definition is called.
    fn resolve(
        &mut self,
        start: usize,
        name: &Name,
        call: bool,
        deferred: bool,
        mut from_child: bool,
    ) {
        let mut index = start;
        loop {
            let Some(scope) = self.scopes.get_mut(index) else {
                return;
            };
            match scope.kind {
                Kind::Module => {
                    self.module_use(name, call, deferred);
                    return;
                }
                Kind::Function { .. } => {
                    // Consecutive uses of one name are common (`x.a + x.b`); one entry
                    // is enough unless the second is a call.
                    let repeated = scope
                        .uses
                        .last()
                        .is_some_and(|(last, last_call)| last == name && *last_call == call);
                    if !repeated {
                        scope.uses.push((name.clone(), call));
                    }
                    return;
                }
                Kind::Comprehension | Kind::Annotation => {
                    if scope.names.contains(name) {
                        return;
                    }
                }
                Kind::Class => {
                    if !from_child {
                        if scope.globals.contains(name) {
                            let deferred = self.in_deferred();
                            self.module_use(name, call, deferred);
                            return;
                        }
                        if !scope.nonlocals.contains(name) && scope.flow.contains(name) {
                            return;
                        }
                    }
                }
            }
            if index == 0 {
                return;
            }
            index -= 1;
            from_child = true;
        }
    }

    /// A use of the global `name`.
    fn module_use(&mut self, name: &Name, call: bool, deferred: bool) {
        if deferred {
            if let Some(definition) = self.current_definition_mut() {
                add(&mut definition.reads, name);
                if call {
                    add(&mut definition.calls, name);
                }
                return;
            }
        }
        let bound = self
            .scopes
            .first()
            .is_some_and(|module| module.flow.contains(name));
        if !bound {
            self.reads.insert(name.clone());
            if call {
                self.calls.insert(name.clone());
            }
        }
        self.expand(name);
    }

    /// The cell refers to `name` now: if the cell defines a function or class of that
    /// name, the cell may call it, so add what it reads and calls (and through it, the
    /// other definitions of the cell it refers to), except names the cell has definitely
    /// bound by now.
    pub(super) fn expand(&mut self, name: &str) {
        if self.definitions.is_empty() {
            return;
        }
        let Some(&start) = self.definition_index.get(name) else {
            return;
        };
        let mut pending = vec![start];
        let mut seen = vec![start];
        let bound = self.scopes.first().map(|module| &module.flow);
        while let Some(index) = pending.pop() {
            let Some(definition) = self.definitions.get(index) else {
                continue;
            };
            self.dynamic |= definition.dynamic;
            for read in &definition.reads {
                if !bound.is_some_and(|flow| flow.contains(read)) {
                    self.reads.insert(Name::new(read));
                }
                if let Some(&next) = self.definition_index.get(read.as_str()) {
                    if !seen.contains(&next) {
                        seen.push(next);
                        pending.push(next);
                    }
                }
            }
            for call in &definition.calls {
                if !bound.is_some_and(|flow| flow.contains(call)) {
                    self.calls.insert(Name::new(call));
                }
            }
        }
    }

    /// Binds `name` in the current scope.
    pub(super) fn store_name(&mut self, name: &Name) {
        let in_deferred = self.in_deferred();
        let Some(scope) = self.scopes.last_mut() else {
            return;
        };
        match scope.kind {
            Kind::Module => {
                scope.flow.bind(name);
                self.binds.insert(name.clone());
            }
            Kind::Class => {
                if scope.globals.contains(name) {
                    self.global_write(name, in_deferred);
                } else {
                    scope.flow.bind(name);
                }
            }
            Kind::Function { .. } => {
                scope.names.insert(name.clone());
            }
            // Comprehension targets are collected up front; nothing else binds in an
            // annotation scope.
            Kind::Comprehension | Kind::Annotation => {}
        }
    }

    /// Unbinds `name` in the current scope (`del name`, the end of an `except ... as`).
    pub(super) fn delete_name(&mut self, name: &Name) {
        let in_deferred = self.in_deferred();
        let Some(scope) = self.scopes.last_mut() else {
            return;
        };
        match scope.kind {
            Kind::Module => {
                scope.flow.unbind(name);
                self.deletes.insert(name.clone());
            }
            Kind::Class => {
                if scope.globals.contains(name) {
                    self.global_write(name, in_deferred);
                } else {
                    scope.flow.unbind(name);
                }
            }
            // `del x` makes `x` local like an assignment does.
            Kind::Function { .. } => {
                scope.names.insert(name.clone());
            }
            Kind::Comprehension | Kind::Annotation => {}
        }
    }

    /// The dotted path `name` was imported as in the innermost scope that imported it,
    /// if any. A later rebinding of it in the cell is not seen: a call through it is then
    /// named by the import (rare; the host resolves the name it is given).
    pub(super) fn imported_path(&self, name: &str) -> Option<&[String]> {
        self.scopes.iter().rev().find_map(|scope| {
            scope
                .imported
                .iter()
                .rev()
                .find(|(bound, _)| bound.as_str() == name)
                .map(|(_, path)| path.as_slice())
        })
    }

    /// Notes that `name` was imported as `path` in the current scope.
    pub(super) fn note_import_path(&mut self, name: &Name, path: Vec<String>) {
        if let Some(scope) = self.scopes.last_mut() {
            scope.imported.push((name.clone(), path));
        }
    }

    /// Binds `name` by an import in the current scope.
    pub(super) fn import_name(&mut self, name: &Name) {
        if self.at_module() {
            if let Some(module) = self.scopes.first_mut() {
                module.flow.bind(name);
            }
            self.imports.insert(name.clone());
        } else {
            self.store_name(name);
        }
    }

    /// A write to the global `name` through a `global` declaration.
    fn global_write(&mut self, name: &Name, deferred: bool) {
        if deferred {
            if let Some(definition) = self.current_definition_mut() {
                add(&mut definition.global_writes, name);
                return;
            }
        }
        self.binds.insert(name.clone());
    }

    /// Ends the function scope on top of the stack and resolves the names used in it.
    pub(super) fn end_function(&mut self) {
        let Some(scope) = self.scopes.pop() else {
            return;
        };
        let deferred = scope.kind == Kind::Function { deferred: true };
        let parent = self.scopes.len().saturating_sub(1);
        for (name, call) in &scope.uses {
            if scope.globals.contains(name) {
                self.module_use(name, *call, deferred);
            } else if scope.nonlocals.contains(name) || !scope.names.contains(name) {
                self.resolve(parent, name, *call, deferred, true);
            }
        }
        for name in &scope.globals {
            if scope.names.contains(name) {
                self.global_write(name, deferred);
            }
        }
    }

    /// Starts (or, for a name defined twice, reopens) the top-level definition `name`
    /// and makes it current; returns the previous current definition.
    pub(super) fn begin_definition(&mut self, name: &Name, kind: DefinitionKind) -> Option<usize> {
        let previous = self.current_definition;
        let index = if let Some(&index) = self.definition_index.get(name) {
            if let Some(definition) = self.definitions.get_mut(index) {
                definition.kind = kind;
            }
            index
        } else {
            let index = self.definitions.len();
            self.definitions.push(Definition {
                name: name.to_string(),
                kind,
                reads: BTreeSet::new(),
                global_writes: BTreeSet::new(),
                calls: BTreeSet::new(),
                dynamic: false,
                maybe_unreproducible_calls: Vec::new(),
            });
            self.definition_index.insert(name.clone(), index);
            index
        };
        self.current_definition = Some(index);
        previous
    }
}
