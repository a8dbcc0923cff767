//! The parts of one revision as `helm get` prints them — values (user-supplied or computed),
//! manifest, notes, hooks — each as a scrolling text. Remote text is cleaned line by line.

use super::super::text::TextScreen;
use super::super::{Ctx, Deliver, Screen};
use super::objects::ObjectsScreen;
use crate::helm::record;
use crate::helm::releases::{Record, Release};
use crate::model::{Action, ClusterId};
use serde_json::Value;

/// A part of a revision, as `helm get` names them.
#[derive(Clone, Copy)]
enum Part {
    Values,
    AllValues,
    Manifest,
    Notes,
    Hooks,
    Objects,
}

/// Which part an action shows.
fn part(action: &Action) -> Option<Part> {
    Some(match action {
        Action::Values => Part::Values,
        Action::AllValues => Part::AllValues,
        Action::Manifest => Part::Manifest,
        Action::Notes => Part::Notes,
        Action::Hooks => Part::Hooks,
        Action::Objects => Part::Objects,
        _ => return None,
    })
}

/// The part's name and its text, from a decoded release.
fn text(release: &Value, part: Part) -> (&'static str, String) {
    match part {
        Part::Values => ("values", record::yaml(&record::user_values(release))),
        Part::AllValues => (
            "computed values",
            record::yaml(&record::computed_values(release)),
        ),
        Part::Manifest => ("manifest", record::manifest(release).to_string()),
        Part::Notes => ("notes", record::notes(release).to_string()),
        Part::Hooks | Part::Objects => ("hooks", record::hooks(release)),
    }
}

/// The part as a screen; `context` names the cluster in the title.
pub fn screen(
    release: &Value,
    cluster: ClusterId,
    context: &str,
    action: &Action,
) -> Option<Box<dyn Screen>> {
    let part = part(action)?;
    let name = release.get("name").and_then(Value::as_str).unwrap_or("?");
    let revision = release.get("version").and_then(Value::as_i64).unwrap_or(0);
    let namespace = release
        .get("namespace")
        .and_then(Value::as_str)
        .unwrap_or("");
    if let Part::Objects = part {
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
    let (what, body) = text(release, part);
    let title = crate::text::clean(&format!(
        "{what} of {name} revision {revision} in {namespace} @{context}"
    ));
    let mut lines = crate::text::clean_lines(&body);
    if lines.iter().all(|l| l.trim().is_empty()) {
        lines = vec![format!("(no {what})")];
    }
    Some(Box::new(TextScreen::lines(title, lines)))
}

/// Reads the record, to show the part when it arrives; the asking screen `S` only has to be
/// on top still.
pub fn ask<S: Screen>(release: &Release, rec: &Record, action: &Action, ctx: &mut Ctx) {
    if part(action).is_none() {
        return;
    }
    let (cluster, context, action) = (release.cluster, release.context.clone(), action.clone());
    ctx.read_releases(
        release.cluster,
        release.storage(rec).path(),
        release.driver,
        Deliver::OnTop,
        move |_: &mut S, result, ctx: &mut Ctx| {
            let read = result.map_err(|e| e.to_string()).and_then(|read| {
                let record = read.into_iter().next().ok_or("no record")?;
                record.release.map_err(|e| e.to_string())
            });
            match read {
                Ok(release) => {
                    if let Some(s) = screen(&release, cluster, &context, &action) {
                        ctx.push(s);
                    }
                }
                Err(e) => ctx.error(format!("cannot read the release record: {e}")),
            }
        },
    );
}
