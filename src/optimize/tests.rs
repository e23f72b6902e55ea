use std::collections::BTreeSet;

use proptest::prelude::*;

use super::plan::build;
use super::*;
use crate::history::{CellExecution, CellRecord, GroupId, GroupSpec, History};

const MS: u64 = 1_000_000;

fn cell(h: &mut History, runtime_ms: u64, reads: &[&str], writes: &[&str]) {
    h.record_cell(&CellRecord {
        code: format!("# reads {reads:?} writes {writes:?}"),
        runtime_ns: runtime_ms * MS,
        success: true,
        reads: reads.iter().map(|s| (*s).to_owned()).collect(),
        writes: writes.iter().map(|s| (*s).to_owned()).collect(),
        ..CellRecord::default()
    });
}

fn group(names: &[&str], size: u64, serializable: bool) -> GroupSpec {
    GroupSpec {
        names: names.iter().map(|s| (*s).to_owned()).collect(),
        size,
        serializable,
    }
}

/// 1 byte per nanosecond each way: storing `n` bytes costs `2n` ns (plus no overhead).
fn model() -> CostModel {
    CostModel {
        write_bandwidth: 1e9,
        read_bandwidth: 1e9,
        per_group_ns: 0,
    }
}

fn names_of(h: &History, groups: &[GroupId]) -> Vec<String> {
    let mut names: Vec<String> = groups
        .iter()
        .flat_map(|g| h.group(*g).expect("group").members.clone())
        .map(|s| h.snapshot(s).expect("snapshot").name.clone())
        .collect();
    names.sort();
    names
}

#[test]
fn stores_what_is_slow_to_compute_and_recomputes_what_is_big() {
    let mut h = History::new();
    cell(&mut h, 5000, &[], &["model"]); // 5 s to train, 1 KB
    cell(&mut h, 1, &[], &["big"]); // 1 ms to build, 1 GB
    h.set_groups(&[
        group(&["model"], 1_000, true),
        group(&["big"], 1_000_000_000, true),
    ])
    .expect("groups");
    let plan = plan(&h, &model(), PlanMode::Optimal).expect("plan");
    assert_eq!(names_of(&h, &plan.store), ["model"]);
    assert_eq!(names_of(&h, &plan.recompute), ["big"]);
    assert_eq!(plan.rerun.len(), 1);
    check_plan(&h, &plan).expect("replays");
}

#[test]
fn unserializable_groups_are_recomputed_whatever_they_cost() {
    let mut h = History::new();
    cell(&mut h, 60_000, &[], &["gen"]);
    h.set_groups(&[group(&["gen"], 1, false)]).expect("groups");
    for mode in [
        PlanMode::Optimal,
        PlanMode::StoreAll,
        PlanMode::RecomputeAll,
    ] {
        let plan = plan(&h, &model(), mode).expect("plan");
        assert!(plan.store.is_empty(), "{mode:?} stored a generator");
        check_plan(&h, &plan).expect("replays");
    }
}

#[test]
fn recomputing_needs_overwritten_inputs_rerun_too() {
    let mut h = History::new();
    cell(&mut h, 1000, &[], &["x"]); // c0
    cell(&mut h, 1, &["x"], &["y"]); // c1: y from x v1
    cell(&mut h, 1, &[], &["x"]); // c2: x rebound; x v1 is gone
    h.set_groups(&[group(&["x"], 10, true), group(&["y"], 1_000_000_000, true)])
        .expect("groups");
    let plan = plan(&h, &model(), PlanMode::Optimal).expect("plan");
    // y is huge, so it is recomputed; that needs x v1, which only c0 can give back.
    assert_eq!(names_of(&h, &plan.recompute), ["y"]);
    assert_eq!(
        plan.rerun.iter().map(|c| c.as_u32()).collect::<Vec<_>>(),
        [0, 1]
    );
    check_plan(&h, &plan).expect("replays");
}

