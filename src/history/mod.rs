//! The application history graph: cell executions and variable snapshots as nodes,
//! reads and writes as edges, deletions recorded, co-variable groups first-class.
//!
//! The graph only stores what happened; what to store or re-run is decided in
//! [`crate::optimize`].
//!
//! Invariants (checked when a graph is deserialized, see [`HistoryError`]):
//! - cells are numbered in execution order, snapshots in creation order;
//! - a snapshot is produced by exactly one cell, which ran before any cell that reads it;
//! - per name, versions increase by one from 1; at most one snapshot per name is *active*
//!   (neither superseded nor deleted), and the active snapshots are the live namespace;
//! - groups partition a subset of the active snapshots; a snapshot belongs to at most one.

mod render;

use std::collections::{BTreeMap, BTreeSet};

use petgraph::graph::{DiGraph, NodeIndex};
use serde::{Deserialize, Serialize};

pub use crate::ids::{CellId, GroupId, SnapshotId};
pub use render::{to_dot, to_mermaid};

/// Errors from building or loading a history.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HistoryError {
    /// A group names a variable that is not in the live namespace.
    #[error("variable `{0}` is not live, it cannot be grouped")]
    NotLive(String),
    /// A variable was put in two groups.
    #[error("variable `{0}` is in more than one group")]
    DuplicateMember(String),
    /// A group has no members.
    #[error("a co-variable group must have at least one member")]
    EmptyGroup,
    /// A serialized history breaks an invariant.
    #[error("corrupt history: {0}")]
    Corrupt(&'static str),
}

/// One execution of one cell.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CellExecution {
    /// Its id; ids follow execution order.
    pub id: CellId,
    /// The source as the user typed it.
    pub code: String,
    /// Wall-clock runtime in nanoseconds; [`CellExecution::CANNOT_RERUN_NS`] for a cell a
    /// restore must never re-run (see [`CellRecord::cannot_rerun`]).
    pub runtime_ns: u64,
    /// Whether it finished without raising.
    pub success: bool,
    /// Snapshots it read (the versions live when it ran).
    pub reads: Vec<SnapshotId>,
    /// Snapshots it produced (created, rebound or mutated names).
    pub writes: Vec<SnapshotId>,
    /// Snapshots it deleted (`del x`, or a name that vanished from the namespace).
    pub deletes: Vec<SnapshotId>,
}

impl CellExecution {
    /// The runtime of a cell that must never re-run: re-running it costs "forever". A
    /// reserved value of `runtime_ns` rather than a field of its own, so version-1 files,
    /// whose layout has no such field, can say it (no real cell runs for 584 years).
    pub const CANNOT_RERUN_NS: u64 = u64::MAX;

    /// Whether a restore can re-run it: false for changes made outside any cell and for
    /// cells that take checkpoints.
    #[must_use]
    pub fn can_rerun(&self) -> bool {
        self.runtime_ns != Self::CANNOT_RERUN_NS
    }
}

/// A cell's `runtime_ns` for people: `12.3ms`, or `never re-run` for one that cannot be.
#[must_use]
pub fn format_runtime(runtime_ns: u64) -> String {
    if runtime_ns == CellExecution::CANNOT_RERUN_NS {
        "never re-run".to_owned()
    } else {
        crate::units::format_duration_ns(runtime_ns)
    }
}

/// One version of one variable.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VariableSnapshot {
    /// Its id.
    pub id: SnapshotId,
    /// The variable's name.
    pub name: String,
    /// 1 for the first binding of the name, then +1 per write.
    pub version: u32,
    /// The cell execution that produced it.
    pub produced_by: CellId,
    /// The next version of the same name, if any.
    pub superseded_by: Option<SnapshotId>,
    /// The cell that deleted it, if any.
    pub deleted_by: Option<CellId>,
    /// The co-variable group it belongs to (active snapshots only, after grouping).
    pub group: Option<GroupId>,
}

