//! The cost model: seconds are counted in integer nanoseconds so the cut is exact.

use serde::{Deserialize, Serialize};

/// How expensive storing and loading bytes is, relative to re-running cells.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CostModel {
    /// Bytes per second the checkpoint is written at (serialize + write).
    pub write_bandwidth: f64,
    /// Bytes per second it is read back at (read + deserialize).
    pub read_bandwidth: f64,
    /// Fixed cost of storing one group (a pickle call, a manifest entry), in nanoseconds.
    pub per_group_ns: u64,
}

impl Default for CostModel {
    /// A conservative desktop default: 500 MB/s write, 1 GB/s read, 50 us per group.
    fn default() -> Self {
        Self {
            write_bandwidth: 500e6,
            read_bandwidth: 1e9,
            per_group_ns: 50_000,
        }
    }
}

impl CostModel {
    /// A model with one bandwidth for both directions.
    #[must_use]
    pub fn with_bandwidth(bytes_per_second: f64) -> Self {
        Self {
            write_bandwidth: bytes_per_second,
            read_bandwidth: bytes_per_second,
            ..Self::default()
        }
    }

    /// Nanoseconds to store and later load `size` bytes.
    ///
    /// Non-positive or NaN bandwidths count as infinitely slow: the group is never worth
    /// storing but the result stays finite.
    #[must_use]
    pub fn store_cost_ns(&self, size: u64) -> u64 {
        let seconds = transfer_seconds(size, self.write_bandwidth)
            + transfer_seconds(size, self.read_bandwidth);
        // Saturating float -> int conversion; bounded so sums over many groups cannot
        // overflow u64.
        let ns = (seconds * 1e9).min(MAX_FINITE_COST as f64);
        self.per_group_ns
            .saturating_add(ns as u64)
            .min(MAX_FINITE_COST)
    }
}

/// The largest finite cost of one edge: about 292 years. Sums of up to 2^30 such costs
/// stay below `u64::MAX`.
pub(crate) const MAX_FINITE_COST: u64 = 1 << 33 << 20;

fn transfer_seconds(size: u64, bandwidth: f64) -> f64 {
    if size == 0 {
        0.0
    } else if bandwidth.is_finite() && bandwidth > 0.0 {
        size as f64 / bandwidth
    } else {
        f64::INFINITY
    }
}