#[test]
fn a_stored_group_is_injected_after_its_last_producer() {
    let mut h = History::new();
    cell(&mut h, 1000, &[], &["a"]); // c0
    cell(&mut h, 1, &["a"], &["c"]); // c1 reads a before b joins its group
    cell(&mut h, 1000, &["a"], &["b"]); // c2: b = a (shares a's object)
    h.set_groups(&[
        group(&["a", "b"], 10, true),
        group(&["c"], 1_000_000_000, true),
    ])
    .expect("groups");
    let plan = plan(&h, &model(), PlanMode::Optimal).expect("plan");
    // {a, b} is injected after c2; c1 re-runs before that, so it needs c0 to give it `a`.
    assert_eq!(names_of(&h, &plan.store), ["a", "b"]);
    assert_eq!(
        plan.steps,
        [
            ReplayStep::Run(crate::ids::CellId::new(0)),
            ReplayStep::Run(crate::ids::CellId::new(1)),
            ReplayStep::Inject(h.group(plan.store[0]).expect("group").id),
        ]
    );
    check_plan(&h, &plan).expect("replays");
}

#[test]
fn planning_an_ungrouped_namespace_is_an_error() {
    let mut h = History::new();
    cell(&mut h, 1, &[], &["x"]);
    assert_eq!(
        plan(&h, &model(), PlanMode::Optimal),
        Err(PlanError::Ungrouped("x".into()))
    );
}

#[test]
fn an_empty_session_plans_nothing() {
    let mut h = History::new();
    h.set_groups(&[]).expect("groups");
    let plan = plan(&h, &model(), PlanMode::Optimal).expect("plan");
    assert!(plan.steps.is_empty());
    assert_eq!(plan.cost.total_ns(), 0);
}

#[test]
fn check_plan_catches_a_plan_that_skips_a_needed_cell() {
    let mut h = History::new();
    cell(&mut h, 1, &[], &["x"]);
    cell(&mut h, 1, &["x"], &["y"]);
    h.set_groups(&[]).expect("groups");
    let mut bad = plan(&h, &model(), PlanMode::RecomputeAll).expect("plan");
    bad.steps.remove(0);
    assert!(matches!(
        check_plan(&h, &bad),
        Err(ReplayError::WrongInput { .. })
    ));
}

#[test]
fn a_cell_to_avoid_has_its_values_stored_unless_they_cannot_be() {
    // `rows` (1 ms to read from a file, 1 GB) is recomputed by the optimal plan, stored
    // once its cell is to be avoided; `n` is still recomputed from it; the modes that are
    // not optimal, and the reported cost, ignore the penalty.
    let mut h = History::new();
    cell(&mut h, 1, &[], &["rows"]);
    cell(&mut h, 1, &["rows"], &["n"]);
    h.set_groups(&[
        group(&["rows"], 1_000_000_000, true),
        group(&["n"], 1_000_000_000, true),
    ])
    .expect("groups");
    let reading = BTreeSet::from([h.cells()[0].id]);
    let optimal = plan(&h, &model(), PlanMode::Optimal).expect("plan");
    assert_eq!(names_of(&h, &optimal.recompute), ["n", "rows"]);
    let avoiding = plan_avoiding(&h, &model(), PlanMode::Optimal, &reading).expect("plan");
    assert_eq!(names_of(&h, &avoiding.store), ["rows"]);
    assert_eq!(names_of(&h, &avoiding.recompute), ["n"]);
    assert_eq!(avoiding.rerun, [h.cells()[1].id]);
    assert_eq!(avoiding.cost.rerun_ns, MS);
    check_plan(&h, &avoiding).expect("replays");
    let recompute_all = plan_avoiding(&h, &model(), PlanMode::RecomputeAll, &reading);
    assert_eq!(recompute_all, plan(&h, &model(), PlanMode::RecomputeAll));
    // A value that cannot be stored is still made by re-running the avoided cell.
    h.set_groups(&[
        group(&["rows"], 1, false),
        group(&["n"], 1_000_000_000, true),
    ])
    .expect("groups");
    let unstorable = plan_avoiding(&h, &model(), PlanMode::Optimal, &reading).expect("plan");
    assert_eq!(names_of(&h, &unstorable.recompute), ["n", "rows"]);
    check_plan(&h, &unstorable).expect("replays");
}

/// Changes made outside any cell (`x` here): what a cell made from them is recomputed
/// only while they are there to inject, and they themselves are always stored.
fn outside(h: &mut History, writes: &[&str]) {
    h.record_cell(&CellRecord {
        code: format!("# outside any cell: {writes:?}"),
        writes: writes.iter().map(|s| (*s).to_owned()).collect(),
        success: true,
        cannot_rerun: true,
        ..CellRecord::default()
    });
}

