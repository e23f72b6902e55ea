//! Text renderings of the history graph for debugging, `inspect` and snapshot tests.
//!
//! Both renderings list nodes in id order (cells, then snapshots) and edges in the order
//! they were recorded, so the same history always renders to the same text.

use std::fmt::Write as _;

use super::{format_runtime, Edge, History};

/// Renders the history as a Graphviz DOT digraph.
#[must_use]
pub fn to_dot(history: &History) -> String {
    let mut out = String::from("digraph history {\n  rankdir=LR;\n");
    for cell in history.cells() {
        let mark = if cell.success { "" } else { " (failed)" };
        let _ = writeln!(
            out,
            "  {} [shape=box, label=\"{} {}{}\"];",
            cell.id,
            cell.id,
            format_runtime(cell.runtime_ns),
            mark
        );
    }
    for snapshot in history.snapshots() {
        let group = snapshot.group.map(|g| format!(" {g}")).unwrap_or_default();
        let style = if snapshot.is_active() {
            "bold"
        } else {
            "dashed"
        };
        let _ = writeln!(
            out,
            "  {} [shape=ellipse, style={style}, label=\"{} v{}{group}\"];",
            snapshot.id,
            escape(&snapshot.name),
            snapshot.version
        );
    }
    for (from, to, edge) in edges(history) {
        let style = match edge {
            Edge::Read | Edge::Write => "solid",
            Edge::Delete => "dotted",
        };
        let _ = writeln!(
            out,
            "  {from} -> {to} [label=\"{}\", style={style}];",
            edge_label(edge)
        );
    }
    out.push_str("}\n");
    out
}

/// Renders the history as a Mermaid flowchart.
#[must_use]
pub fn to_mermaid(history: &History) -> String {
    let mut out = String::from("flowchart LR\n");
    for cell in history.cells() {
        let mark = if cell.success { "" } else { " failed" };
        let _ = writeln!(
            out,
            "  {}[\"{} {}{}\"]",
            cell.id,
            cell.id,
            format_runtime(cell.runtime_ns),
            mark
        );
    }
    for snapshot in history.snapshots() {
        let group = snapshot.group.map(|g| format!(" {g}")).unwrap_or_default();
        let _ = writeln!(
            out,
            "  {}([\"{} v{}{group}\"])",
            snapshot.id,
            escape(&snapshot.name),
            snapshot.version
        );
    }
    for (from, to, edge) in edges(history) {
        let arrow = match edge {
            Edge::Read | Edge::Write => "-->",
            Edge::Delete => "-.->",
        };
        let _ = writeln!(out, "  {from} {arrow}|{}| {to}", edge_label(edge));
    }
    out
}

/// Edges as (from, to, kind) with nodes named by their typed ids, in recording order.
fn edges(history: &History) -> Vec<(String, String, Edge)> {
    let mut out = Vec::new();
    for cell in history.cells() {
        for s in &cell.reads {
            out.push((s.to_string(), cell.id.to_string(), Edge::Read));
        }
        for s in &cell.deletes {
            out.push((cell.id.to_string(), s.to_string(), Edge::Delete));
        }
        for s in &cell.writes {
            out.push((cell.id.to_string(), s.to_string(), Edge::Write));
        }
    }
    out
}

fn edge_label(edge: Edge) -> &'static str {
    match edge {
        Edge::Read => "read",
        Edge::Write => "write",
        Edge::Delete => "del",
    }
}

/// Variable names are identifiers, but a hostile manifest could hold anything.
fn escape(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '_' {
                c
            } else {
                '?'
            }
        })
        .collect()
}
