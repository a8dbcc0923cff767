//! Helm releases, read from the cluster the way Helm stores them (no helm binary): the records
//! (`record`), the releases they make up (`releases`).

pub mod record;
pub mod releases;
