//! The statement, expression, target and pattern visitors of [`Analyzer`].
//!
//! Evaluation order matters for the top-level flow: a value is walked before the targets
//! it is assigned to, and code that may not run (branches, loop bodies, handlers, the
//! right operand of `and`/`or`, the arms of a conditional expression) is walked between
//! [`Analyzer::mark`] and [`Analyzer::restore`].
//!
//! The larger helpers are `#[inline(never)]` so that their locals stay out of the frames
//! of the recursive `visit_stmt` and `visit_expr`: that cut the stack taken per nested
//! statement about fivefold (see `guard` for the budget).

use ruff_python_ast::name::Name;
use ruff_python_ast::{
    self as ast, ExceptHandler, Expr, ExprContext, FStringPart, InterpolatedStringElement,
    InterpolatedStringElements, Pattern, Stmt,
};

use super::ipython;
use super::scope::{Analyzer, FastSet, Kind, Scope};
use super::unreproducible;
use super::DefinitionKind;

/// The module IPython runs cells in: importing it reaches every notebook variable.
const MAIN_MODULE: &str = "__main__";

impl Analyzer {
    // ----- statements -----

    /// Walks statements in order.
    pub(super) fn visit_body(&mut self, body: &[Stmt]) {
        for stmt in body {
            self.visit_stmt(stmt);
        }
    }

    /// Walks `body` as a branch that may not run.
    fn visit_branch(&mut self, body: &[Stmt]) {
        let mark = self.mark();
        self.visit_body(body);
        self.restore(mark);
    }

    /// Walks one statement.
    fn visit_stmt(&mut self, stmt: &Stmt) {
        if !self.enter() {
            return;
        }
        match stmt {
            Stmt::FunctionDef(def) => self.function_def(def),
            Stmt::ClassDef(class) => self.class_def(class),
            Stmt::Return(ret) => self.visit_optional(ret.value.as_deref()),
            Stmt::Delete(del) => {
                for target in &del.targets {
                    self.delete_target(target);
                }
            }
            Stmt::TypeAlias(alias) => self.type_alias(alias),
            Stmt::Assign(assign) => self.assign(assign),
            Stmt::AugAssign(assign) => {
                // `x += v` reads `x`, then binds it; `obj.a += v` reads `obj`.
                if let Expr::Name(name) = &*assign.target {
                    self.use_name(&name.id, false);
                    self.visit_expr(&assign.value);
                    self.store_name(&name.id);
                } else {
                    self.visit_expr(&assign.value);
                    self.store_target(&assign.target);
                }
            }
            Stmt::AnnAssign(assign) => self.ann_assign(assign),
            Stmt::For(for_) => {
                self.visit_expr(&for_.iter);
                let mark = self.mark();
                self.store_target(&for_.target);
                self.visit_body(&for_.body);
                self.restore(mark);
                self.visit_branch(&for_.orelse);
            }
            Stmt::While(while_) => {
                self.visit_expr(&while_.test);
                self.visit_branch(&while_.body);
                self.visit_branch(&while_.orelse);
            }
            Stmt::If(if_) => {
                self.visit_expr(&if_.test);
                self.visit_branch(&if_.body);
                for clause in &if_.elif_else_clauses {
                    // An `elif` test runs only if the earlier tests failed.
                    let mark = self.mark();
                    self.visit_optional(clause.test.as_ref());
                    self.visit_body(&clause.body);
                    self.restore(mark);
                }
            }
            Stmt::With(with) => {
                // The body is treated as straight-line code: a context manager that
                // swallows an exception is rare.
                for item in &with.items {
                    self.visit_expr(&item.context_expr);
                    if let Some(target) = &item.optional_vars {
                        self.store_target(target);
                    }
                }
                self.visit_body(&with.body);
            }
            Stmt::Match(match_) => {
                self.visit_expr(&match_.subject);
                for case in &match_.cases {
                    let mark = self.mark();
                    self.visit_pattern(&case.pattern);
                    self.visit_optional(case.guard.as_deref());
                    self.visit_body(&case.body);
                    self.restore(mark);
                }
            }
            Stmt::Raise(raise) => {
                self.visit_optional(raise.exc.as_deref());
                self.visit_optional(raise.cause.as_deref());
            }
            Stmt::Try(try_) => self.try_stmt(try_),
            Stmt::Assert(assert) => {
                self.visit_expr(&assert.test);
                self.visit_optional(assert.msg.as_deref());
            }
            Stmt::Import(import) => self.import(import),
            Stmt::ImportFrom(import) => self.import_from(import),
            Stmt::Global(global) => self.declare(&global.names, true),
            Stmt::Nonlocal(nonlocal) => self.declare(&nonlocal.names, false),
            Stmt::Expr(expr) => self.visit_expr(&expr.value),
            Stmt::Pass(_) | Stmt::Break(_) | Stmt::Continue(_) => {}
            // Only produced by the parser's IPython mode, which is not used.
            Stmt::IpyEscapeCommand(_) => self.mark_dynamic(),
        }
        self.leave();
    }