#[test]
fn changes_outside_cells_are_stored_whatever_they_cost() {
    let mut h = History::new();
    outside(&mut h, &["x"]);
    cell(&mut h, 1, &["x"], &["y"]);
    assert!(!h.cells()[0].can_rerun());
    assert_eq!(
        crate::history::format_runtime(h.cells()[0].runtime_ns),
        "never re-run"
    );
    h.set_groups(&[
        group(&["x"], 1_000_000_000, true),
        group(&["y"], 1_000_000_000, true),
    ])
    .expect("groups");
    for mode in [PlanMode::Optimal, PlanMode::RecomputeAll] {
        let plan = plan(&h, &model(), mode).expect("plan");
        assert_eq!(names_of(&h, &plan.store), ["x"], "{mode:?}");
        assert_eq!(names_of(&h, &plan.recompute), ["y"], "{mode:?}");
        check_plan(&h, &plan).expect("replays");
    }
}

#[test]
fn a_cell_needing_a_version_made_outside_cells_cannot_be_rerun() {
    let mut h = History::new();
    outside(&mut h, &["x"]);
    cell(&mut h, 1, &["x"], &["y"]); // y from x version 1
    cell(&mut h, 1, &[], &["x"]); // x version 2: version 1 is gone
    h.set_groups(&[group(&["x"], 1, true), group(&["y"], 1_000_000_000, true)])
        .expect("groups");
    let recompute_all = plan(&h, &model(), PlanMode::RecomputeAll).expect("plan");
    assert_eq!(names_of(&h, &recompute_all.store), ["y"]);
    check_plan(&h, &recompute_all).expect("replays");
    // Unserializable, it cannot be restored at all.
    h.set_groups(&[group(&["x"], 1, true), group(&["y"], 1, false)])
        .expect("groups");
    assert_eq!(unrestorable(&h), ["y"]);
    assert_eq!(
        plan(&h, &model(), PlanMode::Optimal),
        Err(PlanError::Unrestorable(vec!["y".to_owned()]))
    );
}

#[test]
fn a_fallback_cannot_recompute_changes_made_outside_cells() {
    let mut h = History::new();
    outside(&mut h, &["x"]);
    h.set_groups(&[group(&["x"], 1, true)]).expect("groups");
    let stored = plan(&h, &model(), PlanMode::Optimal).expect("plan");
    let x = stored.store[0];
    assert_eq!(
        replan_recomputing(&h, &model(), &stored, &[x]),
        Err(ReplayError::CannotRerun(h.cells()[0].id))
    );
}

/// A random notebook: each cell reads, writes, mutates and deletes names from a small pool.
#[derive(Debug, Clone)]
struct RandomCell {
    runtime_ms: u64,
    reads: Vec<usize>,
    writes: Vec<usize>,
    mutates: Vec<usize>,
    deletes: Vec<usize>,
    reads_everything: bool,
    cannot_rerun: bool,
}

const POOL: [&str; 6] = ["a", "b", "c", "d", "e", "f"];

fn random_cell() -> impl Strategy<Value = RandomCell> {
    let names = || proptest::collection::vec(0..POOL.len(), 0..3);
    (
        0u64..2000,
        names(),
        names(),
        names(),
        proptest::collection::vec(0..POOL.len(), 0..2),
        proptest::bool::weighted(0.05),
        proptest::bool::weighted(0.15),
    )
        .prop_map(
            |(runtime_ms, reads, writes, mutates, deletes, reads_everything, cannot_rerun)| {
                RandomCell {
                    runtime_ms,
                    reads,
                    writes,
                    mutates,
                    deletes,
                    reads_everything,
                    cannot_rerun,
                }
            },
        )
}

fn random_history() -> impl Strategy<Value = (History, Vec<(u64, bool, u8)>)> {
    (
        proptest::collection::vec(random_cell(), 1..13),
        proptest::collection::vec(
            (0u64..3_000_000_000, proptest::bool::weighted(0.85), 0u8..3),
            POOL.len(),
        ),
    )
        .prop_map(|(cells, group_facts)| {
            let mut h = History::new();
            for c in &cells {
                let pick = |ids: &[usize]| ids.iter().map(|&i| POOL[i].to_owned()).collect();
                h.record_cell(&CellRecord {
                    code: String::new(),
                    runtime_ns: c.runtime_ms * MS,
                    success: true,
                    reads: pick(&c.reads),
                    writes: pick(&c.writes),
                    mutates: pick(&c.mutates),
                    deletes: pick(&c.deletes),
                    reads_everything: c.reads_everything,
                    cannot_rerun: c.cannot_rerun,
                });
            }
            (h, group_facts)
        })
}

