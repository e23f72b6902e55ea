//! Deterministic synthetic workloads shared by the native benchmarks.

use elastic_notebook::history::{CellRecord, GroupSpec, History};

/// A small deterministic PRNG (splitmix64): benchmarks must see the same inputs every run.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// A typical 20-line data-science cell: imports, a function, a comprehension, f-strings.
/// The same file is used by the wasm-in-Pyodide benchmark (`bench/pyodide.mjs`).
pub const CELL_20_LINES: &str = include_str!("cells/cell_20.py");

/// A 500-line cell: 25 distinct variants of the 20-line cell.
pub const CELL_500_LINES: &str = include_str!("cells/cell_500.py");

/// A synthetic notebook history of `cells` cells over a namespace that grows to about
/// `cells / 4` names; each cell reads up to 3 recent names, writes 1–2, sometimes mutates
/// or deletes. Live names are grouped in pairs and singletons with sizes from 1 KB to
/// 100 MB; 2 % are unserializable.
pub fn synthetic_history(cells: usize, seed: u64) -> History {
    let mut rng = Rng::new(seed);
    let mut h = History::new();
    let names = (cells / 4).max(8) as u64;
    let pick = |rng: &mut Rng, i: usize| {
        // Prefer recently written names, as notebooks do.
        let recent = (i as u64 / 4).min(names - 1);
        let back = rng.below(16).min(recent);
        format!("v{}", recent - back)
    };
    for i in 0..cells {
        let reads = (0..rng.below(4)).map(|_| pick(&mut rng, i)).collect();
        let writes = (0..=rng.below(2)).map(|_| pick(&mut rng, i + 4)).collect();
        let mutates = if rng.below(5) == 0 {
            vec![pick(&mut rng, i)]
        } else {
            vec![]
        };
        let deletes = if rng.below(50) == 0 {
            vec![pick(&mut rng, i)]
        } else {
            vec![]
        };
        h.record_cell(&CellRecord {
            code: format!("cell_{i}()"),
            runtime_ns: 1_000_000 * (1 + rng.below(2_000)),
            success: true,
            reads,
            writes,
            mutates,
            deletes,
            reads_everything: false,
            cannot_rerun: false,
        });
    }
    let live: Vec<String> = h.live().map(|(n, _)| n.to_owned()).collect();
    let specs: Vec<GroupSpec> = live
        .chunks(2)
        .enumerate()
        .map(|(i, pair)| {
            let names = if i % 3 == 0 {
                pair.to_vec()
            } else {
                pair[..1].to_vec()
            };
            GroupSpec {
                names,
                size: 1_000 * (1 + rng.below(100_000)),
                serializable: rng.below(50) != 0,
            }
        })
        .collect();
    if let Err(e) = h.set_groups(&specs) {
        panic!("synthetic grouping is valid: {e}");
    }
    h
}

/// A session of `groups` cells, each building one `size`-byte buffer in 1 s, each its own
/// group: the shape of a numpy-heavy notebook.
pub fn buffer_session(groups: usize, size: u64) -> History {
    let mut h = History::new();
    for i in 0..groups {
        h.record_cell(&CellRecord {
            code: format!("arr_{i} = np.random.rand({})", size / 8),
            runtime_ns: 1_000_000_000,
            success: true,
            writes: vec![format!("arr_{i}")],
            ..CellRecord::default()
        });
    }
    let specs: Vec<GroupSpec> = (0..groups)
        .map(|i| GroupSpec {
            names: vec![format!("arr_{i}")],
            size,
            serializable: true,
        })
        .collect();
    if let Err(e) = h.set_groups(&specs) {
        panic!("buffer session grouping is valid: {e}");
    }
    h
}