impl VariableSnapshot {
    /// Whether this is the live version of its name.
    #[must_use]
    pub fn is_active(&self) -> bool {
        self.superseded_by.is_none() && self.deleted_by.is_none()
    }
}

/// Live variables that share objects (or are otherwise stored together), with the facts
/// the planner needs about them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CoVariableGroup {
    /// Its id.
    pub id: GroupId,
    /// The active snapshots in it, sorted.
    pub members: Vec<SnapshotId>,
    /// Serialized size estimate in bytes.
    pub size: u64,
    /// Whether it can be serialized at all (generators, locks, open files cannot).
    pub serializable: bool,
}

/// What the host observed about one cell execution.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CellRecord {
    /// The source as the user typed it.
    pub code: String,
    /// Wall-clock runtime in nanoseconds.
    pub runtime_ns: u64,
    /// Whether it finished without raising.
    pub success: bool,
    /// Names it read (from analysis); names not live at the time are ignored.
    pub reads: Vec<String>,
    /// The cell may have read anything (it did not parse, or it is dynamic): it reads
    /// every variable live when it ran.
    pub reads_everything: bool,
    /// Names it created or rebound.
    pub writes: Vec<String>,
    /// Names whose objects it changed in place (also through an alias): each is both a
    /// read of the previous version and a write of a new one, because re-running the cell
    /// reproduces the change only on the previous version.
    pub mutates: Vec<String>,
    /// Names it deleted.
    pub deletes: Vec<String>,
    /// A restore must never re-run it, so what it wrote can only be stored: a cell that
    /// takes checkpoints, or not a cell at all but changes seen between cells (a widget's
    /// callback, `shell.push`) or the namespace found when recording started (`code`
    /// then says which).
    #[serde(default)]
    pub cannot_rerun: bool,
}

/// What the host measured about one set of live variables at checkpoint time.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupSpec {
    /// Live variable names sharing objects.
    pub names: Vec<String>,
    /// Serialized size estimate in bytes.
    pub size: u64,
    /// Whether it can be serialized.
    pub serializable: bool,
}

/// A node of the history graph.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Node {
    /// A cell execution.
    Cell(CellId),
    /// A variable snapshot.
    Snapshot(SnapshotId),
}

/// An edge of the history graph.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Edge {
    /// Snapshot -> cell: the cell read the snapshot.
    Read,
    /// Cell -> snapshot: the cell produced the snapshot.
    Write,
    /// Cell -> snapshot: the cell deleted the snapshot.
    Delete,
}

/// The application history graph of one session.
///
/// Node and edge data live in id-indexed tables; the petgraph graph mirrors them for
/// traversal and is rebuilt on deserialization, so it can never disagree with them.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(into = "HistoryTables", try_from = "HistoryTables")]
pub struct History {
    tables: HistoryTables,
    graph: DiGraph<Node, Edge>,
    cell_nodes: Vec<NodeIndex>,
    snapshot_nodes: Vec<NodeIndex>,
    /// name -> its active snapshot.
    live: BTreeMap<String, SnapshotId>,
    /// name -> the version of its latest snapshot, active or not: where a name bound again
    /// after a `del` continues counting (a scan of every snapshot per new name had made
    /// recording quadratic in the session's names).
    last_versions: BTreeMap<String, u32>,
}

/// The serialized form: the tables alone.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryTables {
    cells: Vec<CellExecution>,
    snapshots: Vec<VariableSnapshot>,
    groups: Vec<CoVariableGroup>,
}

impl PartialEq for History {
    fn eq(&self, other: &Self) -> bool {
        self.tables == other.tables
    }
}

impl History {
    /// An empty history.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Records cell executions in order, as `record_cell` does each (a host's batch).
    pub fn record_cells(&mut self, records: &[CellRecord]) {
        for record in records {
            self.record_cell(record);
        }
    }

