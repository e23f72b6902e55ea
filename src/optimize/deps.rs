//! What re-running a cell or recomputing a group requires, derived from the history.

use std::collections::BTreeSet;

use crate::history::{CellId, GroupId, History, SnapshotId};

/// The dependency structure the cut and the replay are built on.
///
/// - Recomputing group `g` re-runs `producers[g]`: the cells that produced its members.
/// - A stored group is injected right after `inject_after[g]`, the last of its producers,
///   so re-run cells before that point see the versions they originally saw.
/// - Re-running cell `c` first re-runs `needs[c]`: the producers of every snapshot `c`
///   read or deleted that will not otherwise be there when `c` replays. That is any
///   snapshot that is no longer live, and a live snapshot whose group is injected after
///   `c`.
#[derive(Clone, Debug)]
pub struct Dependencies {
    /// Per group (by id): the cells that produced its members, sorted.
    pub producers: Vec<Vec<CellId>>,
    /// Per group: the cell after which a stored copy is injected.
    pub inject_after: Vec<CellId>,
    /// Per cell: the cells that must re-run before it can re-run, sorted.
    pub needs: Vec<Vec<CellId>>,
    /// Per group: whether re-running cells can rebuild it, that is whether no cell its
    /// recompute re-runs (`rerun_closure`) is one that cannot re-run (changes made
    /// outside any cell, a cell that checkpoints).
    pub recomputable: Vec<bool>,
}

impl Dependencies {
    /// Derives the dependencies from a grouped history.
    #[must_use]
    pub fn new(history: &History) -> Self {
        let producers: Vec<Vec<CellId>> = history
            .groups()
            .iter()
            .map(|g| {
                let cells: BTreeSet<CellId> = g
                    .members
                    .iter()
                    .filter_map(|&m| producer(history, m))
                    .collect();
                cells.into_iter().collect()
            })
            .collect();
        let inject_after: Vec<CellId> = producers
            .iter()
            .map(|cells| cells.last().copied().unwrap_or(CellId::new(0)))
            .collect();
        let needs = history
            .cells()
            .iter()
            .map(|cell| {
                let needed: BTreeSet<CellId> = cell
                    .reads
                    .iter()
                    .chain(&cell.deletes)
                    .filter_map(|&s| {
                        let snapshot = history.snapshot(s)?;
                        let available_by_injection = snapshot.is_active()
                            && snapshot
                                .group
                                .is_some_and(|g| inject_after[g.index()] < cell.id);
                        (!available_by_injection).then_some(snapshot.produced_by)
                    })
                    .collect();
                needed.into_iter().collect()
            })
            .collect::<Vec<Vec<CellId>>>();
        // A cell's needs all ran before it, so one pass in execution order settles
        // which cells' re-runs reach one that cannot re-run.
        let mut blocked = vec![false; history.cells().len()];
        for cell in history.cells() {
            blocked[cell.id.index()] =
                !cell.can_rerun() || needs[cell.id.index()].iter().any(|c| blocked[c.index()]);
        }
        let recomputable = producers
            .iter()
            .map(|cells| !cells.iter().any(|c| blocked[c.index()]))
            .collect();
        Self {
            producers,
            inject_after,
            needs,
            recomputable,
        }
    }

    /// The cells that must re-run to recompute every group in `recomputed`: their producers
    /// and, transitively, what those cells need. Sorted in execution order.
    #[must_use]
    pub fn rerun_closure(&self, recomputed: impl IntoIterator<Item = GroupId>) -> Vec<CellId> {
        let mut seen = vec![false; self.needs.len()];
        let mut stack: Vec<CellId> = recomputed
            .into_iter()
            .flat_map(|g| self.producers[g.index()].iter().copied())
            .collect();
        while let Some(cell) = stack.pop() {
            if std::mem::replace(&mut seen[cell.index()], true) {
                continue;
            }
            stack.extend(
                self.needs[cell.index()]
                    .iter()
                    .copied()
                    .filter(|c| !seen[c.index()]),
            );
        }
        seen.iter()
            .enumerate()
            .filter(|(_, &s)| s)
            .map(|(i, _)| CellId::new(i as u32))
            .collect()
    }
}

fn producer(history: &History, snapshot: SnapshotId) -> Option<CellId> {
    history.snapshot(snapshot).map(|s| s.produced_by)
}
