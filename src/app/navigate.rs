//! Acting on the selected row: describe/YAML, drill-down, contexts, copy.

use super::table_view::Scope;
use super::{App, Pending, TextKind, TextView, View};
use crate::kinds::resource::{ResKey, ResourceInfo};
use crate::msg::ClusterId;

impl App {
    /// The selected row as (cluster, resource on that cluster, namespace, name, uid).
    pub(super) fn selected_object(
        &self,
    ) -> Option<(ClusterId, ResourceInfo, String, String, String)> {
        let View::Table(t) = self.stack.last()? else {
            return None;
        };
        let r = t.selected_ref()?;
        let row = t.row(&self.store, r)?;
        let info = self.resource_on(r.cluster, &t.res)?;
        Some((
            r.cluster,
            info,
            row.namespace.clone(),
            row.name.clone(),
            row.uid.clone(),
        ))
    }

    pub(super) fn open_text(&mut self, kind: TextKind) {
        let Some((cluster, info, ns, name, uid)) = self.selected_object() else {
            return;
        };
        let id = self.next_view_id();
        let title = format!(
            "{} {}/{}{}",
            info.kind,
            self.cluster_name(cluster),
            if ns.is_empty() {
                String::new()
            } else {
                format!("{ns}/")
            },
            name
        );
        let view = TextView::loading(id, kind, title);
        let path = info.object_path(&ns, &name);
        let events = (kind == TextKind::Describe).then(|| {
            let scope = if ns.is_empty() {
                String::new()
            } else {
                format!("/namespaces/{ns}")
            };
            format!("/api/v1{scope}/events?fieldSelector=involvedObject.uid%3D{uid}")
        });
        self.push(View::Text(view));
        self.spawn_fetch(cluster, (path, events), Pending::Text { view: id });
    }

    pub(super) fn enter(&mut self) {
        match self.stack.last() {
            Some(View::Contexts(_)) => return self.toggle_context(),
            Some(View::Table(_)) => {}
            _ => return,
        }
        let Some((cluster, info, ns, name, uid)) = self.selected_object() else {
            return;
        };
        let k = info.key.clone();
        let what = format!("{}/{}", info.kind.to_lowercase(), name);
        if k.is("", "nodes") {
            let mut pods = self.table_for(ResKey::core("pods"));
            pods.scope = Some(Scope::Node {
                cluster,
                node: name,
            });
            self.push(View::Table(Box::new(pods)));
        } else if k.is("", "namespaces") {
            let mut pods = self.table_for(ResKey::core("pods"));
            pods.namespaces = Some(vec![name.clone()]);
            self.remember_namespace(&name);
            self.push(View::Table(Box::new(pods)));
        } else if k.is("apiextensions.k8s.io", "customresourcedefinitions") {
            // A CRD is named <plural>.<group>.
            let (plural, group) = name.split_once('.').unwrap_or((name.as_str(), ""));
            let mut view = self.table_for(ResKey::new(group, plural));
            view.namespaces = self.current_namespaces();
            self.push(View::Table(Box::new(view)));
        } else if k.is("batch", "cronjobs") {
            let mut jobs = self.table_for(ResKey::new("batch", "jobs"));
            jobs.scope = Some(Scope::Owner { cluster, uid, what });
            self.push(View::Table(Box::new(jobs)));
        } else if k.is("apps", "deployments")
            || k.is("apps", "replicasets")
            || k.is("apps", "statefulsets")
            || k.is("apps", "daemonsets")
            || k.is("batch", "jobs")
            || k.is("", "services")
            || k.is("", "replicationcontrollers")
        {
            let path = info.object_path(&ns, &name);
            self.spawn_fetch(
                cluster,
                (path, None),
                Pending::Drill {
                    cluster,
                    namespace: ns,
                    what,
                },
            );
        } else {
            self.open_text(TextKind::Describe);
        }
    }

    pub(super) fn toggle_context(&mut self) {
        let Some(View::Contexts(c)) = self.stack.last() else {
            return;
        };
        let visible = c.visible(&self.contexts);
        let Some(entry) = visible.get(c.selected).map(|e| e.name.clone()) else {
            return;
        };
        match self.live_id(&entry) {
            Some(id) => {
                self.disconnect(id);
                self.flash_info(format!("{entry} removed from the live set"));
            }
            None => {
                self.connect(&entry);
                self.flash_info(format!("{entry} added to the live set"));
            }
        }
    }

    pub(super) fn copy(&mut self) {
        let text = match self.stack.last() {
            Some(View::Table(_)) => self.selected_object().map(|(_, _, _, name, _)| name),
            Some(View::Text(t)) => Some(t.lines.join("\n")),
            Some(View::Contexts(c)) => c
                .visible(&self.contexts)
                .get(c.selected)
                .map(|e| e.name.clone()),
            None => None,
        };
        if let Some(t) = text {
            self.flash_info(format!("copied {} bytes", t.len()));
            self.clipboard = Some(t);
        }
    }
}
