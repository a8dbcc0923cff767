//! Triage: what is unhealthy across the fleet. The rules are data (`rules::RULES`); the engine
//! follows the store's sheets and lists the problems; the `:triage` screen, the fleet view and
//! headless notification all read the same engine.

pub mod census;
pub mod changed;
pub mod engine;
pub mod follow;
pub mod rules;
pub mod thresholds;

pub use engine::{Changes, Engine, Problem, earliest, watched};
pub use thresholds::{Thresholds, TriageSettings};
