//! Kubeconfig, per-context connections, discovery and health.

pub mod connection;
pub mod discovery;
pub mod kubeconfig;
