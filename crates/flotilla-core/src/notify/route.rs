//! From triage changes to messages: which webhook hears of which problem, once per problem
//! while it holds, flaps damped, storms summarised.
//!
//! A resolved problem is not reported at once: it is held for the quiet period, and if it
//! comes back meanwhile nothing goes out either way (a flap). Each webhook gets at most one
//! message per batch window; what piled up meanwhile goes out together.

use super::Outgoing;
use super::config::{Hook, Plan};
use super::format::{self, Event, Kind};
use crate::triage::{Changes, Problem};
use std::collections::HashMap;

struct Track {
    /// Sent as a problem. Problems that were there before flotilla looked are tracked (so a
    /// flap of theirs is not news either) but were not sent, and their end is not sent.
    announced: bool,
    /// Went away then; reported when the quiet period passes without it coming back.
    resolving: Option<(i64, Problem)>,
}

struct Route {
    hook: Hook,
    tracks: HashMap<String, Track>,
    queue: Vec<Event>,
    last_sent: Option<i64>,
}

pub struct Notifier {
    routes: Vec<Route>,
    notify_existing: bool,
    quiet: i64,
    batch: i64,
}

impl Notifier {
    pub fn new(plan: &Plan) -> Notifier {
        Notifier {
            routes: plan
                .hooks
                .iter()
                .map(|hook| Route {
                    hook: hook.clone(),
                    tracks: HashMap::new(),
                    queue: Vec::new(),
                    last_sent: None,
                })
                .collect(),
            notify_existing: plan.notify_existing,
            quiet: plan.quiet,
            batch: plan.batch,
        }
    }

    /// Takes one refresh's changes. `baselined(context)`: that cluster's first lists were
    /// complete before this refresh, so what appears there now is news.
    pub fn observe(&mut self, changes: &Changes, baselined: impl Fn(&str) -> bool, now: i64) {
        for route in &mut self.routes {
            for p in &changes.resolved {
                if !route.hook.wants(&p.context, p.rule, p.critical) {
                    continue;
                }
                if let Some(t) = route.tracks.get_mut(&p.key()) {
                    t.resolving.get_or_insert_with(|| (now, p.clone()));
                }
            }
            for p in &changes.appeared {
                if !route.hook.wants(&p.context, p.rule, p.critical) {
                    continue;
                }
                let key = p.key();
                if let Some(t) = route.tracks.get_mut(&key) {
                    // Back within the quiet period: it never really went away.
                    t.resolving = None;
                    continue;
                }
                let announced = self.notify_existing || baselined(&p.context);
                route.tracks.insert(
                    key,
                    Track {
                        announced,
                        resolving: None,
                    },
                );
                if announced {
                    route.queue.push(Event {
                        kind: Kind::Problem,
                        problem: p.clone(),
                    });
                }
            }
        }
    }

