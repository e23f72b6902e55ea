//! The `.ckpt` checkpoint format (specified in `docs/checkpoint-format.md`).