/// Groups live names by a random key, with random sizes and serializability.
fn group_randomly(h: &mut History, facts: &[(u64, bool, u8)]) {
    let live: Vec<String> = h.live().map(|(n, _)| n.to_owned()).collect();
    let mut specs: Vec<GroupSpec> = Vec::new();
    for key in 0..3u8 {
        let names: Vec<String> = live
            .iter()
            .filter(|n| {
                POOL.iter()
                    .position(|p| p == n)
                    .is_some_and(|i| facts[i].2 == key)
            })
            .cloned()
            .collect();
        if names.is_empty() {
            continue;
        }
        let i = POOL.iter().position(|p| *p == names[0]).expect("pool name");
        specs.push(GroupSpec {
            names,
            size: facts[i].0,
            serializable: facts[i].1,
        });
    }
    h.set_groups(&specs).expect("random grouping is valid");
}

/// The cheapest plan by exhaustive search over which groups to recompute, among those that
/// re-run no cell that cannot re-run; `u64::MAX` if there is none.
fn brute_force_cost(h: &History, model: &CostModel) -> u64 {
    let deps = Dependencies::new(h);
    let groups = h.groups();
    let mut best = u64::MAX;
    for mask in 0u32..(1 << groups.len()) {
        let recompute: Vec<GroupId> = groups
            .iter()
            .enumerate()
            .filter(|(i, g)| mask & (1 << i) != 0 || !g.serializable)
            .map(|(_, g)| g.id)
            .collect();
        let plan = build(h, &deps, model, PlanMode::Optimal, &recompute);
        let possible = plan
            .rerun
            .iter()
            .all(|&c| h.cell(c).is_some_and(CellExecution::can_rerun));
        if possible {
            best = best.min(plan.cost.total_ns());
        }
    }
    best
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn min_cut_equals_brute_force_and_every_plan_replays(
        (mut h, facts) in random_history(),
        bandwidth in prop_oneof![Just(1e6), Just(1e8), Just(1e9), Just(1e11)],
    ) {
        group_randomly(&mut h, &facts);
        let model = CostModel::with_bandwidth(bandwidth);
        // Unrestorable exactly when no plan can avoid re-running what cannot re-run.
        let unrestorable = unrestorable(&h);
        prop_assert_eq!(unrestorable.is_empty(), brute_force_cost(&h, &model) < u64::MAX);
        if !unrestorable.is_empty() {
            for mode in [PlanMode::Optimal, PlanMode::StoreAll, PlanMode::RecomputeAll] {
                prop_assert_eq!(
                    plan(&h, &model, mode),
                    Err(PlanError::Unrestorable(unrestorable.clone()))
                );
            }
            return Ok(());
        }
        let optimal = plan(&h, &model, PlanMode::Optimal).expect("plan");
        let store_all = plan(&h, &model, PlanMode::StoreAll).expect("plan");
        let recompute_all = plan(&h, &model, PlanMode::RecomputeAll).expect("plan");
        for p in [&optimal, &store_all, &recompute_all] {
            prop_assert_eq!(check_plan(&h, p), Ok(()), "{:?} does not replay", p.mode);
        }
        prop_assert_eq!(optimal.cost.total_ns(), brute_force_cost(&h, &model));
        prop_assert!(optimal.cost.total_ns() <= store_all.cost.total_ns());
        prop_assert!(optimal.cost.total_ns() <= recompute_all.cost.total_ns());
        // Recompute-all stores exactly what changes outside cells made necessary.
        let deps = Dependencies::new(&h);
        for g in h.groups() {
            prop_assert_eq!(recompute_all.store.contains(&g.id), !deps.recomputable[g.id.index()]);
        }
        let unserializable = h.groups().iter().filter(|g| !g.serializable).count();
        prop_assert_eq!(store_all.recompute.len(), unserializable);
    }
}
