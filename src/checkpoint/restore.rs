//! The restore, as the host performs it: the plan's steps with the code and names they need.

use serde::{Deserialize, Serialize};

use super::manifest::{Manifest, Serializer};
use crate::ids::{CellId, GroupId};
use crate::optimize::ReplayStep;

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
        let history = &self.head.history;
        self.head
            .plan
            .steps
            .iter()
            .filter_map(|step| match *step {
                ReplayStep::Run(cell) => history.cell(cell).map(|c| RestoreStep::Run {
                    cell,
                    code: c.code.clone(),
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
