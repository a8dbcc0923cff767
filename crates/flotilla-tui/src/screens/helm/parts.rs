//! The parts of one revision as `helm get` prints them — values (user-supplied or computed),
//! manifest, notes, hooks — each as a scrolling text. Remote text is cleaned line by line.

use super::super::text::TextScreen;
use super::super::{Answer, Ctx, Deliver, Request, Screen};
use super::objects::ObjectsScreen;
use crate::helm::record;
use crate::helm::releases::{Record, Release};
use crate::model::{Action, ClusterId};
use serde_json::Value;

/// Which part an action shows, and the tag its fetch goes by.
fn tag(action: &Action) -> Option<u64> {
    Some(match action {
        Action::Values => 1,
        Action::AllValues => 2,
        Action::Manifest => 3,
        Action::Notes => 4,
        Action::Hooks => 5,
        Action::Objects => 6,
        _ => return None,
    })
}

/// The part's name and its text, from a decoded release.
pub fn text(release: &Value, tag: u64) -> (&'static str, String) {
    match tag {
        1 => ("values", record::yaml(&record::user_values(release))),
        2 => (
            "computed values",
            record::yaml(&record::computed_values(release)),
        ),
        3 => ("manifest", record::manifest(release).to_string()),
        4 => ("notes", record::notes(release).to_string()),
        _ => ("hooks", record::hooks(release)),
    }
}

/// The part as a screen; `context` names the cluster in the title.
pub fn screen(
    release: &Value,
    cluster: ClusterId,
    context: &str,
    action: &Action,
) -> Option<Box<dyn Screen>> {
    let tag = tag(action)?;
    let name = release.get("name").and_then(Value::as_str).unwrap_or("?");
    let revision = release.get("version").and_then(Value::as_i64).unwrap_or(0);
    let namespace = release
        .get("namespace")
        .and_then(Value::as_str)
        .unwrap_or("");
    if tag == 6 {
        let what = crate::text::clean(&format!(
            "{name} revision {revision} in {namespace} @{context}"
        ));
        return Some(Box::new(ObjectsScreen::new(
            what,
            cluster,
            context,
            namespace,
            record::manifest(release),
        )));
    }
    let (what, body) = text(release, tag);
    let title = crate::text::clean(&format!(
        "{what} of {name} revision {revision} in {namespace} @{context}"
    ));
    let mut lines = crate::text::clean_lines(&body);
    if lines.iter().all(|l| l.trim().is_empty()) {
        lines = vec![format!("(no {what})")];
    }
    Some(Box::new(TextScreen::lines(title, lines)))
}

/// Reads the record, to show the part when it arrives (`answered`).
pub fn ask(release: &Release, rec: &Record, action: &Action, ctx: &mut Ctx) {
    if let Some(tag) = tag(action) {
        ctx.request(Request::ReadReleases {
            tag,
            cluster: release.cluster,
            path: release.storage(rec).path(),
            driver: release.driver,
            deliver: Deliver::OnTop,
        });
    }
}

const ACTIONS: [Action; 6] = [
    Action::Values,
    Action::AllValues,
    Action::Manifest,
    Action::Notes,
    Action::Hooks,
    Action::Objects,
];

/// The record `ask` asked for: decoded and shown.
pub fn answered(tag: u64, answer: Answer, cluster: ClusterId, context: &str, ctx: &mut Ctx) {
    let Answer::Releases(result) = answer else {
        return;
    };
    let Some(action) = ACTIONS.iter().find(|a| self::tag(a) == Some(tag)) else {
        return;
    };
    let read = result.map_err(|e| e.to_string()).and_then(|read| {
        let record = read.into_iter().next().ok_or("no record")?;
        record.release.map_err(|e| e.to_string())
    });
    match read {
        Ok(release) => {
            if let Some(s) = screen(&release, cluster, context, action) {
                ctx.push(s);
            }
        }
        Err(e) => ctx.error(format!("cannot read the release record: {e}")),
    }
}
