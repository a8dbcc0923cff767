//! Per-kind knowledge: the built-in resource table and name resolution, row health, label
//! selectors, and the describe and YAML documents.

pub mod describe;
pub mod document;
pub mod drift;
pub mod facts;
pub mod health;
pub mod resource;
pub mod selector;
