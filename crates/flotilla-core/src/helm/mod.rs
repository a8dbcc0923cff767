//! Helm releases, read from the cluster the way Helm stores them (no helm binary): the records
//! (`record`), the releases they make up (`releases`), the objects a manifest names and their
//! drift (`manifest`), and what a rollback or uninstall does (`change`, carried out by
//! `ops::helm`).

pub mod change;
pub mod manifest;
pub mod record;
pub mod releases;
