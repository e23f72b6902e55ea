//! The restore, as the host performs it: the plan's steps with the code and names they need.

use serde::{Deserialize, Serialize};

use super::manifest::{Manifest, Serializer};
use crate::ids::{CellId, GroupId};
use crate::optimize::{replan_recomputing, ReplayError, ReplayStep};

/// One step of a restore, in order, self-contained for the host.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum RestoreStep {
    /// Re-run a cell's code in the staging namespace.
    #[serde(rename_all = "camelCase")]
    Run {
        /// The cell.
        cell: CellId,
        /// Its source.
        code: String,
        /// Whether it succeeded when recorded. A cell that failed is expected to raise
        /// again at the same point; its effects up to there are what was recorded.
        success: bool,
    },
    /// Load a stored group's blobs and bind its names in the staging namespace.
    #[serde(rename_all = "camelCase")]
    Load {
        /// The group.
        group: GroupId,
        /// Its variables, sorted.
        names: Vec<String>,
        /// How to load its blobs.
        serializer: Serializer,
        /// How many blobs it has (blob 0 is the pickle stream).
        blobs: usize,
    },
}

impl Manifest {
    /// The plan's steps with the code of each re-run cell and the names of each loaded
    /// group. A valid manifest (see [`Manifest::validate`]) has every cell and group the
    /// steps name; steps naming anything else are skipped.
    #[must_use]
    pub fn restore_steps(&self) -> Vec<RestoreStep> {
        self.steps_of(&self.head.plan.steps)
    }

    /// The restore steps when the stored groups in `failed` cannot be loaded (a missing
    /// module, another Python version): those are recomputed from the history instead,
    /// with what their re-run cells need, and every other stored group is still loaded.
    pub fn fallback_steps(&self, failed: &[GroupId]) -> Result<Vec<RestoreStep>, ReplayError> {
        let head = &self.head;
        let plan = replan_recomputing(&head.history, &head.cost_model, &head.plan, failed)?;
        Ok(self.steps_of(&plan.steps))
    }

    fn steps_of(&self, steps: &[ReplayStep]) -> Vec<RestoreStep> {
        let history = &self.head.history;
        steps
            .iter()
            .filter_map(|step| match *step {
                ReplayStep::Run(cell) => history.cell(cell).map(|c| RestoreStep::Run {
                    cell,
                    code: c.code.clone(),
                    success: c.success,
                }),
                ReplayStep::Inject(group) => {
                    self.stored_group(group).map(|stored| RestoreStep::Load {
                        group,
                        names: self.group_names(group),
                        serializer: stored.serializer,
                        blobs: stored.blobs.len(),
                    })
                }
            })
            .collect()
    }

    /// The live variable names a restore must produce, sorted.
    #[must_use]
    pub fn live_names(&self) -> Vec<String> {
        self.head
            .history
            .live()
            .map(|(name, _)| name.to_owned())
            .collect()
    }
}
