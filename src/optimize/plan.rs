//! Plans: what a checkpoint stores, what a restore re-runs, and in which order.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::cost::CostModel;
pub use super::cut::AVOIDED_RERUN_NS;
use super::cut::{min_cut_recomputed, runtime};
use super::deps::Dependencies;
use super::replay::{check_plan, ReplayError};
use crate::history::{CellId, GroupId, History};

/// Errors from planning.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// A live variable has no co-variable group: call `History::set_groups` first.
    #[error("live variable `{0}` has no co-variable group; group the namespace before planning")]
    Ungrouped(String),
    /// Live variables that can be neither stored (not serializable) nor recomputed (they
    /// were made by no cell a restore can re-run): no plan restores them. Sorted names.
    #[error("cannot be stored or recomputed: {}", .0.join(", "))]
    Unrestorable(Vec<String>),
}

/// How the plan is chosen.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum PlanMode {
    /// The minimum cut.
    #[default]
    Optimal,
    /// Store every serializable group; recompute only what cannot be stored.
    StoreAll,
    /// Store nothing; re-run every cell the live namespace needs.
    RecomputeAll,
}

/// One step of a restore, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ReplayStep {
    /// Re-run this cell.
    Run(CellId),
    /// Load this stored group into the namespace.
    Inject(GroupId),
}

/// The cost of a plan by the model, in nanoseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanCost {
    /// Storing and loading the stored groups.
    pub store_ns: u64,
    /// Re-running the re-run cells.
    pub rerun_ns: u64,
}

impl PlanCost {
    /// The total, saturating.
    #[must_use]
    pub fn total_ns(&self) -> u64 {
        self.store_ns.saturating_add(self.rerun_ns)
    }
}

/// What to store, what to re-run and the replay order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Plan {
    /// How it was chosen.
    pub mode: PlanMode,
    /// Groups serialized into the checkpoint, sorted.
    pub store: Vec<GroupId>,
    /// Groups rebuilt by re-running cells, sorted.
    pub recompute: Vec<GroupId>,
    /// Cells re-run at restore, in execution order.
    pub rerun: Vec<CellId>,
    /// The restore, step by step: cells in execution order, each stored group injected
    /// right after the last cell that produced one of its members.
    pub steps: Vec<ReplayStep>,
    /// Its cost by the model.
    pub cost: PlanCost,
}

/// Plans a checkpoint of the live namespace of a grouped history.
pub fn plan(history: &History, model: &CostModel, mode: PlanMode) -> Result<Plan, PlanError> {
    plan_avoiding(history, model, mode, &BTreeSet::new())
}

/// [`plan`], with the cells of `avoid` re-run only where nothing else can restore a value:
/// an optimal plan prices each of their re-runs [`AVOIDED_RERUN_NS`] higher (a cell that
/// reads files: a restore elsewhere has none of them). Their values are stored unless
/// they cannot be (not serializable). The other modes, and the plan's reported cost,
/// ignore it.
pub fn plan_avoiding(
    history: &History,
    model: &CostModel,
    mode: PlanMode,
    avoid: &BTreeSet<CellId>,
) -> Result<Plan, PlanError> {
    if let Some((name, _)) = history
        .live()
        .find(|(_, s)| history.snapshot(*s).is_none_or(|s| s.group.is_none()))
    {
        return Err(PlanError::Ungrouped(name.to_owned()));
    }
    let deps = Dependencies::new(history);
    let unrestorable = unrestorable_names(history, &deps);
    if !unrestorable.is_empty() {
        return Err(PlanError::Unrestorable(unrestorable));
    }
    let recompute: Vec<GroupId> = match mode {
        PlanMode::Optimal => min_cut_recomputed(history, &deps, model, avoid),
        PlanMode::StoreAll => history
            .groups()
            .iter()
            .filter(|g| !g.serializable)
            .map(|g| g.id)
            .collect(),
        // Everything that re-running can rebuild; the rest (made by cells that cannot
        // re-run) is stored.
        PlanMode::RecomputeAll => history
            .groups()
            .iter()
            .filter(|g| deps.recomputable[g.id.index()])
            .map(|g| g.id)
            .collect(),
    };
    Ok(build(history, &deps, model, mode, &recompute))
}