    /// `def` and `async def`.
    #[inline(never)]
    fn function_def(&mut self, def: &ast::StmtFunctionDef) {
        // Decorators and defaults run when the `def` runs, in the enclosing scope;
        // annotations too before Python 3.14 (counted conservatively, also for 3.14's
        // lazy annotations), inside the type parameters' scope if there is one.
        for decorator in &def.decorator_list {
            self.visit_expr(&decorator.expression);
        }
        self.parameter_defaults(&def.parameters);
        let top_level = self.at_module();
        let type_scope = self.push_type_params(def.type_params.as_deref());
        self.parameter_annotations(&def.parameters);
        self.visit_optional(def.returns.as_deref());
        let previous = if top_level {
            self.begin_definition(&def.name.id, DefinitionKind::Function)
        } else {
            self.current_definition
        };
        let mut scope = Scope::new(Kind::Function { deferred: true });
        bind_parameters(&def.parameters, &mut scope.names);
        self.scopes.push(scope);
        self.visit_body(&def.body);
        self.end_function();
        self.current_definition = previous;
        if type_scope {
            self.scopes.pop();
        }
        self.store_name(&def.name.id);
        // A decorator receives the function and may call it (`@interact`).
        if top_level && !def.decorator_list.is_empty() {
            self.expand(&def.name.id);
        }
    }

    /// `class`.
    #[inline(never)]
    fn class_def(&mut self, class: &ast::StmtClassDef) {
        for decorator in &class.decorator_list {
            self.visit_expr(&decorator.expression);
        }
        let top_level = self.at_module();
        let type_scope = self.push_type_params(class.type_params.as_deref());
        if let Some(arguments) = &class.arguments {
            self.arguments(arguments);
        }
        let previous = if top_level {
            self.begin_definition(&class.name.id, DefinitionKind::Class)
        } else {
            self.current_definition
        };
        // The class body runs now: its reads are the cell's; its methods' reads are the
        // class definition's.
        self.scopes.push(Scope::new(Kind::Class));
        self.visit_body(&class.body);
        self.scopes.pop();
        self.current_definition = previous;
        if type_scope {
            self.scopes.pop();
        }
        self.store_name(&class.name.id);
        if top_level && !class.decorator_list.is_empty() {
            self.expand(&class.name.id);
        }
    }

    /// Pushes the annotation scope of PEP 695 type parameters, if any, and walks their
    /// bounds and defaults in it (they are lazy, but counted as reads now). Returns
    /// whether a scope was pushed.
    #[inline(never)]
    fn push_type_params(&mut self, params: Option<&ast::TypeParams>) -> bool {
        let Some(params) = params else {
            return false;
        };
        let mut scope = Scope::new(Kind::Annotation);
        for param in &params.type_params {
            scope.names.insert(param.name().id.clone());
        }
        self.scopes.push(scope);
        for param in &params.type_params {
            match param {
                ast::TypeParam::TypeVar(var) => {
                    self.visit_optional(var.bound.as_deref());
                    self.visit_optional(var.default.as_deref());
                }
                ast::TypeParam::TypeVarTuple(var) => self.visit_optional(var.default.as_deref()),
                ast::TypeParam::ParamSpec(spec) => self.visit_optional(spec.default.as_deref()),
            }
        }
        true
    }

