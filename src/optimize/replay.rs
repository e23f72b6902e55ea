//! A symbolic replay that checks a plan restores the live namespace exactly.
//!
//! It tracks which snapshot each name holds while the steps run, and fails where a
//! re-run cell would see another version than it originally saw, or where the namespace
//! at the end differs from the live one.

use std::collections::BTreeMap;

use super::plan::{Plan, ReplayStep};
use crate::history::{CellId, GroupId, History, SnapshotId};

/// Why a plan would not reproduce the namespace.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReplayError {
    /// A step names a cell or group the history does not have.
    #[error("plan refers to unknown {0}")]
    Unknown(String),
    /// A re-run cell would read or delete another version than it originally did.
    #[error("re-running {cell} needs `{name}` version {expected}, but replay has {found}")]
    WrongInput {
        /// The cell.
        cell: CellId,
        /// The variable.
        name: String,
        /// The version it originally saw.
        expected: u32,
        /// What the replay would give it (`none` if unbound).
        found: String,
    },
    /// An unserializable group is stored.
    #[error("{0} cannot be serialized but the plan stores it")]
    StoresUnserializable(GroupId),
    /// After replay a live variable is missing or has another version.
    #[error("after replay `{0}` does not hold its checkpoint-time version")]
    NotRestored(String),
    /// A step re-runs a cell that cannot re-run (changes made outside any cell, a cell
    /// that takes checkpoints).
    #[error("{0} cannot be re-run (changes made outside any cell, or a cell that checkpoints)")]
    CannotRerun(CellId),
    /// Cells are not in execution order.
    #[error("replay runs cells out of order at {0}")]
    OutOfOrder(CellId),
}

/// Replays the plan symbolically against the history.
pub fn check_plan(history: &History, plan: &Plan) -> Result<(), ReplayError> {
    let mut namespace: BTreeMap<&str, SnapshotId> = BTreeMap::new();
    let mut last_run: Option<CellId> = None;
    for step in &plan.steps {
        match *step {
            ReplayStep::Run(id) => {
                let cell = history
                    .cell(id)
                    .ok_or_else(|| ReplayError::Unknown(id.to_string()))?;
                if !cell.can_rerun() {
                    return Err(ReplayError::CannotRerun(id));
                }
                if last_run.is_some_and(|last| last >= id) {
                    return Err(ReplayError::OutOfOrder(id));
                }
                last_run = Some(id);
                for &input in cell.reads.iter().chain(&cell.deletes) {
                    let snapshot = history
                        .snapshot(input)
                        .ok_or_else(|| ReplayError::Unknown(input.to_string()))?;
                    let found = namespace.get(snapshot.name.as_str()).copied();
                    if found != Some(input) {
                        return Err(ReplayError::WrongInput {
                            cell: id,
                            name: snapshot.name.clone(),
                            expected: snapshot.version,
                            found: found
                                .and_then(|s| history.snapshot(s))
                                .map_or_else(|| "none".to_owned(), |s| s.version.to_string()),
                        });
                    }
                }
                for &deleted in &cell.deletes {
                    if let Some(snapshot) = history.snapshot(deleted) {
                        namespace.remove(snapshot.name.as_str());
                    }
                }
                for &written in &cell.writes {
                    if let Some(snapshot) = history.snapshot(written) {
                        namespace.insert(&snapshot.name, written);
                    }
                }
            }
            ReplayStep::Inject(id) => {
                let group = history
                    .group(id)
                    .ok_or_else(|| ReplayError::Unknown(id.to_string()))?;
                if !group.serializable {
                    return Err(ReplayError::StoresUnserializable(id));
                }
                for &member in &group.members {
                    if let Some(snapshot) = history.snapshot(member) {
                        namespace.insert(&snapshot.name, member);
                    }
                }
            }
        }
    }
    for (name, snapshot) in history.live() {
        if namespace.get(name) != Some(&snapshot) {
            return Err(ReplayError::NotRestored(name.to_owned()));
        }
    }
    Ok(())
}
