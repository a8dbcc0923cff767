//! Inspection: what is misconfigured or at risk on each cluster of the fleet, as popeye and
//! kube-score tell it for one. Pure: the I/O layer fills a `Snapshot` per cluster (looping
//! over `kinds()`), `inspect` judges it by the checks (`checks::CHECKS`, data) into a
//! `ClusterReport`, and `Report::new` gathers the clusters with the fleet's scores, to render
//! (`render`), save as JSON and compare with an earlier report (`diff`).

pub mod checks;
mod examine;
mod object;
mod out;
pub mod render;
pub mod report;
mod run;
pub mod score;
pub mod settings;
pub mod silence;
pub mod snapshot;

pub use checks::{CHECKS, Category, Check, Severity};
pub use report::{ClusterReport, Finding, Report, ReportDiff, diff};
pub use run::inspect;
pub use settings::{InspectSettings, Options};
pub use snapshot::{Kind, KindInfo, Snapshot, kinds};
