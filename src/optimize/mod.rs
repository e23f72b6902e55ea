//! The planner: decides per co-variable group whether to store it or recompute it, by a
//! minimum cut over the history graph that minimises save + restore cost.
//!
//! Flow network (see `docs/checkpoint-format.md` for how plans are stored and
//! `ARCHITECTURE.md` for why): source -> group (cost to store and load it, infinite if it
//! cannot be serialized); group -> each cell that produced one of its members (infinite);
//! cell -> each cell it needs re-run first (infinite); cell -> sink (its runtime, infinite
//! for a cell that cannot re-run: changes made outside any cell, a cell that checkpoints).
//! Groups
//! left on the source side of the cut are recomputed, cells on the source side re-run.

mod cost;
mod cut;
mod deps;
mod plan;
mod replay;

pub use cost::CostModel;
pub use deps::Dependencies;
pub use plan::{
    plan, plan_avoiding, replan_recomputing, unrestorable, Plan, PlanCost, PlanError, PlanMode,
    ReplayStep, AVOIDED_RERUN_NS,
};
pub use replay::{check_plan, ReplayError};

#[cfg(test)]
mod tests;
