//! Per-kind knowledge: names and paths, row health, describe and YAML documents.

pub mod document;
pub mod health;
pub mod resource;
