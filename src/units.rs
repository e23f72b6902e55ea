//! Human-readable durations and byte counts, shared by renderings, `inspect` and hosts.

/// A duration in nanoseconds as `0.4ms`, `12.0ms` or `3.25s`.
#[must_use]
pub fn format_duration_ns(ns: u64) -> String {
    let ms = ns as f64 / 1e6;
    if ms < 1000.0 {
        format!("{ms:.1}ms")
    } else {
        format!("{:.2}s", ms / 1000.0)
    }
}

/// A byte count in binary units: `45 B`, `1.0 KiB`, `200.0 MiB`, `1.50 GiB`.
#[must_use]
pub fn format_bytes(bytes: u64) -> String {
    const KIB: f64 = 1024.0;
    let b = bytes as f64;
    if bytes < 1024 {
        format!("{bytes} B")
    } else if b < KIB * KIB {
        format!("{:.1} KiB", b / KIB)
    } else if b < KIB * KIB * KIB {
        format!("{:.1} MiB", b / (KIB * KIB))
    } else {
        format!("{:.2} GiB", b / (KIB * KIB * KIB))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_switch_at_their_thresholds() {
        assert_eq!(format_duration_ns(400_000), "0.4ms");
        assert_eq!(format_duration_ns(3_250_000_000), "3.25s");
        assert_eq!(format_bytes(1023), "1023 B");
        assert_eq!(format_bytes(1024), "1.0 KiB");
        assert_eq!(format_bytes(200 << 20), "200.0 MiB");
        assert_eq!(format_bytes(3 << 29), "1.50 GiB");
    }
}