    /// Records one cell execution and returns its id.
    ///
    /// Reads resolve to the snapshots live before the cell ran; every written name gets a
    /// new version; deletions end the deleted names' active snapshots. Recording replaces
    /// the co-variable grouping (it described the namespace before this cell).
    pub fn record_cell(&mut self, record: &CellRecord) -> CellId {
        let cell = CellId::new(len_u32(self.tables.cells.len()));
        let node = self.graph.add_node(Node::Cell(cell));
        self.cell_nodes.push(node);
        self.clear_groups();

        let reads: Vec<SnapshotId> = if record.reads_everything {
            self.live.values().copied().collect()
        } else {
            let names: BTreeSet<&str> = record
                .reads
                .iter()
                .chain(&record.mutates)
                .map(String::as_str)
                .collect();
            names
                .iter()
                .filter_map(|name| self.live.get(*name).copied())
                .collect()
        };
        for &snapshot in &reads {
            self.graph
                .add_edge(self.snapshot_nodes[snapshot.index()], node, Edge::Read);
        }

        let mut deletes = Vec::new();
        let to_delete: BTreeSet<&str> = record.deletes.iter().map(String::as_str).collect();
        for name in &to_delete {
            if let Some(snapshot) = self.live.remove(*name) {
                self.tables.snapshots[snapshot.index()].deleted_by = Some(cell);
                self.graph
                    .add_edge(node, self.snapshot_nodes[snapshot.index()], Edge::Delete);
                deletes.push(snapshot);
            }
        }

        let mut writes = Vec::new();
        let written: BTreeSet<&str> = record
            .writes
            .iter()
            .chain(&record.mutates)
            .map(String::as_str)
            .collect();
        for name in written {
            let id = SnapshotId::new(len_u32(self.tables.snapshots.len()));
            let previous = self.live.insert(name.to_owned(), id);
            let version = match previous {
                Some(prev) => {
                    self.tables.snapshots[prev.index()].superseded_by = Some(id);
                    self.tables.snapshots[prev.index()].version + 1
                }
                None => self.last_versions.get(name).map_or(0, |v| *v) + 1,
            };
            self.last_versions.insert(name.to_owned(), version);
            self.tables.snapshots.push(VariableSnapshot {
                id,
                name: name.to_owned(),
                version,
                produced_by: cell,
                superseded_by: None,
                deleted_by: None,
                group: None,
            });
            let snap_node = self.graph.add_node(Node::Snapshot(id));
            self.snapshot_nodes.push(snap_node);
            self.graph.add_edge(node, snap_node, Edge::Write);
            writes.push(id);
        }

        self.tables.cells.push(CellExecution {
            id: cell,
            code: record.code.clone(),
            runtime_ns: if record.cannot_rerun {
                CellExecution::CANNOT_RERUN_NS
            } else {
                record.runtime_ns.min(CellExecution::CANNOT_RERUN_NS - 1)
            },
            success: record.success,
            reads,
            writes,
            deletes,
        });
        cell
    }

    /// Replaces the co-variable grouping of the live namespace.
    ///
    /// Live variables not named in any spec each get a group of their own with size 0 and
    /// `serializable = true`; callers that know better must name them.
    pub fn set_groups(&mut self, specs: &[GroupSpec]) -> Result<(), HistoryError> {
        let mut seen = BTreeSet::new();
        let mut groups = Vec::with_capacity(specs.len());
        for spec in specs {
            if spec.names.is_empty() {
                return Err(HistoryError::EmptyGroup);
            }
            let mut members = Vec::with_capacity(spec.names.len());
            for name in &spec.names {
                let snapshot = *self
                    .live
                    .get(name)
                    .ok_or_else(|| HistoryError::NotLive(name.clone()))?;
                if !seen.insert(snapshot) {
                    return Err(HistoryError::DuplicateMember(name.clone()));
                }
                members.push(snapshot);
            }
            members.sort_unstable();
            groups.push((members, spec.size, spec.serializable));
        }
        for &snapshot in self.live.values() {
            if !seen.contains(&snapshot) {
                groups.push((vec![snapshot], 0, true));
            }
        }
        self.clear_groups();
        for (members, size, serializable) in groups {
            let id = GroupId::new(len_u32(self.tables.groups.len()));
            for &member in &members {
                self.tables.snapshots[member.index()].group = Some(id);
            }
            self.tables.groups.push(CoVariableGroup {
                id,
                members,
                size,
                serializable,
            });
        }
        Ok(())
    }