    /// `type Alias[T] = value`.
    #[inline(never)]
    fn type_alias(&mut self, alias: &ast::StmtTypeAlias) {
        // The value is evaluated lazily, after the name is bound; it is counted as a
        // read of the cell now.
        self.store_target(&alias.name);
        let type_scope = self.push_type_params(alias.type_params.as_deref());
        self.visit_expr(&alias.value);
        if type_scope {
            self.scopes.pop();
        }
    }

    /// Default values of parameters, evaluated when the function is defined.
    fn parameter_defaults(&mut self, parameters: &ast::Parameters) {
        for parameter in parameters
            .posonlyargs
            .iter()
            .chain(&parameters.args)
            .chain(&parameters.kwonlyargs)
        {
            self.visit_optional(parameter.default.as_deref());
        }
    }

    /// Annotations of parameters (counted as evaluated when the function is defined).
    fn parameter_annotations(&mut self, parameters: &ast::Parameters) {
        for parameter in parameters
            .posonlyargs
            .iter()
            .chain(&parameters.args)
            .chain(&parameters.kwonlyargs)
        {
            self.visit_optional(parameter.parameter.annotation.as_deref());
        }
        for parameter in [&parameters.vararg, &parameters.kwarg]
            .into_iter()
            .flatten()
        {
            self.visit_optional(parameter.annotation.as_deref());
        }
    }

    /// `a = b = value`, or a named lambda.
    #[inline(never)]
    fn assign(&mut self, assign: &ast::StmtAssign) {
        if let ([Expr::Name(target)], Expr::Lambda(lambda)) =
            (assign.targets.as_slice(), &*assign.value)
        {
            if self.at_module() {
                self.named_lambda(&target.id, lambda);
                return;
            }
        }
        self.visit_expr(&assign.value);
        for target in &assign.targets {
            self.store_target(target);
        }
    }

    /// `name = lambda ...` at the top level: a definition like a `def`.
    #[inline(never)]
    fn named_lambda(&mut self, name: &Name, lambda: &ast::ExprLambda) {
        let previous = self.begin_definition(name, DefinitionKind::Lambda);
        self.lambda(lambda, true);
        self.current_definition = previous;
        self.store_name(name);
    }

    /// `target: annotation = value`.
    #[inline(never)]
    fn ann_assign(&mut self, assign: &ast::StmtAnnAssign) {
        // Annotations of a function's local variables are never evaluated; elsewhere
        // they are (lazily in 3.14, counted as reads now).
        let in_function = matches!(self.top_kind(), Kind::Function { .. });
        if !in_function {
            self.visit_expr(&assign.annotation);
        }
        match (&assign.value, &*assign.target) {
            (Some(value), Expr::Name(target)) => {
                if let (Expr::Lambda(lambda), true) = (&**value, self.at_module()) {
                    self.named_lambda(&target.id, lambda);
                } else {
                    self.visit_expr(value);
                    self.store_name(&target.id);
                }
            }
            (Some(value), target) => {
                self.visit_expr(value);
                self.store_target(target);
            }
            // `x: int` binds nothing, but makes `x` local in a function.
            (None, Expr::Name(target)) => {
                if in_function {
                    self.store_name(&target.id);
                }
            }
            // `obj.a: int` evaluates `obj`.
            (None, target) => self.store_target(target),
        }
    }

    /// `try`, `except`, `except*`, `else`, `finally`.
    #[inline(never)]
    fn try_stmt(&mut self, try_: &ast::StmtTry) {
        // The `else` block runs after the whole body.
        let mark = self.mark();
        self.visit_body(&try_.body);
        self.visit_body(&try_.orelse);
        self.restore(mark);
        for handler in &try_.handlers {
            let ExceptHandler::ExceptHandler(handler) = handler;
            let mark = self.mark();
            // `except A, B:` (PEP 758) is a tuple here, like `except (A, B):`.
            self.visit_optional(handler.type_.as_deref());
            if let Some(name) = &handler.name {
                self.store_name(&name.id);
            }
            self.visit_body(&handler.body);
            // Python deletes the `as` name at the end of the handler.
            if let Some(name) = &handler.name {
                self.delete_name(&name.id);
            }
            self.restore(mark);
        }
        self.visit_branch(&try_.finalbody);
    }

