//! The manifest: everything about a checkpoint except the blob bytes.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::hash::ContentHash;
use super::layout::{HEADER_LEN, MAX_CHUNK_SIZE};
use crate::history::History;
use crate::ids::{ChunkId, GroupId};
use crate::optimize::{check_plan, CostModel, Plan};

/// Who wrote the checkpoint: restores compare it with their own runtime to predict which
/// pickles can load.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Producer {
    /// The elastic-notebook core version (`crate::VERSION`).
    pub core_version: String,
    /// `platform.python_version()`, e.g. `3.14.2`.
    pub python_version: String,
    /// `sys.implementation.name`, e.g. `cpython`.
    pub python_implementation: String,
    /// `sys.platform`, e.g. `emscripten` or `linux`.
    pub platform: String,
}

/// How a stored group's blobs were made, which says how to load them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Serializer {
    /// Blob 0 is a pickle (protocol 5) of a dict from member name to value; blobs 1.. are
    /// its out-of-band buffers in order.
    Pickle,
    /// As [`Serializer::Pickle`], written by cloudpickle because plain pickle failed
    /// (lambdas, notebook-defined classes by value). Loads with plain `pickle` when
    /// cloudpickle is installed.
    CloudPickle,
}

/// One blob: a run of consecutive chunks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BlobRef {
    /// Its length in bytes.
    pub len: u64,
    /// Its first chunk; the rest follow in order.
    pub first_chunk: ChunkId,
    /// How many chunks it spans (0 for an empty blob).
    pub chunk_count: u32,
}

impl BlobRef {
    /// Its chunks, in order.
    pub fn chunks(&self) -> impl Iterator<Item = ChunkId> {
        let first = self.first_chunk.as_u32();
        (first..first.saturating_add(self.chunk_count)).map(ChunkId::new)
    }
}

/// One stored co-variable group.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredGroup {
    /// The group in the history.
    pub group: GroupId,
    /// How its blobs were made.
    pub serializer: Serializer,
    /// Its blobs: at least one (the pickle stream).
    pub blobs: Vec<BlobRef>,
}

impl StoredGroup {
    /// Total bytes of its blobs.
    #[must_use]
    pub fn stored_bytes(&self) -> u64 {
        self.blobs
            .iter()
            .map(|b| b.len)
            .fold(0, u64::saturating_add)
    }
}

/// One chunk of blob bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChunkRef {
    /// Its byte offset in the `.ckpt` file.
    pub offset: u64,
    /// Its length: at most the manifest's chunk size, never 0.
    pub len: u32,
    /// blake3 of its bytes; also its key in content-addressed stores.
    pub hash: ContentHash,
}

/// Everything in a manifest except the blob layout, which the writer builds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ManifestHead {
    /// Who wrote it.
    pub producer: Producer,
    /// Creation time, milliseconds since the Unix epoch.
    pub created_unix_ms: u64,
    /// The root hash of the checkpoint this one was taken after, if any.
    pub parent: Option<ContentHash>,
    /// The session's history graph, with every cell's code.
    pub history: History,
    /// The cost model the plan was made with.
    pub cost_model: CostModel,
    /// What is stored, what is re-run and in which order.
    pub plan: Plan,
    /// Free-form metadata for hosts (e.g. a notebook path); readers ignore unknown keys.
    pub extra: BTreeMap<String, String>,
}

impl ManifestHead {
    /// A head with an empty producer, creation time 0 and no parent or metadata.
    #[must_use]
    pub fn new(history: History, cost_model: CostModel, plan: Plan) -> Self {
        Self {
            producer: Producer::default(),
            created_unix_ms: 0,
            parent: None,
            history,
            cost_model,
            plan,
            extra: BTreeMap::new(),
        }
    }
}

/// What a host gives for a manifest besides the history it recorded: the plan and the
/// metadata, each optional but the plan. The bindings' input shape of `finish`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckpointHead {
    /// The plan, made for the same history.
    pub plan: Plan,
    /// The cost model it was made with (default: [`CostModel::default`]).
    #[serde(default)]
    pub cost_model: Option<CostModel>,
    /// Who writes the checkpoint.
    #[serde(default)]
    pub producer: Producer,
    /// Creation time, milliseconds since the Unix epoch.
    #[serde(default)]
    pub created_unix_ms: u64,
    /// The root hash of the checkpoint this one followed.
    #[serde(default)]
    pub parent: Option<ContentHash>,
    /// Host metadata.
    #[serde(default)]
    pub extra: BTreeMap<String, String>,
}

impl CheckpointHead {
    /// The full manifest head for `history`.
    #[must_use]
    pub fn into_head(self, history: History) -> ManifestHead {
        ManifestHead {
            producer: self.producer,
            created_unix_ms: self.created_unix_ms,
            parent: self.parent,
            history,
            cost_model: self.cost_model.unwrap_or_default(),
            plan: self.plan,
            extra: self.extra,
        }
    }
}

/// The manifest of a checkpoint.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    /// Producer, time, history, plan and metadata.
    pub head: ManifestHead,
    /// The stored groups, one per group in `plan.store`, in the same order.
    pub groups: Vec<StoredGroup>,
    /// The largest chunk length.
    pub chunk_size: u32,
    /// Every chunk, in file order.
    pub chunks: Vec<ChunkRef>,
}