    fn clear_groups(&mut self) {
        for group in self.tables.groups.drain(..) {
            for member in group.members {
                self.tables.snapshots[member.index()].group = None;
            }
        }
    }

    /// All cell executions in execution order.
    #[must_use]
    pub fn cells(&self) -> &[CellExecution] {
        &self.tables.cells
    }

    /// One cell execution.
    #[must_use]
    pub fn cell(&self, id: CellId) -> Option<&CellExecution> {
        self.tables.cells.get(id.index())
    }

    /// All snapshots in creation order.
    #[must_use]
    pub fn snapshots(&self) -> &[VariableSnapshot] {
        &self.tables.snapshots
    }

    /// One snapshot.
    #[must_use]
    pub fn snapshot(&self, id: SnapshotId) -> Option<&VariableSnapshot> {
        self.tables.snapshots.get(id.index())
    }

    /// The current co-variable groups (empty until [`History::set_groups`]).
    #[must_use]
    pub fn groups(&self) -> &[CoVariableGroup] {
        &self.tables.groups
    }

    /// One group.
    #[must_use]
    pub fn group(&self, id: GroupId) -> Option<&CoVariableGroup> {
        self.tables.groups.get(id.index())
    }

    /// The live namespace: each live name with its active snapshot, sorted by name.
    pub fn live(&self) -> impl Iterator<Item = (&str, SnapshotId)> + '_ {
        self.live.iter().map(|(name, &id)| (name.as_str(), id))
    }

    /// The active snapshot of a live name.
    #[must_use]
    pub fn live_snapshot(&self, name: &str) -> Option<SnapshotId> {
        self.live.get(name).copied()
    }

    /// The petgraph view of the history, for traversal and rendering.
    #[must_use]
    pub fn graph(&self) -> &DiGraph<Node, Edge> {
        &self.graph
    }

    /// The graph node of a cell.
    #[must_use]
    pub fn cell_node(&self, id: CellId) -> Option<NodeIndex> {
        self.cell_nodes.get(id.index()).copied()
    }

    /// The graph node of a snapshot.
    #[must_use]
    pub fn snapshot_node(&self, id: SnapshotId) -> Option<NodeIndex> {
        self.snapshot_nodes.get(id.index()).copied()
    }

    /// Serializes the history with postcard.
    pub fn to_postcard(&self) -> Result<Vec<u8>, postcard::Error> {
        postcard::to_allocvec(self)
    }

    /// Deserializes a history from postcard bytes, checking its invariants.
    pub fn from_postcard(bytes: &[u8]) -> Result<Self, postcard::Error> {
        postcard::from_bytes(bytes)
    }
}

impl From<History> for HistoryTables {
    fn from(history: History) -> Self {
        history.tables
    }
}

impl TryFrom<HistoryTables> for History {
    type Error = HistoryError;

