//! The backup center's client half: reading a namespace into an archive (`collect`), carrying
//! out the TUI's backup work (`job`), planning and applying a restore against the live cluster
//! (`restore`). The archive format, its cleaning, keys and the shelf are
//! `flotilla_core::backup`, re-exported here.

pub use flotilla_core::backup::*;

pub mod collect;
pub mod job;
pub mod restore;
