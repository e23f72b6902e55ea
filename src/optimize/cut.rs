//! The minimum cut: which groups to store so that storing plus re-running costs least.

use std::collections::BTreeSet;

use petgraph::algo::dinics;
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;

use super::cost::{CostModel, MAX_FINITE_COST};
use super::deps::Dependencies;
use crate::history::{CellId, GroupId, History};

/// What an optimal plan adds to the re-run of a cell it is asked to avoid (an hour):
/// storing is cheaper for any value a store can take in that time.
pub const AVOIDED_RERUN_NS: u64 = 3_600 * 1_000_000_000;

/// Returns the groups to recompute (the source side of a minimum cut).
///
/// Every group must be serializable or recomputable (`plan` checks it first): one that is
/// neither puts an infinite path from source to sink, and no cut is then meaningful.
///
/// Only cells reachable from some group through producers and needs become nodes: other
/// cells can never be re-run, so they cannot change the cut.
pub(crate) fn min_cut_recomputed(
    history: &History,
    deps: &Dependencies,
    model: &CostModel,
    avoid: &BTreeSet<CellId>,
) -> Vec<GroupId> {
    // What the cut prices a re-run at: its runtime, plus the penalty of an avoided cell.
    let rerun_cost = |cell: CellId| {
        let ns = runtime(history, cell);
        if avoid.contains(&cell) {
            ns.saturating_add(AVOIDED_RERUN_NS).min(MAX_FINITE_COST)
        } else {
            ns
        }
    };
    let groups = history.groups();
    let all_groups = groups.iter().map(|g| g.id);
    let relevant = deps.rerun_closure(all_groups);

    let mut net: DiGraph<(), u64> =
        DiGraph::with_capacity(groups.len() + relevant.len() + 2, groups.len() * 2);
    let source = net.add_node(());
    let sink = net.add_node(());
    let mut cell_node: Vec<Option<NodeIndex>> = vec![None; history.cells().len()];
    for &cell in &relevant {
        cell_node[cell.index()] = Some(net.add_node(()));
    }

    // Infinite: larger than any finite cut, which is at most the sum of all finite caps.
    let finite_total: u64 = groups
        .iter()
        .filter(|g| g.serializable)
        .map(|g| model.store_cost_ns(g.size))
        .chain(
            relevant
                .iter()
                .filter(|&&c| can_rerun(history, c))
                .map(|&c| rerun_cost(c)),
        )
        .fold(0, u64::saturating_add);
    let infinite = finite_total.saturating_add(1).max(MAX_FINITE_COST);

    let group_nodes: Vec<NodeIndex> = groups
        .iter()
        .map(|group| {
            let node = net.add_node(());
            let cap = if group.serializable {
                model.store_cost_ns(group.size)
            } else {
                infinite
            };
            net.add_edge(source, node, cap);
            for producer in &deps.producers[group.id.index()] {
                if let Some(cell) = cell_node[producer.index()] {
                    net.add_edge(node, cell, infinite);
                }
            }
            node
        })
        .collect();
    for &cell in &relevant {
        let Some(from) = cell_node[cell.index()] else {
            continue;
        };
        // A cell that cannot re-run costs more than any cut: what needs it is stored.
        let cap = if can_rerun(history, cell) {
            rerun_cost(cell)
        } else {
            infinite
        };
        net.add_edge(from, sink, cap);
        for needed in &deps.needs[cell.index()] {
            if let Some(to) = cell_node[needed.index()] {
                net.add_edge(from, to, infinite);
            }
        }
    }

    let (_, flows) = dinics(&net, source, sink);
    let source_side = residual_reachable(&net, &flows, source);
    groups
        .iter()
        .zip(group_nodes)
        .filter(|(_, node)| source_side[node.index()])
        .map(|(g, _)| g.id)
        .collect()
}

/// Nodes reachable from `source` in the residual graph of a maximum flow: the source side
/// of a minimum cut.
fn residual_reachable(net: &DiGraph<(), u64>, flows: &[u64], source: NodeIndex) -> Vec<bool> {
    let mut seen = vec![false; net.node_count()];
    let mut stack = vec![source];
    seen[source.index()] = true;
    while let Some(node) = stack.pop() {
        let forward = net
            .edges_directed(node, petgraph::Direction::Outgoing)
            .filter(|e| flows[e.id().index()] < *e.weight())
            .map(|e| e.target());
        let backward = net
            .edges_directed(node, petgraph::Direction::Incoming)
            .filter(|e| flows[e.id().index()] > 0)
            .map(|e| e.source());
        let unseen: Vec<NodeIndex> = forward
            .chain(backward)
            .filter(|n| !seen[n.index()])
            .collect();
        for n in unseen {
            seen[n.index()] = true;
            stack.push(n);
        }
    }
    seen
}

fn can_rerun(history: &History, cell: CellId) -> bool {
    history
        .cell(cell)
        .is_none_or(crate::history::CellExecution::can_rerun)
}

pub(crate) fn runtime(history: &History, cell: CellId) -> u64 {
    history
        .cell(cell)
        .map_or(0, |c| c.runtime_ns.min(MAX_FINITE_COST))
}
