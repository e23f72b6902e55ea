//! Table-driven tests of the cell analysis: one small snippet per behaviour.
//!
//! Each case lists what it expects in a compact form, checked exactly (a field that is
//! not mentioned must be empty): `reads=a,b binds=x deletes=y imports=np star=os
//! calls=f dynamic`, and definitions as `defs=` entries separated by `;`, each
//! `name:kind reads=.. writes=.. calls=.. dynamic` (kind `fn`, `class` or `lambda`).

use std::collections::BTreeSet;
use std::fmt::Write as _;

use proptest::prelude::*;

use super::*;

struct Case {
    name: &'static str,
    code: &'static str,
    expect: &'static str,
}

const fn case(name: &'static str, code: &'static str, expect: &'static str) -> Case {
    Case { name, code, expect }
}

/// The expected analysis of a case, parsed from its compact form.
fn expected(spec: &str) -> CellAnalysis {
    let (cell, defs) = match spec.split_once("defs=") {
        Some((cell, defs)) => (cell, Some(defs)),
        None => (spec, None),
    };
    let mut analysis = CellAnalysis::default();
    for word in cell.split_whitespace() {
        if word == "dynamic" {
            analysis.dynamic = true;
            continue;
        }
        let (field, names) = word.split_once('=').unwrap_or((word, ""));
        let set = match field {
            "reads" => &mut analysis.reads,
            "binds" => &mut analysis.binds,
            "deletes" => &mut analysis.deletes,
            "imports" => &mut analysis.imports,
            "star" => &mut analysis.star_imports,
            "calls" => &mut analysis.calls,
            other => panic!("unknown field {other:?} in {spec:?}"),
        };
        *set = names_of(names);
    }
    for def in defs
        .unwrap_or("")
        .split(';')
        .filter(|d| !d.trim().is_empty())
    {
        let mut words = def.split_whitespace();
        let head = words.next().unwrap_or_default();
        let (name, kind) = head.split_once(':').unwrap_or((head, "fn"));
        let kind = match kind {
            "fn" => DefinitionKind::Function,
            "class" => DefinitionKind::Class,
            "lambda" => DefinitionKind::Lambda,
            other => panic!("unknown kind {other:?} in {spec:?}"),
        };
        let mut definition = Definition {
            name: name.to_owned(),
            kind,
            reads: BTreeSet::new(),
            global_writes: BTreeSet::new(),
            calls: BTreeSet::new(),
            dynamic: false,
            maybe_unreproducible_calls: Vec::new(),
        };
        for word in words {
            if word == "dynamic" {
                definition.dynamic = true;
                continue;
            }
            let (field, names) = word.split_once('=').unwrap_or((word, ""));
            let set = match field {
                "reads" => &mut definition.reads,
                "writes" => &mut definition.global_writes,
                "calls" => &mut definition.calls,
                other => panic!("unknown definition field {other:?} in {spec:?}"),
            };
            *set = names_of(names);
        }
        analysis.definitions.push(definition);
    }
    analysis
}