/// How a manifest contradicts itself.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ManifestError {
    /// The plan does not cover the history's groups exactly once.
    #[error("the plan's stored and recomputed groups do not partition the history's groups")]
    PlanGroups,
    /// The plan would not restore the namespace.
    #[error("the plan does not replay: {0}")]
    PlanDoesNotReplay(String),
    /// Stored group entries differ from the plan's stored groups.
    #[error("the stored groups differ from the plan's stored groups")]
    StoredGroups,
    /// A stored group has no blob.
    #[error("stored group {0} has no blobs")]
    NoBlobs(GroupId),
    /// The chunk size is 0 or above the maximum.
    #[error("chunk size {0} is out of range")]
    ChunkSize(u32),
    /// Blobs do not cover the chunks in order, or a blob's length differs from its chunks'.
    #[error("blob layout: {0}")]
    BlobLayout(&'static str),
}

impl Manifest {
    /// Checks every cross-reference: the plan against the history, stored groups against
    /// the plan, blobs against chunks, and chunk offsets against a contiguous layout that
    /// starts right after the header.
    pub fn validate(&self) -> Result<(), ManifestError> {
        let history = &self.head.history;
        let plan = &self.head.plan;
        let mut planned: Vec<GroupId> = plan.store.iter().chain(&plan.recompute).copied().collect();
        planned.sort_unstable();
        let all: Vec<GroupId> = history.groups().iter().map(|g| g.id).collect();
        if planned != all {
            return Err(ManifestError::PlanGroups);
        }
        check_plan(history, plan).map_err(|e| ManifestError::PlanDoesNotReplay(e.to_string()))?;
        if self.groups.len() != plan.store.len()
            || self
                .groups
                .iter()
                .zip(&plan.store)
                .any(|(s, g)| s.group != *g)
        {
            return Err(ManifestError::StoredGroups);
        }
        if self.chunk_size == 0 || self.chunk_size > MAX_CHUNK_SIZE {
            return Err(ManifestError::ChunkSize(self.chunk_size));
        }
        self.validate_blobs()?;
        self.validate_chunk_offsets()
    }

    /// Blobs take the chunks in order, each exactly once, and each blob's length is the
    /// sum of its chunks, every chunk but a blob's last being full.
    fn validate_blobs(&self) -> Result<(), ManifestError> {
        let mut next_chunk: u64 = 0;
        for stored in &self.groups {
            if stored.blobs.is_empty() {
                return Err(ManifestError::NoBlobs(stored.group));
            }
            for blob in &stored.blobs {
                if u64::from(blob.first_chunk.as_u32()) != next_chunk {
                    return Err(ManifestError::BlobLayout(
                        "blobs do not take chunks in order",
                    ));
                }
                let expected_count = blob.len.div_ceil(u64::from(self.chunk_size));
                if u64::from(blob.chunk_count) != expected_count {
                    return Err(ManifestError::BlobLayout(
                        "chunk count does not fit the blob length",
                    ));
                }
                next_chunk += expected_count;
                let mut remaining = blob.len;
                for id in blob.chunks() {
                    let chunk = self
                        .chunks
                        .get(id.index())
                        .ok_or(ManifestError::BlobLayout("blob refers to a missing chunk"))?;
                    let want = remaining.min(u64::from(self.chunk_size));
                    if u64::from(chunk.len) != want {
                        return Err(ManifestError::BlobLayout(
                            "chunk length does not fit the blob",
                        ));
                    }
                    remaining -= want;
                }
            }
        }
        if next_chunk != self.chunks.len() as u64 {
            return Err(ManifestError::BlobLayout("chunks not owned by any blob"));
        }
        Ok(())
    }

    fn validate_chunk_offsets(&self) -> Result<(), ManifestError> {
        let mut offset = HEADER_LEN;
        for chunk in &self.chunks {
            if chunk.offset != offset {
                return Err(ManifestError::BlobLayout("chunks are not contiguous"));
            }
            offset = offset
                .checked_add(u64::from(chunk.len))
                .ok_or(ManifestError::BlobLayout("chunk offsets overflow"))?;
        }
        Ok(())
    }

    /// Where the chunk region ends (and the manifest begins) in the `.ckpt` file.
    #[must_use]
    pub fn chunks_end(&self) -> u64 {
        self.chunks
            .last()
            .map_or(HEADER_LEN, |c| c.offset.saturating_add(u64::from(c.len)))
    }

    /// The stored entry of a group, if the plan stores it.
    #[must_use]
    pub fn stored_group(&self, group: GroupId) -> Option<&StoredGroup> {
        self.groups.iter().find(|s| s.group == group)
    }

    /// The variable names of a group, sorted.
    #[must_use]
    pub fn group_names(&self, group: GroupId) -> Vec<String> {
        let history = &self.head.history;
        let mut names: Vec<String> = history
            .group(group)
            .map(|g| {
                g.members
                    .iter()
                    .filter_map(|&m| history.snapshot(m).map(|s| s.name.clone()))
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    }

    /// Encodes the manifest with postcard.
    pub fn to_postcard(&self) -> Result<Vec<u8>, postcard::Error> {
        postcard::to_allocvec(self)
    }
}