    fn try_from(tables: HistoryTables) -> Result<Self, HistoryError> {
        validate(&tables)?;
        let mut graph = DiGraph::with_capacity(
            tables.cells.len() + tables.snapshots.len(),
            tables.snapshots.len() * 2,
        );
        let cell_nodes: Vec<NodeIndex> = tables
            .cells
            .iter()
            .map(|c| graph.add_node(Node::Cell(c.id)))
            .collect();
        let snapshot_nodes: Vec<NodeIndex> = tables
            .snapshots
            .iter()
            .map(|s| graph.add_node(Node::Snapshot(s.id)))
            .collect();
        let mut live = BTreeMap::new();
        for cell in &tables.cells {
            let node = cell_nodes[cell.id.index()];
            for s in &cell.reads {
                graph.add_edge(snapshot_nodes[s.index()], node, Edge::Read);
            }
            for s in &cell.deletes {
                graph.add_edge(node, snapshot_nodes[s.index()], Edge::Delete);
            }
            for s in &cell.writes {
                graph.add_edge(node, snapshot_nodes[s.index()], Edge::Write);
            }
        }
        let mut last_versions = BTreeMap::new();
        for snapshot in &tables.snapshots {
            if snapshot.is_active() {
                live.insert(snapshot.name.clone(), snapshot.id);
            }
            last_versions.insert(snapshot.name.clone(), snapshot.version);
        }
        Ok(Self {
            tables,
            graph,
            cell_nodes,
            snapshot_nodes,
            live,
            last_versions,
        })
    }
}

/// Checks every invariant a deserialized history must hold before it is indexed.
fn validate(tables: &HistoryTables) -> Result<(), HistoryError> {
    let cells = tables.cells.len();
    let snapshots = tables.snapshots.len();
    let snapshot_ok = |s: &SnapshotId| s.index() < snapshots;
    for (i, cell) in tables.cells.iter().enumerate() {
        if cell.id.index() != i {
            return Err(HistoryError::Corrupt("cell ids are not dense"));
        }
        let all = cell.reads.iter().chain(&cell.writes).chain(&cell.deletes);
        if !all.clone().all(snapshot_ok) {
            return Err(HistoryError::Corrupt("cell refers to a missing snapshot"));
        }
        if cell
            .reads
            .iter()
            .any(|s| tables.snapshots[s.index()].produced_by.index() >= i)
        {
            return Err(HistoryError::Corrupt(
                "cell reads a snapshot produced later",
            ));
        }
        if cell
            .writes
            .iter()
            .any(|s| tables.snapshots[s.index()].produced_by != cell.id)
        {
            return Err(HistoryError::Corrupt(
                "cell writes a snapshot it did not produce",
            ));
        }
    }
    let mut active = BTreeSet::new();
    for (i, snapshot) in tables.snapshots.iter().enumerate() {
        if snapshot.id.index() != i {
            return Err(HistoryError::Corrupt("snapshot ids are not dense"));
        }
        if snapshot.produced_by.index() >= cells {
            return Err(HistoryError::Corrupt("snapshot produced by a missing cell"));
        }
        if snapshot
            .superseded_by
            .is_some_and(|s| s.index() >= snapshots || s.index() <= i)
            || snapshot.deleted_by.is_some_and(|c| c.index() >= cells)
        {
            return Err(HistoryError::Corrupt("snapshot successor out of range"));
        }
        if snapshot.is_active() && !active.insert(snapshot.name.as_str()) {
            return Err(HistoryError::Corrupt("two active snapshots of one name"));
        }
        if snapshot
            .group
            .is_some_and(|g| g.index() >= tables.groups.len())
        {
            return Err(HistoryError::Corrupt("snapshot in a missing group"));
        }
    }
    for (i, group) in tables.groups.iter().enumerate() {
        if group.id.index() != i || group.members.is_empty() {
            return Err(HistoryError::Corrupt("malformed group"));
        }
        for member in &group.members {
            let snapshot = tables
                .snapshots
                .get(member.index())
                .ok_or(HistoryError::Corrupt("group member missing"))?;
            if snapshot.group != Some(group.id) || !snapshot.is_active() {
                return Err(HistoryError::Corrupt(
                    "group member is not an active member",
                ));
            }
        }
    }
    Ok(())
}

/// Converts a table length to the `u32` behind typed ids.
///
/// A session with more than four billion cells or snapshots cannot be recorded; the
/// saturation keeps this total instead of panicking.
fn len_u32(len: usize) -> u32 {
    u32::try_from(len).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests;