    /// `import a.b as c`.
    #[inline(never)]
    fn import(&mut self, import: &ast::StmtImport) {
        for alias in &import.names {
            if alias.name.id.as_str() == MAIN_MODULE {
                // The notebook's namespace as a module: any variable, through its attributes.
                self.mark_dynamic();
            }
            if let Some(asname) = &alias.asname {
                self.import_name(&asname.id);
                let path = alias.name.id.split('.').map(str::to_owned).collect();
                self.note_import_path(&asname.id, path);
            } else {
                // `import a.b.c` binds `a`.
                let full = &alias.name.id;
                match full.split_once('.') {
                    Some((first, _)) => self.import_name(&Name::new(first)),
                    None => self.import_name(full),
                }
            }
        }
    }

    /// `from m import a as b` and `from m import *`.
    #[inline(never)]
    fn import_from(&mut self, import: &ast::StmtImportFrom) {
        if import.level == 0
            && import
                .module
                .as_ref()
                .is_some_and(|m| m.id.as_str() == MAIN_MODULE)
        {
            // `from __main__ import data` reads `data` under another name.
            self.mark_dynamic();
        }
        for alias in &import.names {
            if alias.name.id == "*" {
                let mut module = ".".repeat(import.level as usize);
                if let Some(name) = &import.module {
                    module.push_str(&name.id);
                }
                self.star_imports.insert(Name::new(module));
            } else {
                let bound = alias.asname.as_ref().unwrap_or(&alias.name);
                self.import_name(&bound.id);
                // Absolute imports only: a relative one names a package of the notebook's.
                if let (0, Some(module)) = (import.level, &import.module) {
                    let mut path: Vec<String> = module.id.split('.').map(str::to_owned).collect();
                    path.push(alias.name.id.to_string());
                    self.note_import_path(&bound.id, path);
                }
            }
        }
    }

    /// `global` (or `nonlocal`) declarations; at the top level they change nothing.
    fn declare(&mut self, names: &[ast::Identifier], global: bool) {
        let Some(scope) = self.scopes.last_mut() else {
            return;
        };
        if matches!(scope.kind, Kind::Function { .. } | Kind::Class) {
            let declared = if global {
                &mut scope.globals
            } else {
                &mut scope.nonlocals
            };
            declared.extend(names.iter().map(|name| name.id.clone()));
        }
    }

    // ----- targets -----

    /// Binds an assignment target; attribute and subscript targets read their object.
    fn store_target(&mut self, target: &Expr) {
        if !self.enter() {
            return;
        }
        match target {
            Expr::Name(name) => self.store_name(&name.id),
            Expr::Attribute(attribute) => self.visit_expr(&attribute.value),
            Expr::Subscript(subscript) => {
                self.visit_expr(&subscript.value);
                self.visit_expr(&subscript.slice);
            }
            Expr::Tuple(tuple) => {
                for element in &tuple.elts {
                    self.store_target(element);
                }
            }
            Expr::List(list) => {
                for element in &list.elts {
                    self.store_target(element);
                }
            }
            Expr::Starred(starred) => self.store_target(&starred.value),
            other => self.visit_expr(other),
        }
        self.leave();
    }

    /// A `del` target; `del obj.a` and `del b[0]` read their object.
    fn delete_target(&mut self, target: &Expr) {
        if !self.enter() {
            return;
        }
        match target {
            Expr::Name(name) => self.delete_name(&name.id),
            Expr::Tuple(tuple) => {
                for element in &tuple.elts {
                    self.delete_target(element);
                }
            }
            Expr::List(list) => {
                for element in &list.elts {
                    self.delete_target(element);
                }
            }
            other => self.store_target(other),
        }
        self.leave();
    }

