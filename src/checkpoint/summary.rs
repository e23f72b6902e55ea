//! A flat, serializable description of a checkpoint for `inspect` and the bindings.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::hash::ContentHash;
use super::layout::FORMAT_VERSION;
use super::manifest::{Manifest, Producer, Serializer};
use crate::ids::{CellId, GroupId};
use crate::optimize::{PlanCost, PlanMode, ReplayStep};

/// What `inspect` shows: producer, cells, groups with their decisions, and the replay.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckpointSummary {
    /// The format version.
    pub format_version: u16,
    /// Who wrote it.
    pub producer: Producer,
    /// Creation time, milliseconds since the Unix epoch.
    pub created_unix_ms: u64,
    /// The checkpoint this one was taken after.
    pub parent: Option<ContentHash>,
    /// Every recorded cell execution, in order.
    pub cells: Vec<CellSummary>,
    /// Every co-variable group of the live namespace.
    pub groups: Vec<GroupSummary>,
    /// How the plan was chosen.
    pub plan_mode: PlanMode,
    /// The plan's cost by the model.
    pub plan_cost: PlanCost,
    /// The restore, step by step.
    pub steps: Vec<ReplayStep>,
    /// Total bytes of stored blobs.
    pub stored_bytes: u64,
    /// Number of chunks.
    pub chunks: usize,
    /// The manifest's host metadata (`extra`): process state the host carries besides
    /// variables, by key.
    pub extra: BTreeMap<String, String>,
}

/// One cell execution.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CellSummary {
    /// Its id.
    pub id: CellId,
    /// Its source.
    pub code: String,
    /// Its runtime in nanoseconds (0 for a cell that cannot re-run).
    pub runtime_ns: u64,
    /// Whether it finished without raising.
    pub success: bool,
    /// Whether a restore re-runs it.
    pub rerun: bool,
    /// A restore never re-runs it: a cell that takes checkpoints, or changes made outside
    /// any cell.
    pub cannot_rerun: bool,
}

/// What a restore does with one group.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum GroupDecision {
    /// Loaded from the checkpoint.
    #[serde(rename_all = "camelCase")]
    Stored {
        /// How it was serialized.
        serializer: Serializer,
        /// Bytes stored.
        stored_bytes: u64,
        /// Number of blobs.
        blobs: usize,
    },
    /// Rebuilt by re-running cells.
    Recomputed,
}

/// One co-variable group.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupSummary {
    /// Its id.
    pub id: GroupId,
    /// Its variables, sorted.
    pub names: Vec<String>,
    /// Its size estimate at checkpoint time.
    pub size: u64,
    /// Whether it could be serialized.
    pub serializable: bool,
    /// Stored or recomputed.
    pub decision: GroupDecision,
}

impl Manifest {
    /// The summary `inspect` shows.
    #[must_use]
    pub fn summary(&self) -> CheckpointSummary {
        let head = &self.head;
        let rerun = &head.plan.rerun;
        let cells = head
            .history
            .cells()
            .iter()
            .map(|c| CellSummary {
                id: c.id,
                code: c.code.clone(),
                // Not the history's reserved value: hosts take numbers as doubles.
                runtime_ns: if c.can_rerun() { c.runtime_ns } else { 0 },
                success: c.success,
                rerun: rerun.binary_search(&c.id).is_ok(),
                cannot_rerun: !c.can_rerun(),
            })
            .collect();
        let groups = head
            .history
            .groups()
            .iter()
            .map(|g| GroupSummary {
                id: g.id,
                names: self.group_names(g.id),
                size: g.size,
                serializable: g.serializable,
                decision: self
                    .stored_group(g.id)
                    .map_or(GroupDecision::Recomputed, |s| GroupDecision::Stored {
                        serializer: s.serializer,
                        stored_bytes: s.stored_bytes(),
                        blobs: s.blobs.len(),
                    }),
            })
            .collect();
        CheckpointSummary {
            format_version: FORMAT_VERSION,
            producer: head.producer.clone(),
            created_unix_ms: head.created_unix_ms,
            parent: head.parent,
            cells,
            groups,
            plan_mode: head.plan.mode,
            plan_cost: head.plan.cost,
            steps: head.plan.steps.clone(),
            stored_bytes: self
                .groups
                .iter()
                .map(super::StoredGroup::stored_bytes)
                .sum(),
            chunks: self.chunks.len(),
            extra: head.extra.clone(),
        }
    }
}