/// The live variables of a grouped history that no plan can restore: members of groups
/// that are not serializable and not recomputable, sorted. A host leaves them out of its
/// checkpoint (deleting them in a copy of the history) before planning.
#[must_use]
pub fn unrestorable(history: &History) -> Vec<String> {
    unrestorable_names(history, &Dependencies::new(history))
}

fn unrestorable_names(history: &History, deps: &Dependencies) -> Vec<String> {
    let mut names: Vec<String> = history
        .groups()
        .iter()
        .filter(|g| !g.serializable && !deps.recomputable[g.id.index()])
        .flat_map(|g| &g.members)
        .filter_map(|&m| history.snapshot(m))
        .map(|s| s.name.clone())
        .collect();
    names.sort_unstable();
    names
}

/// The plan that recomputes `plan`'s recomputed groups and `also`, storing the rest: the
/// fallback of a restore where some stored groups fail to load on the target runtime.
///
/// The result is checked by [`check_plan`]; it keeps `plan`'s mode.
pub fn replan_recomputing(
    history: &History,
    model: &CostModel,
    plan: &Plan,
    also: &[GroupId],
) -> Result<Plan, ReplayError> {
    let mut recompute: Vec<GroupId> = plan.recompute.iter().chain(also).copied().collect();
    recompute.sort_unstable();
    recompute.dedup();
    if let Some(&unknown) = recompute.iter().find(|g| history.group(**g).is_none()) {
        return Err(ReplayError::Unknown(unknown.to_string()));
    }
    let deps = Dependencies::new(history);
    let replanned = build(history, &deps, model, plan.mode, &recompute);
    check_plan(history, &replanned)?;
    Ok(replanned)
}

/// Builds the plan that recomputes exactly `recompute` and stores every other group.
pub(crate) fn build(
    history: &History,
    deps: &Dependencies,
    model: &CostModel,
    mode: PlanMode,
    recompute: &[GroupId],
) -> Plan {
    let recomputed: BTreeSet<GroupId> = recompute.iter().copied().collect();
    let store: Vec<GroupId> = history
        .groups()
        .iter()
        .map(|g| g.id)
        .filter(|g| !recomputed.contains(g))
        .collect();
    let rerun = deps.rerun_closure(recomputed.iter().copied());

    let mut injections: Vec<(CellId, GroupId)> = store
        .iter()
        .map(|&g| (deps.inject_after[g.index()], g))
        .collect();
    injections.sort_unstable();
    let mut steps = Vec::with_capacity(rerun.len() + store.len());
    let mut pending = injections.into_iter().peekable();
    let mut reruns = rerun.iter().copied().peekable();
    // Merge by cell position: a cell's run comes before the injections placed after it.
    loop {
        let next_run = reruns.peek().copied();
        let next_inject = pending.peek().copied();
        match (next_run, next_inject) {
            (Some(c), Some((after, _))) if c <= after => {
                steps.push(ReplayStep::Run(c));
                reruns.next();
            }
            (_, Some((_, g))) => {
                steps.push(ReplayStep::Inject(g));
                pending.next();
            }
            (Some(c), None) => {
                steps.push(ReplayStep::Run(c));
                reruns.next();
            }
            (None, None) => break,
        }
    }

    let store_ns = store
        .iter()
        .filter_map(|&g| history.group(g))
        .map(|g| model.store_cost_ns(g.size))
        .fold(0, u64::saturating_add);
    let rerun_ns = rerun
        .iter()
        .map(|&c| runtime(history, c))
        .fold(0, u64::saturating_add);
    Plan {
        mode,
        recompute: recomputed.into_iter().collect(),
        store,
        rerun,
        steps,
        cost: PlanCost { store_ns, rerun_ns },
    }
}