    /// The target of `:=`: in a comprehension it binds in the nearest enclosing function
    /// or module scope (conditionally: the comprehension may not run its body).
    fn walrus_target(&mut self, target: &Expr) {
        let Expr::Name(name) = target else {
            self.store_target(target);
            return;
        };
        if self.top_kind() != Kind::Comprehension {
            self.store_name(&name.id);
            return;
        }
        let owner = self
            .scopes
            .iter_mut()
            .rev()
            .find(|scope| scope.kind != Kind::Comprehension);
        if let Some(owner) = owner {
            match owner.kind {
                Kind::Module => {
                    self.binds.insert(name.id.clone());
                }
                Kind::Function { .. } => {
                    owner.names.insert(name.id.clone());
                }
                // A walrus in a comprehension in a class body is a syntax error.
                Kind::Class | Kind::Comprehension | Kind::Annotation => {}
            }
        }
    }

    // ----- patterns -----

    #[inline(never)]
    fn visit_pattern(&mut self, pattern: &Pattern) {
        if !self.enter() {
            return;
        }
        match pattern {
            Pattern::MatchValue(value) => self.visit_expr(&value.value),
            Pattern::MatchSingleton(_) => {}
            Pattern::MatchSequence(sequence) => {
                for pattern in &sequence.patterns {
                    self.visit_pattern(pattern);
                }
            }
            Pattern::MatchMapping(mapping) => {
                for key in &mapping.keys {
                    self.visit_expr(key);
                }
                for pattern in &mapping.patterns {
                    self.visit_pattern(pattern);
                }
                if let Some(rest) = &mapping.rest {
                    self.store_name(&rest.id);
                }
            }
            Pattern::MatchClass(class) => {
                self.visit_expr(&class.cls);
                for pattern in &class.arguments.patterns {
                    self.visit_pattern(pattern);
                }
                for keyword in &class.arguments.keywords {
                    self.visit_pattern(&keyword.pattern);
                }
            }
            Pattern::MatchStar(star) => {
                if let Some(name) = &star.name {
                    self.store_name(&name.id);
                }
            }
            Pattern::MatchAs(as_) => {
                if let Some(pattern) = &as_.pattern {
                    self.visit_pattern(pattern);
                }
                if let Some(name) = &as_.name {
                    self.store_name(&name.id);
                }
            }
            Pattern::MatchOr(or) => {
                for pattern in &or.patterns {
                    self.visit_pattern(pattern);
                }
            }
        }
        self.leave();
    }

    // ----- expressions -----

    fn visit_optional(&mut self, expr: Option<&Expr>) {
        if let Some(expr) = expr {
            self.visit_expr(expr);
        }
    }

    /// Walks `expr` as a branch that may not run.
    fn visit_conditional(&mut self, expr: &Expr) {
        let mark = self.mark();
        self.visit_expr(expr);
        self.restore(mark);
    }

