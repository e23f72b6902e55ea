//! Native benchmarks of the core; run by `bench/run` (not part of the test suite).
//!
//! Prints one JSON object with medians, for `bench/run` to store under `bench/results/`.

#[path = "workloads.rs"]
mod workloads;

use std::hint::black_box;
use std::time::{Duration, Instant};

use elastic_notebook::analysis::analyze;
use elastic_notebook::optimize::{plan, CostModel, PlanMode};

/// Median wall time of `f` over `runs` runs after one warm-up.
fn median(runs: usize, mut f: impl FnMut()) -> Duration {
    f();
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect();
    times.sort();
    times[times.len() / 2]
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn main() {
    let mut out = Vec::new();
    let cell20 = workloads::cell_20_lines(0);
    let cell500 = workloads::cell_500_lines();
    assert!(
        analyze(&cell20).parse_error.is_none(),
        "benchmark cell must parse"
    );
    let t20 = median(2000, || {
        black_box(analyze(black_box(&cell20)));
    });
    let t500 = median(200, || {
        black_box(analyze(black_box(&cell500)));
    });
    out.push(format!("\"analyze20Us\": {:.1}", micros(t20)));
    out.push(format!("\"analyze500Us\": {:.1}", micros(t500)));

    for cells in [2_000usize, 10_000] {
        let history = workloads::synthetic_history(cells, 42);
        let model = CostModel::default();
        let result = plan(&history, &model, PlanMode::Optimal).expect("plan");
        eprintln!(
            "{cells} cells: {} groups, {} stored, {} re-run",
            history.groups().len(),
            result.store.len(),
            result.rerun.len()
        );
        let t = median(21, || {
            black_box(plan(black_box(&history), &model, PlanMode::Optimal).expect("plan"));
        });
        out.push(format!("\"plan{cells}Ms\": {:.2}", micros(t) / 1e3));
    }
    println!("{{{}}}", out.join(", "));
}
