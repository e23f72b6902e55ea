//! Typed ids for the history graph and the checkpoint format: a `CellId` can never be
//! mistaken for a `SnapshotId`.
//!
//! Every id is a dense `u32` index into the table that owns it (`History::cells`,
//! `History::snapshots`, `History::groups`, `Manifest::chunks`), assigned in creation
//! order and never reused.

use std::fmt;

use serde::{Deserialize, Serialize};

macro_rules! typed_id {
    ($(#[$doc:meta])* $name:ident, $prefix:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(u32);

        impl $name {
            /// The id with this raw index.
            #[must_use]
            pub const fn new(index: u32) -> Self {
                Self(index)
            }

            /// The raw index, for tables indexed by this id.
            #[must_use]
            pub const fn index(self) -> usize {
                self.0 as usize
            }

            /// The raw value, for bindings and the file format.
            #[must_use]
            pub const fn as_u32(self) -> u32 {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!($prefix, "{}"), self.0)
            }
        }
    };
}

typed_id!(
    /// One execution of one cell; ids follow execution order.
    CellId,
    "c"
);
typed_id!(
    /// One version of one variable, produced by one cell execution.
    SnapshotId,
    "s"
);
typed_id!(
    /// One co-variable group: live variables that share objects and are stored as a unit.
    GroupId,
    "g"
);
typed_id!(
    /// One chunk of blob bytes in a checkpoint, in file order.
    ChunkId,
    "k"
);