    /// Walks an expression evaluated in the current scope.
    pub(super) fn visit_expr(&mut self, expr: &Expr) {
        if !self.enter() {
            return;
        }
        match expr {
            Expr::BoolOp(bool_op) => {
                if let Some((first, rest)) = bool_op.values.split_first() {
                    self.visit_expr(first);
                    let mark = self.mark();
                    for value in rest {
                        self.visit_expr(value);
                    }
                    self.restore(mark);
                }
            }
            Expr::Named(named) => {
                self.visit_expr(&named.value);
                self.walrus_target(&named.target);
            }
            Expr::BinOp(bin_op) => {
                self.visit_expr(&bin_op.left);
                self.visit_expr(&bin_op.right);
            }
            Expr::UnaryOp(unary) => self.visit_expr(&unary.operand),
            Expr::Lambda(lambda) => self.lambda(lambda, false),
            Expr::If(if_) => {
                self.visit_expr(&if_.test);
                self.visit_conditional(&if_.body);
                self.visit_conditional(&if_.orelse);
            }
            Expr::Dict(dict) => {
                for item in &dict.items {
                    self.visit_optional(item.key.as_ref());
                    self.visit_expr(&item.value);
                }
            }
            Expr::Set(set) => self.visit_all(&set.elts),
            Expr::List(list) => self.visit_all(&list.elts),
            Expr::Tuple(tuple) => self.visit_all(&tuple.elts),
            Expr::ListComp(comp) => self.comprehension(&comp.generators, &[&comp.elt], false),
            Expr::SetComp(comp) => self.comprehension(&comp.generators, &[&comp.elt], false),
            Expr::Generator(generator) => {
                self.comprehension(&generator.generators, &[&generator.elt], true);
            }
            Expr::DictComp(comp) => match &comp.key {
                Some(key) => self.comprehension(&comp.generators, &[key, &comp.value], false),
                None => self.comprehension(&comp.generators, &[&comp.value], false),
            },
            Expr::Await(await_) => self.visit_expr(&await_.value),
            Expr::Yield(yield_) => self.visit_optional(yield_.value.as_deref()),
            Expr::YieldFrom(yield_from) => self.visit_expr(&yield_from.value),
            Expr::Compare(compare) => {
                self.visit_expr(&compare.left);
                self.visit_all(&compare.comparators);
            }
            Expr::Call(call) => self.call(call),
            Expr::FString(fstring) => {
                for part in &fstring.value {
                    if let FStringPart::FString(part) = part {
                        self.interpolations(&part.elements);
                    }
                }
            }
            Expr::TString(tstring) => {
                for part in &tstring.value {
                    self.interpolations(&part.elements);
                }
            }
            Expr::StringLiteral(_)
            | Expr::BytesLiteral(_)
            | Expr::NumberLiteral(_)
            | Expr::BooleanLiteral(_)
            | Expr::NoneLiteral(_)
            | Expr::EllipsisLiteral(_) => {}
            Expr::Attribute(attribute) => self.visit_expr(&attribute.value),
            Expr::Subscript(subscript) => {
                self.visit_expr(&subscript.value);
                self.visit_expr(&subscript.slice);
            }
            Expr::Starred(starred) => self.visit_expr(&starred.value),
            Expr::Name(name) => match name.ctx {
                ExprContext::Load => self.load_name(&name.id, false),
                ExprContext::Store => self.store_name(&name.id),
                ExprContext::Del => self.delete_name(&name.id),
                ExprContext::Invalid => {}
            },
            Expr::Slice(slice) => {
                self.visit_optional(slice.lower.as_deref());
                self.visit_optional(slice.upper.as_deref());
                self.visit_optional(slice.step.as_deref());
            }
            Expr::IpyEscapeCommand(_) => self.mark_dynamic(),
        }
        self.leave();
    }

    /// Walks expressions in order.
    pub(super) fn visit_all(&mut self, exprs: &[Expr]) {
        for expr in exprs {
            self.visit_expr(expr);
        }
    }

    /// The replacement fields of an f-string or t-string, with nested format specs.
    fn interpolations(&mut self, elements: &InterpolatedStringElements) {
        if !self.enter() {
            return;
        }
        for element in elements {
            if let InterpolatedStringElement::Interpolation(interpolation) = element {
                self.visit_expr(&interpolation.expression);
                if let Some(spec) = &interpolation.format_spec {
                    self.interpolations(&spec.elements);
                }
            }
        }
        self.leave();
    }

    /// A name read in the current scope (`call` if it is called).
    fn load_name(&mut self, name: &Name, call: bool) {
        match name.as_str() {
            // IPython's accessor is not a notebook variable; any use of it other than a
            // known magic or shell call (handled in `call`) can do anything.
            "get_ipython" => {
                self.mark_dynamic();
                return;
            }
            "exec" | "eval" | "globals" | "breakpoint" => self.mark_dynamic(),
            _ => {}
        }
        self.use_name(name, call);
    }