fn names_of(list: &str) -> BTreeSet<String> {
    list.split(',')
        .filter(|name| !name.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Checks every field but `mutates`, `mutates_directly` and `stores_through`, which
/// `in_place_changes` and `stores_through` check on their own, and `maybe_unreproducible_calls` (`maybe_unreproducible_calls`).
fn run_cases(cases: &[Case]) {
    let mut failures = String::new();
    for case in cases {
        let actual = CellAnalysis {
            mutates: BTreeSet::new(),
            mutates_directly: BTreeSet::new(),
            stores_through: BTreeSet::new(),
            maybe_unreproducible_calls: Vec::new(),
            ..analyze(case.code)
        };
        let expected = expected(case.expect);
        if actual != expected {
            let _ = writeln!(
                failures,
                "--- {}\ncode: {:?}\nexpected: {:?}\nactual:   {:?}\n",
                case.name, case.code, expected, actual
            );
        }
    }
    assert!(failures.is_empty(), "\n{failures}");
}

#[test]
fn straight_line_flow() {
    run_cases(&[
        case("read", "print(x)", "reads=print,x calls=print"),
        case(
            "bound_then_read",
            "x = 1\nprint(x)",
            "reads=print binds=x calls=print",
        ),
        case(
            "read_then_bound",
            "print(x)\nx = 1",
            "reads=print,x binds=x calls=print",
        ),
        case(
            "self_referential_assignment",
            "x = x + 1",
            "reads=x binds=x",
        ),
        case(
            "bound_in_if_is_not_definite",
            "if c:\n    x = 1\nprint(x)",
            "reads=c,print,x binds=x calls=print",
        ),
        case(
            "bound_and_read_in_same_branch",
            "if c:\n    x = 1\n    print(x)",
            "reads=c,print binds=x calls=print",
        ),
        case(
            "elif_and_else_branches",
            "if a:\n    x = 1\nelif x:\n    y = 2\nelse:\n    z = y",
            "reads=a,x,y binds=x,y,z",
        ),
        case(
            "loop_reads_before_binding",
            "for i in r:\n    print(x)\n    x = i",
            "reads=r,print,x binds=i,x calls=print",
        ),
        case(
            "for_target_not_definite_after_loop",
            "for i in r:\n    pass\nprint(i)",
            "reads=r,print,i binds=i calls=print",
        ),
        case(
            "while_else",
            "while c:\n    y = 1\nelse:\n    z = y",
            "reads=c,y binds=y,z",
        ),
        case(
            "with_is_straight_line",
            "with open(p) as f:\n    data = f.read()\nprint(data, f)",
            "reads=open,p,print binds=f,data calls=open,print",
        ),
        case(
            "try_body_then_handler",
            "try:\n    x = f()\n    g(x)\nexcept E:\n    h(x)",
            "reads=f,g,E,h,x binds=x calls=f,g,h",
        ),
        case(
            "try_else_sees_body",
            "try:\n    x = 1\nexcept E:\n    pass\nelse:\n    y = x",
            "reads=E binds=x,y",
        ),
        case(
            "finally_may_follow_a_failure",
            "try:\n    x = 1\nfinally:\n    print(x)",
            "reads=print,x binds=x calls=print",
        ),
        case(
            "global_at_top_level_is_harmless",
            "global x\nx = 1\nprint(x)",
            "reads=print binds=x calls=print",
        ),
    ]);
}

#[test]
fn assignments_and_calls() {
    run_cases(&[
        case(
            "chained_assignment",
            "a = b = f()\nprint(a, b)",
            "reads=f,print binds=a,b calls=f,print",
        ),
        case(
            "tuple_and_starred_unpacking",
            "a, (b, *c) = t",
            "reads=t binds=a,b,c",
        ),
        case(
            "for_tuple_target",
            "for k, v in d.items():\n    pass",
            "reads=d binds=k,v",
        ),
        case(
            "async_constructs",
            "async with lock as l:\n    async for item in stream:\n        await handle(item)",
            "reads=lock,stream,handle binds=l,item calls=handle",
        ),
        case(
            "call_arguments",
            "f(*args, key=a[i:j:k], **kw)",
            "reads=f,args,a,i,j,k,kw calls=f",
        ),
        case(
            "method_call_reads_object",
            "df.groupby(col).agg(fn)",
            "reads=df,col,fn",
        ),
        case("empty", "", ""),
        case("only_comments", "# a comment\n\n   # another\n", ""),
    ]);
}

#[test]
fn deletes_and_augmented_assignment() {
    run_cases(&[
        case("del_name", "del x", "deletes=x"),
        case(
            "del_then_read",
            "x = 1\ndel x\nprint(x)",
            "reads=print,x binds=x deletes=x calls=print",
        ),
        case(
            "conditional_del",
            "x = 1\nif c:\n    del x\nprint(x)",
            "reads=c,print,x binds=x deletes=x calls=print",
        ),
        case("del_tuple", "del a, (b, c)", "deletes=a,b,c"),
        case("augmented", "x += 1", "reads=x binds=x"),
        case("augmented_after_binding", "x = 0\nx += 1", "binds=x"),
        case("attribute_target", "obj.a = 1", "reads=obj"),
        case("subscript_target", "b[i] = v", "reads=b,i,v"),
        case("del_subscript", "del b[0]", "reads=b"),
        case("del_attribute", "del obj.a", "reads=obj"),
        case("augmented_attribute", "obj.a += 1", "reads=obj"),
        case("augmented_subscript", "b[k] *= 2", "reads=b,k"),
        case("annotated_assignment", "x: int = 5", "reads=int binds=x"),
        case("annotation_without_value", "x: Final", "reads=Final"),
        case(
            "annotated_attribute_without_value",
            "obj.a: int",
            "reads=int,obj",
        ),
    ]);
}

#[test]
fn walrus() {
    run_cases(&[
        case(
            "walrus_in_if_test_is_definite",
            "if (n := len(a)) > 10:\n    print(n)\nprint(n)",
            "reads=len,a,print binds=n calls=len,print",
        ),
        case(
            "walrus_after_or_is_conditional",
            "x = a or (y := 2)\nprint(y)",
            "reads=a,print,y binds=x,y calls=print",
        ),
        case(
            "walrus_in_conditional_expression",
            "z = (w := 1) if c else 2\nprint(w)",
            "reads=c,print,w binds=z,w calls=print",
        ),
        case(
            "walrus_in_comprehension_binds_globally",
            "[last := x for x in xs]\nprint(last)",
            "reads=xs,print,last binds=last calls=print",
        ),
        case(
            "walrus_in_comprehension_in_function_is_local",
            "def f(xs):\n    [m := x for x in xs]\n    return m",
            "binds=f defs=f",
        ),
    ]);
}

#[test]
fn comprehensions() {
    run_cases(&[
        case(
            "list_comprehension",
            "r = [x * k for x in lst]",
            "reads=k,lst binds=r",
        ),
        case(
            "comprehension_variable_shadows",
            "x = 5\nr = [x for x in lst]",
            "reads=lst binds=x,r",
        ),
        case(
            "comprehension_variable_does_not_leak",
            "r = [x for x in lst]\nprint(x)",
            "reads=lst,print,x binds=r calls=print",
        ),
        case(
            "first_iterable_is_evaluated_outside",
            "r = [y for y in y]",
            "reads=y binds=r",
        ),
        case(
            "nested_comprehension",
            "m = [[i * j for j in cols] for i in rows]",
            "reads=cols,rows binds=m",
        ),
        case(
            "later_iterable_sees_earlier_target",
            "p = [(i, j) for i in a for j in range(i)]",
            "reads=a,range binds=p calls=range",
        ),
        case(
            "dict_comprehension",
            "d = {k: v * s for k, v in items}",
            "reads=items,s binds=d",
        ),
        case(
            "generator_expression",
            "total = sum(x for x in xs if x > t)",
            "reads=sum,xs,t binds=total calls=sum",
        ),
        case(
            "set_comprehension_condition",
            "s = {x for x in a if x not in seen}",
            "reads=a,seen binds=s",
        ),
        case(
            "comprehension_after_binding",
            "k = 2\nr = [x * k for x in lst]",
            "reads=lst binds=k,r",
        ),
        case(
            "lambda_in_comprehension_closes_over_target",
            "fs = [lambda: i + j for i in r]",
            "reads=r,j binds=fs",
        ),
    ]);
}

#[test]
fn functions() {
    run_cases(&[
        case(
            "body_reads_go_to_definition",
            "def f(a):\n    return a + g",
            "binds=f defs=f reads=g",
        ),
        case(
            "locals_and_parameters",
            "def f(a, *args, b, **kw):\n    c = a * 2\n    return c + d + len(args) + len(kw) + b",
            "binds=f defs=f reads=d,len calls=len",
        ),
        case(
            "local_read_before_assignment_is_local",
            "def f():\n    print(x)\n    x = 1",
            "binds=f defs=f reads=print calls=print",
        ),
        case(
            "defaults_are_read_at_definition",
            "def f(a=default, *, b=other):\n    pass",
            "reads=default,other binds=f defs=f",
        ),
        case(
            "annotations_are_read_at_definition",
            "def f(a: np.ndarray, *r: T, **k: U) -> pd.DataFrame:\n    pass",
            "reads=np,T,U,pd binds=f defs=f",
        ),
        case(
            "local_annotations_are_not_evaluated",
            "def f():\n    v: Unknown = 1\n    return v",
            "binds=f defs=f",
        ),
        case(
            "nested_function",
            "def outer():\n    def inner():\n        return z + q\n    z = 1\n    return inner",
            "binds=outer defs=outer reads=q",
        ),
        case(
            "closure_over_parameter",
            "def make(n):\n    return lambda x: x + n + m",
            "binds=make defs=make reads=m",
        ),
        case(
            "recursion",
            "def fact(n):\n    return 1 if n <= 1 else n * fact(n - 1)",
            "binds=fact defs=fact reads=fact calls=fact",
        ),
        case(
            "async_def",
            "async def fetch(u):\n    async with session.get(u) as r:\n        return await r.json()",
            "binds=fetch defs=fetch reads=session",
        ),
        case(
            "async_comprehension",
            "async def f():\n    return [x async for x in source]",
            "binds=f defs=f reads=source",
        ),
        case(
            "import_in_function_is_local",
            "def f():\n    import json\n    return json.dumps(x)",
            "binds=f defs=f reads=x",
        ),
        case(
            "redefinition_merges",
            "def f():\n    return a\nif c:\n    def f():\n        return b",
            "reads=c binds=f defs=f reads=a,b",
        ),
    ]);
}

#[test]
fn same_cell_calls() {
    run_cases(&[
        case(
            "called_in_same_cell",
            "def f():\n    return g\nf()",
            "reads=g binds=f defs=f reads=g",
        ),
        case(
            "called_through_other_functions",
            "def g():\n    return x\ndef f():\n    return g()\nf()",
            "reads=x binds=f,g defs=g reads=x; f reads=g calls=g",
        ),
        case(
            "reads_bound_before_call_are_not_reads",
            "def f():\n    return y\ny = 1\nf()",
            "binds=f,y defs=f reads=y",
        ),
        case(
            "called_function_calls_earlier_cells",
            "def f():\n    return helper()\nf()",
            "reads=helper binds=f calls=helper defs=f reads=helper calls=helper",
        ),
        case(
            "function_passed_as_value",
            "def key(v):\n    return w[v]\nsorted(a, key=key)",
            "reads=sorted,a,w binds=key calls=sorted defs=key reads=w",
        ),
        case(
            "conditionally_defined_then_called",
            "if c:\n    def f():\n        return a\nf()",
            "reads=c,f,a binds=f calls=f defs=f reads=a",
        ),
        case(
            "decorator_with_arguments",
            "@app.route(path)\ndef index():\n    return page",
            "reads=app,path,page binds=index defs=index reads=page",
        ),
        case(
            "decorated_function_may_be_called",
            "@cache\ndef f():\n    return y",
            "reads=cache,y binds=f defs=f reads=y",
        ),
    ]);
}

#[test]
fn global_and_nonlocal() {
    run_cases(&[
        case(
            "global_write",
            "def f():\n    global g\n    g = 1\n    return h",
            "binds=f defs=f reads=h writes=g",
        ),
        case(
            "global_read",
            "def f():\n    global g\n    g += 1",
            "binds=f defs=f reads=g writes=g",
        ),
        case(
            "global_in_nested_function_skips_enclosing_local",
            "def f():\n    x = 1\n    def g():\n        global x\n        return x\n    return g",
            "binds=f defs=f reads=x",
        ),
        case(
            "global_del",
            "def f():\n    global g\n    del g",
            "binds=f defs=f writes=g",
        ),
        case(
            "nonlocal_refers_to_enclosing_function",
            "def f():\n    n = 0\n    def inc():\n        nonlocal n\n        n += 1\n        return n\n    return inc",
            "binds=f defs=f",
        ),
        case(
            "global_write_in_called_function_stays_in_definition",
            "def f():\n    global g\n    g = 1\nf()",
            "binds=f defs=f writes=g",
        ),
    ]);
}

#[test]
fn lambdas_and_classes() {
    run_cases(&[
        case("named_lambda", "f = lambda x: x + y", "binds=f defs=f:lambda reads=y"),
        case(
            "named_lambda_defaults",
            "f = lambda x=d: x",
            "reads=d binds=f defs=f:lambda",
        ),
        case(
            "named_lambda_called",
            "f = lambda: y\nf()",
            "reads=y binds=f defs=f:lambda reads=y",
        ),
        case(
            "anonymous_lambda_reads_are_the_cells",
            "top = sorted(items, key=lambda kv: -kv[1] * w)",
            "reads=sorted,items,w binds=top calls=sorted",
        ),
        case(
            "class_body_runs_now_methods_later",
            "class A(Base):\n    x = default\n    y = x + 1\n    def m(self):\n        return x",
            "reads=Base,default binds=A defs=A:class reads=x",
        ),
        case(
            "class_body_comprehension_skips_class_scope",
            "class A:\n    n = 3\n    sq = [n * i for i in range(n)]",
            "reads=range,n binds=A calls=range defs=A:class",
        ),
        case(
            "decorated_class",
            "@dataclass\nclass P:\n    x: int = 0\n    def norm(self):\n        return sqrt(self.x)",
            "reads=dataclass,int,sqrt binds=P calls=sqrt defs=P:class reads=sqrt calls=sqrt",
        ),
        case(
            "instantiated_class",
            "class C:\n    def __init__(self):\n        self.v = base\nc = C()",
            "reads=base binds=C,c defs=C:class reads=base",
        ),
        case(
            "nested_class_body_runs_now",
            "class Outer:\n    class Inner:\n        y = x",
            "reads=x binds=Outer defs=Outer:class",
        ),
        case(
            "method_names_are_not_globals",
            "class A:\n    def helper(self):\n        pass\nhelper()",
            "reads=helper binds=A calls=helper defs=A:class",
        ),
        case(
            "global_in_class_body_binds_now",
            "class A:\n    global g\n    g = 1",
            "binds=A,g defs=A:class",
        ),
        case(
            "class_body_flow",
            "class A:\n    print(x)\n    x = 1\n    y = x",
            "reads=print,x binds=A calls=print defs=A:class",
        ),
        case(
            "class_keywords",
            "class A(B, metaclass=Meta):\n    pass",
            "reads=B,Meta binds=A defs=A:class",
        ),
    ]);
}

#[test]
fn match_statements() {
    run_cases(&[
        case(
            "sequence_captures",
            "match cmd:\n    case [x, y]:\n        z = x + y",
            "reads=cmd binds=x,y,z",
        ),
        case(
            "class_pattern",
            "match p:\n    case Point(x=0, y=yy):\n        print(yy)",
            "reads=p,Point,print binds=yy calls=print",
        ),
        case("value_pattern", "match c:\n    case Color.RED:\n        pass", "reads=c,Color"),
        case(
            "guard",
            "match v:\n    case n if n > limit:\n        pass",
            "reads=v,limit binds=n",
        ),
        case(
            "mapping_star_or_patterns",
            "match m:\n    case {\"k\": val, **rest}:\n        pass\n    case [1, *others] | [2, *others]:\n        pass",
            "reads=m binds=val,rest,others",
        ),
        case(
            "wildcard_binds_nothing",
            "match m:\n    case _:\n        pass",
            "reads=m",
        ),
        case(
            "captures_are_conditional",
            "match m:\n    case [x]:\n        pass\nprint(x)",
            "reads=m,print,x binds=x calls=print",
        ),
    ]);
}

#[test]
fn exceptions() {
    run_cases(&[
        case(
            "except_as_binds_then_unbinds",
            "try:\n    f()\nexcept ValueError as e:\n    log(e)",
            "reads=f,ValueError,log binds=e deletes=e calls=f,log",
        ),
        case(
            "except_star",
            "try:\n    f()\nexcept* (A, B) as eg:\n    pass",
            "reads=f,A,B binds=eg deletes=eg calls=f",
        ),
        case(
            "pep_758_except_without_parentheses",
            "try:\n    f()\nexcept A, B:\n    pass",
            "reads=f,A,B calls=f",
        ),
        case(
            "except_as_unbinds_an_earlier_value",
            "e = 1\ntry:\n    pass\nexcept E as e:\n    pass\nprint(e)",
            "reads=E,print,e binds=e deletes=e calls=print",
        ),
        case(
            "raise_from",
            "raise Error(msg) from cause",
            "reads=Error,msg,cause calls=Error",
        ),
    ]);
}

#[test]
fn imports() {
    run_cases(&[
        case("plain", "import os", "imports=os"),
        case("dotted", "import os.path", "imports=os"),
        case("aliased", "import numpy as np", "imports=np"),
        case("dotted_aliased", "import a.b as c", "imports=c"),
        case(
            "from_import",
            "from collections import Counter, OrderedDict as OD",
            "imports=Counter,OD",
        ),
        case(
            "relative",
            "from .mod import f\nfrom .. import g",
            "imports=f,g",
        ),
        case(
            "star_import_is_not_dynamic",
            "from os.path import *",
            "star=os.path",
        ),
        case(
            "relative_star_import",
            "from . import *\nfrom ..pkg import *",
            "star=.,..pkg",
        ),
        case(
            "imported_then_used",
            "import math\nprint(math.pi)",
            "reads=print imports=math calls=print",
        ),
        case(
            "conditional_import",
            "try:\n    import ujson as json\nexcept ImportError:\n    import json\njson.dumps(x)",
            "reads=ImportError,json,x imports=json",
        ),
    ]);
}

#[test]
fn type_parameters() {
    run_cases(&[
        case(
            "generic_function",
            "def first[T](xs: list[T]) -> T:\n    return xs[0]",
            "reads=list binds=first defs=first",
        ),
        case(
            "generic_body_sees_type_parameter",
            "def f[T](x):\n    return T",
            "binds=f defs=f",
        ),
        case(
            "type_alias",
            "type Pair[T] = tuple[T, T]",
            "reads=tuple binds=Pair",
        ),
        case(
            "pep_696_default",
            "def f[T = int](x: T) -> T:\n    return x",
            "reads=int binds=f defs=f",
        ),
        case(
            "bound",
            "def f[T: Comparable, *Ts, **P](x: T) -> None:\n    pass",
            "reads=Comparable binds=f defs=f",
        ),
        case(
            "generic_class",
            "class Box[T](Base[T]):\n    item: T\n    def get(self) -> T:\n        return T",
            "reads=Base binds=Box defs=Box:class",
        ),
    ]);
}

#[test]
fn strings() {
    run_cases(&[
        case(
            "f_string",
            "s = f\"{a} and {b!r:>{width}}\"",
            "reads=a,b,width binds=s",
        ),
        case(
            "pep_701_same_quotes",
            "s = f\"{d[\"k\"]}\"",
            "reads=d binds=s",
        ),
        case(
            "nested_f_strings",
            "s = f\"{f'{inner}'}\"",
            "reads=inner binds=s",
        ),
        case(
            "pep_750_t_string",
            "t = t\"{x} {y:{fmt}}\"",
            "reads=x,y,fmt binds=t",
        ),
        case(
            "plain_strings_read_nothing",
            "s = 'x' \"y\"\nb = b'z'",
            "binds=s,b",
        ),
        // `\N{...}` escapes parse without the Unicode name tables (vendor/unicode_names2).
        case(
            "unicode_name_escapes",
            "s = \"\\N{BULLET} \\N{GREEK SMALL LETTER ALPHA}\"\nt = f\"\\N{BULLET}{x}\"",
            "reads=x binds=s,t",
        ),
    ]);
}

#[test]
fn dynamic_code() {
    run_cases(&[
        case("exec", "exec(code)", "reads=exec,code calls=exec dynamic"),
        case(
            "eval",
            "v = eval('x + 1')",
            "reads=eval binds=v calls=eval dynamic",
        ),
        case(
            "globals",
            "globals()['x'] = 1",
            "reads=globals calls=globals dynamic",
        ),
        case(
            "locals_at_top_level",
            "print(locals())",
            "reads=print,locals calls=print,locals dynamic",
        ),
        case(
            "locals_in_function_is_not_dynamic",
            "def f():\n    return locals()",
            "binds=f defs=f reads=locals calls=locals",
        ),
        case("vars_of_object", "vars(obj)", "reads=vars,obj calls=vars"),
        case(
            "exec_in_function_marks_definition",
            "def f():\n    exec(s)",
            "binds=f defs=f reads=exec,s calls=exec dynamic",
        ),
        case(
            "calling_dynamic_function",
            "def f():\n    exec(s)\nf()",
            "reads=exec,s binds=f calls=exec dynamic defs=f reads=exec,s calls=exec dynamic",
        ),
        case(
            "dunder_import_is_not_dynamic",
            "m = __import__('os')",
            "reads=__import__ binds=m calls=__import__",
        ),
        case(
            "breakpoint",
            "breakpoint()",
            "reads=breakpoint calls=breakpoint dynamic",
        ),
        // The notebook's own module: its attributes are the notebook's variables.
        case(
            "import_main",
            "import __main__\n__main__.data.append(1)",
            "imports=__main__ dynamic",
        ),
        case(
            "from_main",
            "from __main__ import data as d",
            "imports=d dynamic",
        ),
        case(
            "dunder_import_of_main",
            "__import__('__main__').data.append(1)",
            "reads=__import__ calls=__import__ dynamic",
        ),
        case(
            "main_imported_in_a_function",
            "def f():\n    import __main__\n    return __main__.x",
            "binds=f defs=f dynamic",
        ),
    ]);
}

#[test]
fn ipython_transformed() {
    run_cases(&[
        case(
            "harmless_line_magic",
            "get_ipython().run_line_magic('matplotlib', 'inline')",
            "",
        ),
        case("system", "get_ipython().system('ls -la')", ""),
        case(
            "getoutput",
            "files = get_ipython().getoutput('ls')",
            "binds=files",
        ),
        case(
            "shell_variable_expansion",
            "get_ipython().system('echo $name {path.upper()} $$HOME {{literal}}')",
            "reads=name,path",
        ),
        case(
            "getoutput_with_keyword",
            "out = get_ipython().getoutput('ls $d', split=flag)",
            "reads=d,flag binds=out",
        ),
        case(
            "pinfo_reads_the_object",
            "get_ipython().run_line_magic('pinfo', 'obj.attr')",
            "reads=obj",
        ),
        case(
            "psearch_reads_nothing",
            "get_ipython().run_line_magic('psearch', 'np.*load*')",
            "",
        ),
        case(
            "time_line_magic",
            "get_ipython().run_line_magic('time', 'y = f(x)')",
            "reads=f,x binds=y calls=f",
        ),
        case(
            "time_cell_magic",
            "get_ipython().run_cell_magic('time', '', 'y = f(x)\\nprint(y)\\n')",
            "reads=f,x,print binds=y calls=f,print",
        ),
        case(
            "time_then_use",
            "get_ipython().run_line_magic('time', 'y = 1')\nprint(y)",
            "reads=print binds=y calls=print",
        ),
        case(
            "timeit_reads_but_does_not_bind",
            "get_ipython().run_line_magic('timeit', '-n 10 -r 3 y = f(x)')",
            "reads=f,x calls=f",
        ),
        case(
            "timeit_cell_with_setup",
            "get_ipython().run_cell_magic('timeit', '-n10 data = load()', 'process(data)\\n')",
            "reads=load,process calls=load,process",
        ),
        case(
            "prun",
            "get_ipython().run_line_magic('prun', '-s cumulative -q train(model)')",
            "reads=train,model calls=train",
        ),
        case(
            "capture",
            "get_ipython().run_cell_magic('capture', 'out', 'print(x)\\nz = 1\\n')",
            "reads=print,x binds=out,z calls=print",
        ),
    ]);
}

#[test]
fn ipython_other_magics() {
    run_cases(&[
        case(
            "unknown_magic",
            "get_ipython().run_line_magic('run', 'script.py')",
            "dynamic",
        ),
        case(
            "store_magic",
            "get_ipython().run_line_magic('store', '-r x')",
            "dynamic",
        ),
        case(
            "sx_magic",
            "x = get_ipython().run_line_magic('sx', 'ls')",
            "binds=x dynamic",
        ),
        case(
            "non_literal_magic_argument",
            "get_ipython().run_line_magic(name, 'x')",
            "reads=name dynamic",
        ),
        case("run_cell", "get_ipython().run_cell('x = 1')", "dynamic"),
        case(
            "get_ipython_as_value",
            "ip = get_ipython()",
            "binds=ip dynamic",
        ),
        case(
            "env_without_assignment",
            "get_ipython().run_line_magic('env', 'HOME')",
            "",
        ),
        case(
            "env_with_assignment",
            "get_ipython().run_line_magic('env', 'A=1')",
            "dynamic",
        ),
        case(
            "bash_cell_is_harmless",
            "get_ipython().run_cell_magic('bash', '', 'for f in *.txt; do echo $f; done\\n')",
            "",
        ),
        case(
            "script_cell_output_variable",
            "get_ipython().run_cell_magic('bash', '--out result --err=errors', 'ls\\n')",
            "binds=result,errors",
        ),
        case(
            "unknown_cell_magic",
            "get_ipython().run_cell_magic('sql', '', 'select 1\\n')",
            "dynamic",
        ),
        case(
            "unparsable_magic_code",
            "get_ipython().run_line_magic('time', 'x = (')",
            "dynamic",
        ),
        case(
            "magic_in_function",
            "def f():\n    get_ipython().run_line_magic('time', 'y = g(x)')\n    return y",
            "binds=f defs=f reads=g,x,y calls=g",
        ),
        case(
            "unknown_magic_in_function",
            "def f():\n    get_ipython().run_line_magic('run', 'x.py')",
            "binds=f defs=f dynamic",
        ),
    ]);
}

#[test]
fn ipython_raw_cell_magics() {
    run_cases(&[
        case("time", "%%time\ny = f(x)\n", "reads=f,x binds=y calls=f"),
        case(
            "non_python_body",
            "%%bash\nfor f in *.txt; do echo $f; done\n",
            "",
        ),
        case(
            "script_output_after_blank_line",
            "\n%%bash --out result\nls\n",
            "binds=result",
        ),
        case(
            "nested_cell_magic",
            "%%capture out\n%%time\nz = w\n",
            "reads=w binds=out,z",
        ),
        case(
            "transformed_capture_with_raw_body",
            "get_ipython().run_cell_magic('capture', '', '%%time\\nz = w\\n')",
            "reads=w binds=z",
        ),
        // IPython transforms a magic's body itself; raw escapes other than a leading
        // `%%` line are not understood here.
        case(
            "raw_line_magic_in_body",
            "%%capture\n%time z = w\n",
            "dynamic",
        ),
        case("unknown_cell_magic", "%%sql\nselect 1\n", "dynamic"),
    ]);
    for raw in ["%time y = f(x)", "!ls", "obj?", "files = !ls"] {
        assert!(analyze(raw).parse_error.is_some(), "{raw:?}");
    }
}

#[test]
fn parse_errors_have_positions() {
    let analysis = analyze("a = 1\nb = )\n");
    let error = analysis.parse_error.as_ref().expect("parse error");
    assert_eq!((error.line, error.column), (2, 5), "{error:?}");
    assert!(!error.message.is_empty());
    assert_eq!(
        analysis,
        CellAnalysis {
            parse_error: analysis.parse_error.clone(),
            ..CellAnalysis::default()
        },
        "a cell that does not parse reports nothing else"
    );

    // Columns count characters, not bytes.
    let error = analyze("s = \"äöü\" + )").parse_error.expect("parse error");
    assert_eq!((error.line, error.column), (1, 13), "{error:?}");

    // `\r\n` is one line break.
    let error = analyze("a = 1\r\nb = 2\r\nc = )")
        .parse_error
        .expect("parse error");
    assert_eq!((error.line, error.column), (3, 5), "{error:?}");

    let error = analyze("def f(:\n    pass")
        .parse_error
        .expect("parse error");
    assert_eq!(error.line, 1, "{error:?}");
}

#[test]
fn new_syntax_parses() {
    for code in [
        "s = f\"{d[\"k\"]} {f\"{x!r}\"}\"",
        "t = t\"hello {name}\"",
        "try:\n    pass\nexcept A, B:\n    pass",
        "def f[T = int, *Ts = *tuple[int], **P = [int]](x: T) -> T:\n    return x",
        "class C[T: (int, str) = int]:\n    pass",
        "type Alias[T = int] = list[T]",
        "match x:\n    case {\"a\": [1, *rest]}:\n        pass",
        "async def f():\n    async with a as b, c as d:\n        pass",
    ] {
        let analysis = analyze(code);
        assert!(analysis.parsed(), "{code:?}: {:?}", analysis.parse_error);
    }
}

#[test]
fn line_column_positions() {
    assert_eq!(line_column("", 0), (1, 1));
    assert_eq!(line_column("abc", 2), (1, 3));
    assert_eq!(line_column("a\nb", 2), (2, 1));
    assert_eq!(line_column("a\rb", 2), (2, 1));
    assert_eq!(line_column("a\r\nb", 3), (2, 1));
    assert_eq!(line_column("é", 1), (1, 2));
    assert_eq!(line_column("ab", 99), (1, 3));
}

/// Sources nested far beyond what Python accepts come back as parse errors, quickly and
/// without exhausting the stack.
#[test]
fn deep_nesting_is_refused() {
    let depth = 10_000;
    let sources = [
        format!("x = {}1{}", "(".repeat(depth), ")".repeat(depth)),
        format!("x = {}1{}", "[".repeat(depth), "]".repeat(depth)),
        format!("x = {}", "[".repeat(depth)),
        format!("x = {}1{}", "f(".repeat(depth), ")".repeat(depth)),
        format!("x = {}1", "-".repeat(depth)),
        format!("x = {}x", "not ".repeat(depth)),
        format!("x = 1{}", " + 1".repeat(depth)),
        format!("x = 1{}", " ** 1".repeat(depth)),
        format!("x = a{}", ".b".repeat(depth)),
        format!("x = {}1", "lambda: ".repeat(depth)),
        format!("x = {}1", "1 if c else ".repeat(depth)),
        format!("x = {}1", "await ".repeat(depth)),
        format!("x = {}", "lambda a, b: ".repeat(depth)),
        // Indentation grows the source quadratically: 2 000 levels are plenty.
        (0..2_000).fold(String::new(), |mut s, i| {
            let _ = writeln!(s, "{}if x:", " ".repeat(i));
            s
        }),
        format!("s = {}x{}", "f'{".repeat(depth), "}'".repeat(depth)),
    ];
    for source in &sources {
        let analysis = analyze(source);
        let error = analysis.parse_error.as_ref();
        assert!(
            error.is_some_and(|e| e.line >= 1 && e.column >= 1),
            "{}...: {:?}",
            source.chars().take(40).collect::<String>(),
            error
        );
    }
}

/// Nesting that Python accepts is analysed.
#[test]
fn moderate_nesting_is_analysed() {
    let sources = [
        format!("x = {}y{}", "(".repeat(150), ")".repeat(150)),
        format!("x = {}y{}", "[".repeat(150), "]".repeat(150)),
        format!("x = y{}", " + y".repeat(400)),
        format!("x = y{}", ".a".repeat(400)),
        (0..90).fold(String::new(), |mut s, i| {
            let _ = writeln!(s, "{}if y:", "  ".repeat(i));
            s
        }) + &"  ".repeat(90)
            + "x = 1\n",
    ];
    for source in &sources {
        let analysis = analyze(source);
        assert!(analysis.parsed(), "{:?}", analysis.parse_error);
        assert!(analysis.reads.contains("y"), "{:?}", analysis.reads);
    }
    // A long flat literal is not deep.
    let data = format!("data = [{}]", "[1, 2.5, 'a'], ".repeat(20_000));
    let analysis = analyze(&data);
    assert!(analysis.parsed(), "{:?}", analysis.parse_error);
    assert_eq!(analysis.binds, names_of("data"));
}

#[test]
fn benchmark_cell_is_analysed() {
    // The 20-line cell of the benchmarks (`bench/native.rs`, `bench/pyodide.mjs`).
    let code = include_str!("../../bench/cells/cell_20.py");
    let analysis = analyze(code);
    // `ratio_0` is bound in a `try` body and its handler: not straight-line code, so its
    // read in the last line counts.
    assert_eq!(
        analysis.reads,
        names_of(
            "scale,sum,factor,raw_weights,lines,sorted,round,enumerate,limit,flagged,len,\
             ZeroDivisionError,open,path,print,ratio_0"
        )
    );
    assert_eq!(analysis.imports, names_of("math,Counter"));
    assert_eq!(
        analysis.binds,
        names_of(
            "threshold_0,normalize_0,weights_0,counts_0,top_0,summary_0,i,name,n,ratio_0,err,\
             fh,header_0"
        )
    );
    assert_eq!(analysis.deletes, names_of("err"));
    assert_eq!(analysis.definitions.len(), 1);
    assert!(!analysis.dynamic);
}

#[cfg(feature = "cli")]
#[test]
fn serde_field_names_are_camel_case() {
    let json = serde_json::to_string(&analyze(
        "from m import *\ndef f():\n    global g\n    g = 1",
    ))
    .expect("serializable");
    for field in [
        "\"parseError\"",
        "\"starImports\"",
        "\"globalWrites\"",
        "\"dynamic\"",
    ] {
        assert!(json.contains(field), "{field} missing in {json}");
    }
    let back: CellAnalysis = serde_json::from_str(&json).expect("deserializable");
    assert_eq!(back.definitions[0].global_writes, names_of("g"));
}

/// Fragments of Python that combine into many shapes, valid or not.
const TOKENS: &[&str] = &[
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ":",
    ",",
    ";",
    "\n",
    "    ",
    "=",
    ":=",
    "+",
    "-",
    "*",
    "**",
    ".",
    "@",
    "->",
    "lambda",
    "def",
    "class",
    "if",
    "else",
    "elif",
    "for",
    "in",
    "while",
    "try",
    "except",
    "finally",
    "with",
    "as",
    "return",
    "yield",
    "await",
    "async",
    "import",
    "from",
    "global",
    "nonlocal",
    "del",
    "match",
    "case",
    "type",
    "not",
    "and",
    "or",
    "x",
    "y",
    "f",
    "1",
    "'s'",
    "f'{",
    "}'",
    "t'{x}'",
    "\"",
    "'''",
    "#",
    "\\",
    "%",
    "%%time",
    "!",
    "?",
    "$",
    "get_ipython()",
    ".run_line_magic('time', 'x = 1')",
    "exec",
    "_",
    "é",
    "\t",
    "\r",
];

/// Inputs that made a parser panic: the parser's IPython mode reaches an `unreachable!`
/// on the first one, which is why it is not used.
#[test]
fn never_panics_on_known_parser_traps() {
    for code in [
        "match ( } \r ?",
        "(()f'{}')[}(}match(}\r?",
        "x = f'{",
        "f'{x:{y:{z}}}'",
        "def f[T](x: T = ) -> :",
        "get_ipython().run_cell_magic('time', '', 'match ( } \\r ?')",
        "get_ipython().system('{match ( } \\r ?} $')",
        "%%time",
        "%%",
        "\u{feff}x = 1",
        "\0",
    ] {
        let _ = analyze(code);
    }
}

proptest! {
    // Failures are not written to `proptest-regressions/` (outside this module): a
    // failing input belongs in `never_panics_on_known_parser_traps` instead.
    #![proptest_config(ProptestConfig {
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn never_panics_on_arbitrary_strings(code in ".{0,200}") {
        let _ = analyze(&code);
    }

    #[test]
    fn never_panics_on_token_soup(tokens in proptest::collection::vec(0..TOKENS.len(), 0..120)) {
        let code: String = tokens.iter().map(|&i| TOKENS[i]).collect::<Vec<_>>().join(" ");
        let _ = analyze(&code);
        let glued: String = tokens.iter().map(|&i| TOKENS[i]).collect();
        let _ = analyze(&glued);
    }

    #[test]
    fn never_panics_on_random_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let code = String::from_utf8_lossy(&bytes);
        let _ = analyze(&code);
    }
}

/// (case, code, names it may change in place, names it changes directly).
const IN_PLACE_CASES: &[(&str, &str, &str, &str)] = &[
    ("method call", "lst.append(3)", "lst", "lst"),
    ("subscript store", "arr[0] = 1", "arr", "arr"),
    ("nested subscript method", "d['k'].append(1)", "d", "d"),
    ("attribute store", "obj.attr = 1", "obj", "obj"),
    ("pandas column", "df['a'] = df['a'] * 10", "df", "df"),
    ("pandas loc", "df.loc[0, 'a'] = 5", "df", "df"),
    ("augmented name", "arr += 2", "arr", "arr"),
    ("augmented subscript", "x[0] += 1", "x", "x"),
    ("del item", "del d['k']", "d", "d"),
    ("del name is a delete, not a change", "del d", "", ""),
    (
        "pure reads",
        "y = len(x) + x[0] + x.shape[0]\nprint(x, sorted(x))",
        "",
        "",
    ),
    (
        "pure methods",
        "m = arr.mean()\nc = arr.copy()\ng = df.groupby('a').sum()",
        "",
        "",
    ),
    ("module pure function", "s = np.sqrt(arr)", "", ""),
    (
        "unknown function marks its arguments",
        "shuffle(x)\nf(a, k=b)",
        "a,b,x",
        "",
    ),
    (
        "display items are arguments",
        "f([a, (b, *c)], {'k': d})",
        "a,b,c,d",
        "",
    ),
    (
        "unknown method marks receiver and arguments",
        "model.fit(X, y)",
        "X,model,y",
        "",
    ),
    ("inplace keyword", "df.fillna(0, inplace=True)", "df", "df"),
    (
        "inplace false is pure",
        "df2 = df.fillna(0, inplace=False)",
        "",
        "",
    ),
    (
        // `add` is also `set.add`: method names cannot tell a module's function
        // from a mutator. The host never takes a module as changed.
        "out keyword",
        "np.add(a, b, out=c)",
        "a,b,c,np",
        "c,np",
    ),
    (
        "lambda argument",
        "sorted(rows, key=lambda r: r.pop())",
        "r,rows",
        "",
    ),
    (
        "loop variable links to the iterable",
        "for row in rows:\n    row.append(1)",
        "row,rows",
        "row,rows",
    ),
    ("alias in the same cell", "b = a\nb.append(1)", "a,b", "a,b"),
    (
        "subscript alias",
        "first = table[0]\nfirst['x'] = 1",
        "first,table",
        "first,table",
    ),
    (
        "comprehension",
        "[r.append(1) for r in rows]",
        "r,rows",
        "r,rows",
    ),
    ("walrus", "(w := items)[0] = 1", "items,w", "items,w"),
    (
        "with target",
        "with lock as held:\n    held.acquire()",
        "held,lock",
        "",
    ),
    (
        "comparison does not link",
        "mask = x > 0\nmask[0] = True",
        "mask",
        "mask",
    ),
    (
        "arithmetic links conservatively",
        "c = [x] + []\nc[0].append(1)",
        "c,x",
        "c",
    ),
    (
        "function body (a mutator's argument is stored, not changed)",
        "def add(v):\n    acc.append(v)",
        "acc",
        "",
    ),
    (
        "items of a dict's values alias it",
        "for k, v in d.items():\n    v.append(k)",
        "d,v",
        "d,v",
    ),
    (
        "enumerate passes items",
        "for i, row in enumerate(rows):\n    row['i'] = i",
        "enumerate,row,rows",
        "row,rows",
    ),
    (
        "a mutator's arguments are stored, not changed",
        "rows.append(row)\nseen.update(batch)",
        "rows,seen",
        "rows,seen",
    ),
    (
        "a call's result is not an alias",
        "x = make(y)\nx.append(1)",
        "make,x,y",
        "x",
    ),
    (
        "out argument of a module function",
        "np.cumsum(v, out=v)",
        "np,v",
        "v",
    ),
    (
        "a function body is never direct",
        "def grow():\n    acc.append(1)\n    acc[0] = 2",
        "acc",
        "",
    ),
    (
        "call result receiver has no root",
        "get().append(1)",
        "",
        "",
    ),
    (
        "a fresh result does not link to its arguments",
        "spectrum = np.abs(np.fft.rfft(prices))\nspectrum[spectrum < spectrum.mean()] = 0",
        "spectrum",
        "spectrum",
    ),
    (
        "fresh results through arithmetic and builtins",
        "r = np.sqrt(np.log(numpy.linalg.norm(a) + 1.0)) * len(b)\nr.clip(0, 1, out=r)",
        "r",
        "r",
    ),
    (
        "a numpy function that may return a view links",
        "v = np.reshape(a, (2, 3))\nv[0] = 1",
        "a,np,v",
        "v",
    ),
    (
        "np.real may return a view: it links",
        "r = np.real(z)\nr[0] = 1",
        "np,r,z",
        "r",
    ),
    (
        "a fresh function given out= links",
        "r = np.abs(a, out=b)\nr[0] = 1",
        "a,b,np,r",
        "b,r",
    ),
    (
        "a fresh name on another module links",
        "r = mylib.abs(a)\nr[0] = 1",
        "a,mylib,r",
        "r",
    ),
    (
        "magic code",
        "get_ipython().run_line_magic('time', 'x.append(1)')",
        "x",
        "x",
    ),
];

/// Cells and the roots of what they store through at their top level, comma-separated.
const STORES_THROUGH_CASES: &[(&str, &str, &str)] = &[
    ("a module's attribute", "import mod\nmod.SCALE = 10", "mod"),
    ("an item of a module's dict", "mod.CONFIG['k'] = 2", "mod"),
    (
        "through a call",
        "decimal.getcontext().prec = 50",
        "decimal",
    ),
    ("options, deep", "pd.options.display.max_rows = 10", "pd"),
    ("augmented", "mod.N += 1\ncount += 1", "mod"),
    ("deleted", "del mod.X, name, d['k']", "d,mod"),
    (
        "tuple targets and for",
        "a.x, b[0] = 1, 2\nfor o.i in range(3):\n    pass",
        "a,b,o",
    ),
    ("with and walrus", "with open('f') as h.f:\n    pass", "h"),
    (
        "method calls are not stores",
        "np.add(a, b)\nlst.append(1)\nnp.random.seed(0)",
        "",
    ),
    (
        "but settings are",
        "pd.set_option('x', 1)\nwarnings.filterwarnings('ignore')\nplt.style.use('ggplot')",
        "pd,plt,warnings",
    ),
    (
        "the interpreter's and logging's",
        "sys.setrecursionlimit(5000)\nlogging.getLogger('x').setLevel(logging.DEBUG)",
        "logging,sys",
    ),
    (
        "settings in a function are not",
        "def f():\n    pd.set_option('x', 1)",
        "",
    ),
    ("plain names are not", "x = 1\ny += 2", ""),
    (
        "not inside functions, lambdas or classes",
        "def f():\n    mod.X = 1\nclass C:\n    mod.Y = 2\ng = lambda: setattr(mod, 'Z', 3)",
        "",
    ),
    (
        "but in top-level blocks",
        "if flag:\n    mod.X = 1\ntry:\n    m2.Y[0] = 2\nexcept E:\n    pass",
        "m2,mod",
    ),
];

/// `stores_through`: the roots of stored-to targets, through calls, at the top level.
#[test]
fn stores_through() {
    let mut failures = String::new();
    for (name, code, expect) in STORES_THROUGH_CASES {
        let analysis = analyze(code);
        if analysis.stores_through != names_of(expect) {
            let _ = writeln!(
                failures,
                "--- {name}\ncode: {code:?}\nexpected: {expect}\nactual: {:?}",
                analysis.stores_through
            );
        }
    }
    assert!(failures.is_empty(), "\n{failures}");
}

/// `mutates`: the names a cell may change in place, checked exactly.
#[test]
fn in_place_changes() {
    let mut failures = String::new();
    for (name, code, expect, expect_direct) in IN_PLACE_CASES {
        let analysis = analyze(code);
        if analysis.mutates != names_of(expect)
            || analysis.mutates_directly != names_of(expect_direct)
        {
            let _ = writeln!(
                failures,
                "--- {name}\ncode: {code:?}\nexpected: {expect} (directly: {expect_direct})\n\
                 actual: {:?} (directly: {:?})",
                analysis.mutates, analysis.mutates_directly
            );
        }
    }
    assert!(failures.is_empty(), "\n{failures}");
}

/// Cells and the calls they make now that may be unreproducible, as `dotted.name` with
/// `+` when seeded, separated by spaces (sorted, each once).
const MAYBE_UNREPRODUCIBLE_CASES: &[(&str, &str, &str)] = &[
    (
        "file reader, by what it is",
        "import pandas as pd\ndf = pd.read_csv('data.csv')",
        "pandas.read_csv+",
    ),
    (
        "open, and a method of what it opened (not listed)",
        "with open('notes.txt') as f:\n    text = f.read()",
        "open+",
    ),
    (
        "a path's text",
        "from pathlib import Path\nconfig = Path('c.toml').read_text()",
        "read_text",
    ),
    (
        "what a shell command prints: IPython's `files = !ls`, and subprocess",
        "files = get_ipython().getoutput('ls')\nimport subprocess\n\
         out = subprocess.check_output(['ls'])",
        "getoutput subprocess.check_output+",
    ),
    (
        "module function",
        "import os\nkey = os.urandom(16)",
        "os.urandom+",
    ),
    (
        "what the user types",
        "name = input('Your name? ')\nimport getpass\nsecret = getpass.getpass()",
        "getpass.getpass input+",
    ),
    (
        "imported name, by what it is",
        "from uuid import uuid4\nu = uuid4()",
        "uuid.uuid4",
    ),
    (
        "unseeded generator",
        "rng = np.random.default_rng()",
        "np.random.default_rng",
    ),
    (
        "None is no seed",
        "rng = np.random.default_rng(None)",
        "np.random.default_rng",
    ),
    (
        "seed by keyword",
        "r = random.Random(x=1)",
        "random.Random+",
    ),
    (
        "None by keyword is no seed",
        "rng = np.random.default_rng(seed=None)",
        "np.random.default_rng",
    ),
    (
        "a seed from the clock is none",
        "rng = np.random.default_rng(time.time_ns())",
        "np.random.default_rng",
    ),
    (
        "a seed from the clock, deep in an expression",
        "r = random.Random(seed=int(datetime.now().timestamp()) ^ os.getpid())",
        "random.Random",
    ),
    (
        "a seed from the system's randomness",
        "rng = np.random.default_rng(uuid.uuid4().int)",
        "np.random.default_rng uuid.uuid4",
    ),
    (
        "a seed from a string's hash (randomized per process)",
        "rng = np.random.default_rng(hash(name) % 1000)",
        "np.random.default_rng",
    ),
    (
        "a seed from a variable is a seed",
        "rng = np.random.default_rng(seed)",
        "np.random.default_rng+",
    ),
    (
        "seeded",
        "m = np.random.default_rng(len(log)).random((3, 3))",
        "np.random.default_rng+",
    ),
    (
        "each once",
        "a = uuid.uuid4()\nb = uuid.uuid4()",
        "uuid.uuid4",
    ),
    (
        "in a branch or loop",
        "for _ in range(3):\n    if c:\n        s = secrets.token_hex()",
        "secrets.token_hex",
    ),
    (
        "in a list comprehension",
        "ids = [uuid.uuid4() for _ in range(3)]",
        "uuid.uuid4",
    ),
    (
        "a generator's first iterable",
        "g = (x for x in secrets.choice(pool))",
        "secrets.choice+",
    ),
    (
        "a generator's lazy part",
        "g = (uuid.uuid4() for _ in range(3))",
        "",
    ),
    ("a function body", "def f():\n    return os.urandom(8)", ""),
    ("a lambda body", "f = lambda: os.urandom(8)", ""),
    (
        "a default runs now",
        "def f(k=os.urandom(8)):\n    return k",
        "os.urandom+",
    ),
    (
        "a class body runs now",
        "class C:\n    key = os.urandom(8)",
        "os.urandom+",
    ),
    (
        "an aliased module, by its name",
        "import numpy.random as npr\nrng = npr.default_rng()",
        "numpy.random.default_rng",
    ),
    (
        "an aliased function, by what it is",
        "from secrets import token_hex as th\nkey = th(8)",
        "secrets.token_hex+",
    ),
    (
        "an alias of a listed name to an unlisted one is not listed",
        "from secrets import compare_digest as token_hex\nsame = token_hex(a, b)",
        "",
    ),
    (
        "a relative import is the notebook's",
        "from .tools import choice as pick\nx = pick(items)",
        "",
    ),
    ("not a dotted name", "x = pick()[0].urandom(3)", ""),
    ("other names", "x = random.random()\ny = np.zeros(3)", ""),
];

/// Calls as the cases write them: `dotted.name`, `+` when seeded, separated by spaces.
fn calls_text(calls: &[NamedCall]) -> String {
    let texts: Vec<String> = calls
        .iter()
        .map(|call| {
            format!(
                "{}{}",
                call.callee.join("."),
                if call.seeded { "+" } else { "" }
            )
        })
        .collect();
    texts.join(" ")
}

/// Definitions and the calls their bodies make that may be unreproducible, as in
/// `MAYBE_UNREPRODUCIBLE_CASES`, for the cell's first definition.
const DEFINITION_CALL_CASES: &[(&str, &str, &str)] = &[
    ("a function body", "def f():\n    return os.urandom(8)", "os.urandom+"),
    (
        "a nested function and a lambda",
        "def f():\n    g = lambda: uuid.uuid4()\n    def h():\n        return secrets.token_hex()\n    return g, h",
        "secrets.token_hex uuid.uuid4",
    ),
    ("a method", "class C:\n    def m(self):\n        return np.random.default_rng()", "np.random.default_rng"),
    ("a named lambda", "f = lambda: os.urandom(8)", "os.urandom+"),
    (
        "an import in the body",
        "def f():\n    from uuid import uuid4 as make\n    import secrets as s\n    return make(), s.token_hex()",
        "secrets.token_hex uuid.uuid4",
    ),
    (
        "a seed from the clock",
        "def fresh():\n    return random.Random(time.time())",
        "random.Random",
    ),
    ("not a default", "def f(k=os.urandom(8)):\n    return k", ""),
    ("other calls", "def f(x):\n    return random.random() + x", ""),
];

#[test]
fn maybe_unreproducible_calls_of_definitions() {
    let mut failures = String::new();
    for (name, code, expect) in DEFINITION_CALL_CASES {
        let actual = calls_text(&analyze(code).definitions[0].maybe_unreproducible_calls);
        if actual != *expect {
            let _ = writeln!(
                failures,
                "--- {name}\ncode: {code:?}\nexpected: {expect}\nactual: {actual:?}"
            );
        }
    }
    assert!(failures.is_empty(), "\n{failures}");
}

#[test]
fn maybe_unreproducible_calls() {
    let mut failures = String::new();
    for (name, code, expect) in MAYBE_UNREPRODUCIBLE_CASES {
        let actual = calls_text(&analyze(code).maybe_unreproducible_calls);
        if actual != *expect {
            let _ = writeln!(
                failures,
                "--- {name}\ncode: {code:?}\nexpected: {expect}\nactual: {actual:?}"
            );
        }
    }
    assert!(failures.is_empty(), "\n{failures}");
}