    /// The messages to send now.
    pub fn due(&mut self, now: i64) -> Vec<Outgoing> {
        let mut out = Vec::new();
        for route in &mut self.routes {
            let quiet = self.quiet;
            let mut ended: Vec<(String, bool, Problem)> = Vec::new();
            route.tracks.retain(|key, t| match &t.resolving {
                Some((at, p)) if now - at >= quiet => {
                    ended.push((key.clone(), t.announced, p.clone()));
                    false
                }
                _ => true,
            });
            ended.sort_by(|a, b| a.0.cmp(&b.0));
            if route.hook.resolved {
                route.queue.extend(
                    ended
                        .into_iter()
                        .filter(|(_, announced, _)| *announced)
                        .map(|(_, _, problem)| Event {
                            kind: Kind::Resolved,
                            problem,
                        }),
                );
            }
            if route.queue.is_empty() || route.last_sent.is_some_and(|t| now - t < self.batch) {
                continue;
            }
            let events = std::mem::take(&mut route.queue);
            route.last_sent = Some(now);
            let summary = match events.as_slice() {
                [one] => one.line(),
                _ => format::summary(&events),
            };
            out.push(Outgoing {
                hook: route.hook.name.clone(),
                url: route.hook.url.clone(),
                format: route.hook.format,
                body: format::body(route.hook.format, &events),
                summary,
                events: events.len(),
            });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::super::config::NotifySettings;
    use super::super::format::tests::problem;
    use super::*;

    fn plan(extra: &str) -> Plan {
        let s: NotifySettings = toml::from_str(&format!(
            "quiet = \"60s\"\nbatch = \"5s\"\n{extra}\n[[webhook]]\nname = \"all\"\nurl = \"http://127.0.0.1:1/all\"\n\
             [[webhook]]\nname = \"crit\"\nurl = \"http://127.0.0.1:1/crit\"\nmin-severity = \"critical\"\nresolved = false"
        ))
        .unwrap();
        Plan::from_settings(&s).unwrap()
    }

    fn crasher() -> Problem {
        problem("prod", "shop", "pod/crasher", "pod-failing")
    }

    fn appeared(ps: &[Problem]) -> Changes {
        Changes {
            appeared: ps.to_vec(),
            resolved: Vec::new(),
        }
    }

    fn resolved(ps: &[Problem]) -> Changes {
        Changes {
            appeared: Vec::new(),
            resolved: ps.to_vec(),
        }
    }

    fn sent(out: &[Outgoing]) -> Vec<(&str, &str)> {
        out.iter()
            .map(|o| (o.hook.as_str(), o.summary.as_str()))
            .collect()
    }

    #[test]
    fn what_was_broken_before_the_baseline_is_not_sent_nor_its_end() {
        let mut n = Notifier::new(&plan(""));
        n.observe(&appeared(&[crasher()]), |_| false, 100);
        assert!(n.due(100).is_empty());
        n.observe(&resolved(&[crasher()]), |_| true, 110);
        assert!(n.due(200).is_empty());
        // Once gone past the quiet period, it is news when it comes back.
        n.observe(&appeared(&[crasher()]), |_| true, 300);
        assert_eq!(
            sent(&n.due(300)),
            [
                ("all", "prod pod shop/crasher CrashLoopBackOff"),
                ("crit", "prod pod shop/crasher CrashLoopBackOff")
            ]
        );
    }

    #[test]
    fn notify_existing_sends_the_initial_set() {
        let mut n = Notifier::new(&plan("notify-existing = true"));
        n.observe(&appeared(&[crasher()]), |_| false, 100);
        assert_eq!(n.due(100).len(), 2);
    }

    #[test]
    fn one_message_per_problem_and_flaps_are_damped() {
        let mut n = Notifier::new(&plan(""));
        n.observe(&appeared(&[crasher()]), |_| true, 100);
        assert_eq!(n.due(100).len(), 2);
        // Flaps: gone and back within the quiet period, twice.
        for t in [110, 130] {
            n.observe(&resolved(&[crasher()]), |_| true, t);
            assert!(n.due(t + 5).is_empty());
            n.observe(&appeared(&[crasher()]), |_| true, t + 10);
            assert!(n.due(t + 10).is_empty());
        }
        n.observe(&resolved(&[crasher()]), |_| true, 200);
        assert!(n.due(259).is_empty(), "held for the quiet period");
        // Only the webhook that wants resolutions hears of it.
        assert_eq!(
            sent(&n.due(260)),
            [("all", "prod pod shop/crasher resolved: CrashLoopBackOff")]
        );
        assert!(n.due(400).is_empty(), "once");
    }

    #[test]
    fn severity_filter_routes_warnings_only_to_hooks_that_want_them() {
        let mut n = Notifier::new(&plan(""));
        let pending = problem("prod", "shop", "pod/slow", "pod-pending");
        n.observe(&appeared(&[pending]), |_| true, 100);
        let out = n.due(100);
        assert_eq!(sent(&out), [("all", "prod pod shop/slow CrashLoopBackOff")]);
    }

    #[test]
    fn a_storm_is_one_summarised_message_per_window() {
        let mut n = Notifier::new(&plan(""));
        n.observe(&appeared(&[crasher()]), |_| true, 100);
        assert_eq!(n.due(100).len(), 2);
        let storm: Vec<Problem> = (0..300)
            .map(|i| problem("prod", "shop", &format!("pod/p{i}"), "pod-failing"))
            .collect();
        n.observe(&appeared(&storm[..100]), |_| true, 101);
        assert!(
            n.due(101).is_empty(),
            "within the window of the last message"
        );
        n.observe(&appeared(&storm[100..]), |_| true, 103);
        assert!(n.due(104).is_empty());
        let out = n.due(105);
        assert_eq!(
            sent(&out),
            [
                ("all", "300 new problems on prod"),
                ("crit", "300 new problems on prod")
            ]
        );
        assert!(out.iter().all(|o| o.events == 300));
        let v: serde_json::Value = serde_json::from_str(&out[0].body).unwrap();
        assert_eq!(v["events"].as_array().map(Vec::len), Some(200));
        assert_eq!(v["more"], 100);
        assert!(n.due(120).is_empty());
    }
}