    #[inline(never)]
    fn call(&mut self, call: &ast::ExprCall) {
        // Before IPython's calls: `x = !ls` (`get_ipython().getoutput('ls')`) is listed,
        // by its last name, as a read of what a shell command prints.
        if let Some(named) = unreproducible::named_call(call, |root| self.imported_path(root)) {
            if self.runs_now() {
                self.named_calls.push(named);
            } else if self.in_deferred() {
                // In a definition's body: made by every cell that calls it.
                if let Some(definition) = self.current_definition_mut() {
                    definition.maybe_unreproducible_calls.push(named);
                }
            }
        }
        if let Some(method) = ipython::get_ipython_method(&call.func) {
            self.ipython_call(method, &call.arguments);
            return;
        }
        if let Expr::Name(name) = &*call.func {
            let no_arguments = call.arguments.args.is_empty() && call.arguments.keywords.is_empty();
            // `locals()`, `vars()` and `dir()` are the module namespace at the top level.
            if no_arguments
                && matches!(name.id.as_str(), "locals" | "vars" | "dir")
                && self.locals_are_globals()
            {
                self.mark_dynamic();
            }
            // `__import__('__main__')` is the notebook's own module, as `import __main__`.
            if name.id.as_str() == "__import__"
                && matches!(call.arguments.args.first(), Some(Expr::StringLiteral(module))
                    if module.value.to_str() == MAIN_MODULE)
            {
                self.mark_dynamic();
            }
            self.load_name(&name.id, true);
        } else {
            self.visit_expr(&call.func);
        }
        self.arguments(&call.arguments);
    }

    /// Walks call (or class) arguments.
    pub(super) fn arguments(&mut self, arguments: &ast::Arguments) {
        self.visit_all(&arguments.args);
        for keyword in &arguments.keywords {
            self.visit_expr(&keyword.value);
        }
    }

    /// A lambda; `deferred` for a named lambda (a definition), otherwise it is assumed
    /// to run now.
    #[inline(never)]
    fn lambda(&mut self, lambda: &ast::ExprLambda, deferred: bool) {
        let mut scope = Scope::new(Kind::Function { deferred });
        if let Some(parameters) = &lambda.parameters {
            self.parameter_defaults(parameters);
            bind_parameters(parameters, &mut scope.names);
        }
        self.scopes.push(scope);
        self.visit_expr(&lambda.body);
        self.end_function();
    }

    /// A comprehension producing `results`. The first iterable is evaluated in the
    /// enclosing scope, everything else in the comprehension's own scope; for a
    /// generator expression (`lazy`), only when it is consumed.
    #[inline(never)]
    fn comprehension(&mut self, generators: &[ast::Comprehension], results: &[&Expr], lazy: bool) {
        let Some(first) = generators.first() else {
            for result in results {
                self.visit_expr(result);
            }
            return;
        };
        self.visit_expr(&first.iter);
        self.lazy_generators += usize::from(lazy);
        let mut scope = Scope::new(Kind::Comprehension);
        for generator in generators {
            collect_target_names(&generator.target, &mut scope.names);
        }
        self.scopes.push(scope);
        for (index, generator) in generators.iter().enumerate() {
            if index > 0 {
                self.visit_expr(&generator.iter);
            }
            self.store_target(&generator.target);
            for condition in &generator.ifs {
                self.visit_expr(condition);
            }
        }
        for result in results {
            self.visit_expr(result);
        }
        self.scopes.pop();
        self.lazy_generators -= usize::from(lazy);
    }
}

/// Binds every parameter name of a function or lambda into its scope's names.
fn bind_parameters(parameters: &ast::Parameters, names: &mut FastSet<Name>) {
    for parameter in parameters {
        names.insert(parameter.name().id.clone());
    }
}

/// The names bound by a comprehension's iteration target.
fn collect_target_names(target: &Expr, names: &mut FastSet<Name>) {
    match target {
        Expr::Name(name) => {
            names.insert(name.id.clone());
        }
        Expr::Tuple(tuple) => {
            for element in &tuple.elts {
                collect_target_names(element, names);
            }
        }
        Expr::List(list) => {
            for element in &list.elts {
                collect_target_names(element, names);
            }
        }
        Expr::Starred(starred) => collect_target_names(&starred.value, names),
        _ => {}
    }
}
