use super::*;

fn record(code: &str, reads: &[&str], writes: &[&str], deletes: &[&str]) -> CellRecord {
    let owned = |names: &[&str]| names.iter().map(|n| (*n).to_owned()).collect();
    CellRecord {
        code: code.to_owned(),
        runtime_ns: 1_000_000,
        success: true,
        reads: owned(reads),
        writes: owned(writes),
        deletes: owned(deletes),
        ..CellRecord::default()
    }
}

fn sample() -> History {
    let mut h = History::new();
    h.record_cell(&record("x = 1", &[], &["x"], &[]));
    h.record_cell(&record("y = x + 1", &["x"], &["y"], &[]));
    h.record_cell(&record("x = y * 2\ndel y", &["y"], &["x"], &["y"]));
    h
}

#[test]
fn writes_create_versions_and_supersede() {
    let h = sample();
    let xs: Vec<_> = h.snapshots().iter().filter(|s| s.name == "x").collect();
    assert_eq!(xs.len(), 2);
    assert_eq!((xs[0].version, xs[1].version), (1, 2));
    assert_eq!(xs[0].superseded_by, Some(xs[1].id));
    assert!(xs[1].is_active());
    assert_eq!(h.live().map(|(n, _)| n).collect::<Vec<_>>(), vec!["x"]);
}

#[test]
fn reads_resolve_to_versions_live_when_the_cell_ran() {
    let h = sample();
    let c1 = &h.cells()[1];
    assert_eq!(c1.reads.len(), 1);
    let read = h.snapshot(c1.reads[0]).expect("read snapshot");
    assert_eq!((read.name.as_str(), read.version), ("x", 1));
}

#[test]
fn unknown_reads_are_ignored_and_deletes_recorded() {
    let mut h = sample();
    let c = h.record_cell(&record("print(zz)", &["print", "zz"], &[], &[]));
    assert!(h.cell(c).expect("cell").reads.is_empty());
    let y = h.snapshots().iter().find(|s| s.name == "y").expect("y");
    assert_eq!(y.deleted_by, Some(CellId::new(2)));
    assert!(h.live_snapshot("y").is_none());
}

#[test]
fn rebinding_after_delete_continues_the_version_count() {
    let mut h = sample();
    h.record_cell(&record("y = 0", &[], &["y"], &[]));
    let y = h
        .snapshot(h.live_snapshot("y").expect("live y"))
        .expect("y");
    assert_eq!(y.version, 2);
    // A decoded history continues the count too (the latest versions are rebuilt).
    let bytes = h.to_postcard().expect("encodes");
    let mut decoded = History::from_postcard(&bytes).expect("decodes");
    decoded.record_cell(&record("del y", &[], &[], &["y"]));
    decoded.record_cell(&record("y = 1", &[], &["y"], &[]));
    let y = decoded
        .snapshot(decoded.live_snapshot("y").expect("live y"))
        .expect("y");
    assert_eq!(y.version, 3);
}

#[test]
fn mutation_reads_the_previous_version_and_writes_a_new_one() {
    let mut h = History::new();
    h.record_cell(&record("l = []", &[], &["l"], &[]));
    let c = h.record_cell(&CellRecord {
        mutates: vec!["l".into()],
        ..record("l.append(1)", &[], &[], &[])
    });
    let cell = h.cell(c).expect("cell");
    assert_eq!(h.snapshot(cell.reads[0]).expect("read").version, 1);
    assert_eq!(h.snapshot(cell.writes[0]).expect("write").version, 2);
}

#[test]
fn reads_everything_reads_the_whole_live_namespace() {
    let mut h = sample();
    h.record_cell(&record("z = 1", &[], &["z"], &[]));
    let c = h.record_cell(&CellRecord {
        reads_everything: true,
        ..record("?!", &[], &[], &[])
    });
    assert_eq!(h.cell(c).expect("cell").reads.len(), 2);
}

#[test]
fn groups_cover_the_live_namespace_and_reject_bad_specs() {
    let mut h = sample();
    h.record_cell(&record("a = b = []", &[], &["a", "b"], &[]));
    let spec = |names: &[&str]| GroupSpec {
        names: names.iter().map(|n| (*n).to_owned()).collect(),
        size: 10,
        serializable: true,
    };
    assert_eq!(
        h.set_groups(&[spec(&["nope"])]),
        Err(HistoryError::NotLive("nope".into()))
    );
    assert_eq!(
        h.set_groups(&[spec(&["a"]), spec(&["a"])]),
        Err(HistoryError::DuplicateMember("a".into()))
    );
    assert_eq!(h.set_groups(&[spec(&[])]), Err(HistoryError::EmptyGroup));
    h.set_groups(&[spec(&["a", "b"])]).expect("valid grouping");
    assert_eq!(h.groups().len(), 2, "x gets a singleton group");
    let a = h.snapshot(h.live_snapshot("a").expect("a")).expect("a");
    let b = h.snapshot(h.live_snapshot("b").expect("b")).expect("b");
    assert_eq!(a.group, b.group);
    // A new cell invalidates the grouping: it described the namespace before the cell.
    h.record_cell(&record("c = 1", &[], &["c"], &[]));
    assert!(h.groups().is_empty());
    assert!(h.snapshots().iter().all(|s| s.group.is_none()));
}

#[test]
fn postcard_round_trip_keeps_tables_and_rebuilds_graph() {
    let mut h = sample();
    h.set_groups(&[]).expect("grouping");
    let bytes = h.to_postcard().expect("encode");
    let back = History::from_postcard(&bytes).expect("decode");
    assert_eq!(back, h);
    assert_eq!(back.graph().node_count(), h.graph().node_count());
    assert_eq!(back.graph().edge_count(), h.graph().edge_count());
    assert_eq!(
        back.live().collect::<Vec<_>>(),
        h.live().collect::<Vec<_>>()
    );
}

#[test]
fn corrupt_tables_are_rejected_not_trusted() {
    let h = sample();
    let mut tables = HistoryTables::from(h.clone());
    tables.cells[1].reads = vec![SnapshotId::new(99)];
    assert!(matches!(
        History::try_from(tables),
        Err(HistoryError::Corrupt(_))
    ));

    let mut tables = HistoryTables::from(h.clone());
    tables.snapshots[0].superseded_by = None; // now two active `x`
    assert!(matches!(
        History::try_from(tables),
        Err(HistoryError::Corrupt(_))
    ));

    let mut tables = HistoryTables::from(h);
    tables.cells[0].reads = vec![SnapshotId::new(1)]; // reads what cell 1 produces later
    assert!(matches!(
        History::try_from(tables),
        Err(HistoryError::Corrupt(_))
    ));
}

#[test]
fn garbage_bytes_never_panic() {
    for len in 0..64u8 {
        let bytes: Vec<u8> = (0..len)
            .map(|i| i.wrapping_mul(37).wrapping_add(len))
            .collect();
        let _ = History::from_postcard(&bytes);
    }
}

#[test]
fn renders_dot_and_mermaid() {
    let mut h = sample();
    h.set_groups(&[]).expect("grouping");
    insta::assert_snapshot!("dot", to_dot(&h));
    insta::assert_snapshot!("mermaid", to_mermaid(&h));
}
