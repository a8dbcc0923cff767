//! Triage over every live cluster: follows the sheets the rules read (only rows that changed
//! are tested again), and lists the problems that outlasted their thresholds, newest first.
//! Problems that went away stay a few seconds as "resolved" so the eye catches them leave.

use super::follow::Follow;
use super::rules::{RULES, Rule, Since, Test, cell};
use super::thresholds::Thresholds;
use crate::model::{ClusterId, Health, ResKey, Row};
use crate::store::Store;
use std::collections::{HashMap, HashSet};

/// How long a resolved problem stays listed.
pub const FADE_SECS: i64 = 10;

#[derive(Clone, Debug, PartialEq)]
struct Hit {
    rule: usize,
    what: String,
    since: Option<i64>,
    /// Events: how often, the involved object (`pod/crasher`) and the message.
    count: u64,
    object: String,
    message: String,
}

/// One problem as the list shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct Problem {
    pub cluster: ClusterId,
    pub context: String,
    /// The resource the object is of (for events: of the event; `object` names the involved one).
    pub res: ResKey,
    /// `pod/crasher`: lowercase kind and name, as kubectl names objects.
    pub object: String,
    pub namespace: String,
    pub name: String,
    /// Empty for event groups and clusters.
    pub uid: String,
    pub rule: &'static str,
    pub critical: bool,
    pub what: String,
    pub since: i64,
    pub count: u64,
    pub message: String,
    /// When it went away (seconds since the epoch); `None` while it holds.
    pub resolved: Option<i64>,
}

impl Problem {
    /// `key()` hashed, without allocating: what the list compares on every rebuild.
    pub fn id(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        let event = (self.rule == "warning-events").then_some(self.what.as_str());
        (
            &self.context,
            self.rule,
            &self.namespace,
            &self.object,
            &self.uid,
            event,
        )
            .hash(&mut h);
        h.finish()
    }

    /// What identifies the problem across refreshes (and for notifications).
    pub fn key(&self) -> String {
        format!(
            "{}|{}|{}/{}|{}|{}",
            self.context,
            self.rule,
            self.namespace,
            self.object,
            self.uid,
            if self.rule == "warning-events" {
                self.what.as_str()
            } else {
                ""
            }
        )
    }
}

#[derive(Default)]
pub struct Engine {
    follows: HashMap<(ClusterId, ResKey), Follow<Vec<Hit>>>,
    /// Ready endpoints per (cluster, namespace, service), summed over its EndpointSlices.
    slices: HashMap<ClusterId, Follow<(String, String, u64)>>,
    ready: HashMap<(ClusterId, String, String), i64>,
    first_seen: HashMap<(ClusterId, String, usize), i64>,
    pub problems: Vec<Problem>,
    resolved: Vec<Problem>,
    listed_at: i64,
    dirty: bool,
    /// Bumped whenever the list is rebuilt, so a screen copies it only then.
    pub generation: u64,
}

/// What changed in one refresh: for notifications.
#[derive(Debug, Default)]
pub struct Changes {
    pub appeared: Vec<Problem>,
    pub resolved: Vec<Problem>,
}

const SLICES: (&str, &str) = ("discovery.k8s.io", "endpointslices");

/// Every resource triage reads.
pub fn watched() -> Vec<ResKey> {
    let mut out: Vec<ResKey> = Vec::new();
    for r in RULES {
        let k = ResKey::new(r.group, r.plural);
        if !out.contains(&k) {
            out.push(k);
        }
    }
    out.push(ResKey::new(SLICES.0, SLICES.1));
    out
}

fn kind_word(res: &ResKey) -> String {
    let p = res.plural.as_str();
    let single = match p {
        "persistentvolumeclaims" => "persistentvolumeclaim",
        "horizontalpodautoscalers" => "horizontalpodautoscaler",
        _ => p.strip_suffix('s').unwrap_or(p),
    };
    single.to_string()
}

impl Engine {
    /// Catches up with the store; the problem list is rebuilt when rows changed or a second
    /// passed (thresholds and the event window are about time).
    pub fn refresh(&mut self, store: &Store, th: &Thresholds, now: i64) -> Changes {
        let resources = watched();
        let Engine {
            follows,
            slices,
            ready,
            first_seen,
            ..
        } = self;
        let mut changed = false;
        for slot in store.clusters.iter() {
            let id = slot.id;
            for res in &resources {
                let Some(sheet) = store.sheet(id, res) else {
                    continue;
                };
                if res.is(SLICES.0, SLICES.1) {
                    let f = slices.entry(id).or_default();
                    changed |= f.catch_up(
                        sheet,
                        |row, _| {
                            let svc = row.label("kubernetes.io/service-name")?.to_string();
                            let n = row.fact("readyEndpoints")?.value.parse().ok()?;
                            Some((row.namespace.clone(), svc, n))
                        },
                        |(ns, svc, n), sign| {
                            *ready.entry((id, ns.clone(), svc.clone())).or_default() +=
                                sign * (*n as i64);
                        },
                    );
                    continue;
                }
                let rules: Vec<usize> = (0..RULES.len())
                    .filter(|&i| RULES[i].is(&res.group, &res.plural) && th.on(RULES[i].id))
                    .collect();
                let columns = &sheet.columns;
                let f = follows.entry((id, res.clone())).or_default();
                changed |= f.catch_up(
                    sheet,
                    |row, fresh| {
                        let hits: Vec<Hit> = rules
                            .iter()
                            .filter_map(|&i| {
                                let what = RULES[i].test(columns, row)?;
                                let since = since(&RULES[i], row, id, i, fresh, now, first_seen);
                                Some(hit(i, what, since, columns, row))
                            })
                            .collect();
                        (!hits.is_empty()).then_some(hits)
                    },
                    |_, _| {},
                );
            }
        }
        // Followers of sheets that closed (a cluster gone, a watch stopped) go with them.
        follows.retain(|(id, res), _| store.sheet(*id, res).is_some());
        slices.retain(|id, _| store.sheet(*id, &ResKey::new(SLICES.0, SLICES.1)).is_some());
        self.dirty |= changed;
        if !self.dirty && now == self.listed_at {
            return Changes::default();
        }
        self.dirty = false;
        self.listed_at = now;
        self.generation += 1;
        self.list(store, th, now)
    }

    fn list(&mut self, store: &Store, th: &Thresholds, now: i64) -> Changes {
        let mut out: Vec<Problem> = Vec::new();
        let mut events: HashMap<(ClusterId, String, String, String), Problem> = HashMap::new();
        let mut live_hits: HashSet<(ClusterId, String, usize)> = HashSet::new();
        for ((id, res), f) in &self.follows {
            let (Some(slot), Some(sheet)) = (store.clusters.get(*id), store.sheet(*id, res)) else {
                continue;
            };
            for (index, hits) in f.iter() {
                let Some((_, row)) = sheet.at(index) else {
                    continue;
                };
                for h in hits {
                    live_hits.insert((*id, row.uid.clone(), h.rule));
                    let rule = &RULES[h.rule];
                    let since = h.since.unwrap_or(now);
                    let wait = match &rule.test {
                        Test::WarningEvent => {
                            if now - since > th.secs("events") {
                                continue;
                            }
                            0
                        }
                        _ => rule.after.map_or(0, |t| th.secs(t)),
                    };
                    if now - since < wait {
                        continue;
                    }
                    if matches!(rule.test, Test::SelectsPods)
                        && self
                            .ready
                            .get(&(*id, row.namespace.clone(), row.name.clone()))
                            .is_some_and(|n| *n > 0)
                    {
                        continue;
                    }
                    let (object, name) = match &rule.test {
                        Test::WarningEvent => {
                            let name = h
                                .object
                                .split_once('/')
                                .map_or(h.object.as_str(), |(_, n)| n);
                            (h.object.clone(), name.to_string())
                        }
                        _ => (format!("{}/{}", kind_word(res), row.name), row.name.clone()),
                    };
                    let p = Problem {
                        cluster: *id,
                        context: slot.context.clone(),
                        res: res.clone(),
                        object,
                        namespace: row.namespace.clone(),
                        name,
                        uid: if matches!(rule.test, Test::WarningEvent) {
                            String::new()
                        } else {
                            row.uid.clone()
                        },
                        rule: rule.id,
                        critical: rule.severity == super::rules::Severity::Critical,
                        what: h.what.clone(),
                        since,
                        count: h.count,
                        message: h.message.clone(),
                        resolved: None,
                    };
                    if matches!(rule.test, Test::WarningEvent) {
                        let key = (*id, p.namespace.clone(), p.object.clone(), p.what.clone());
                        match events.get_mut(&key) {
                            Some(g) => {
                                g.count += p.count;
                                if p.since > g.since {
                                    g.since = p.since;
                                    g.message = p.message;
                                }
                            }
                            None => {
                                events.insert(key, p);
                            }
                        }
                    } else {
                        out.push(p);
                    }
                }
            }
        }
        out.extend(events.into_values());
        for slot in store.clusters.iter() {
            let why = match store.health(slot.id) {
                Health::Unreachable(w) | Health::Degraded(w) => w,
                _ => continue,
            };
            let since = slot
                .unreachable_since
                .map_or(now, |t| now - t.elapsed().as_secs() as i64);
            out.push(Problem {
                cluster: slot.id,
                context: slot.context.clone(),
                res: ResKey::core("namespaces"),
                object: format!("cluster/{}", slot.context),
                namespace: String::new(),
                name: slot.context.clone(),
                uid: String::new(),
                rule: "cluster-unhealthy",
                critical: matches!(store.health(slot.id), Health::Unreachable(_)),
                what: format!("{}: {why}", store.health(slot.id).label()),
                since,
                count: 1,
                message: why,
                resolved: None,
            });
        }
        self.first_seen.retain(|k, _| live_hits.contains(k));
        out.sort_by(|a, b| {
            b.since
                .cmp(&a.since)
                .then(b.critical.cmp(&a.critical))
                .then_with(|| {
                    (&a.context, &a.namespace, &a.object).cmp(&(
                        &b.context,
                        &b.namespace,
                        &b.object,
                    ))
                })
        });
        let now_keys: HashSet<u64> = out.iter().map(Problem::id).collect();
        let old_keys: HashSet<u64> = self.problems.iter().map(Problem::id).collect();
        let mut changes = Changes::default();
        for p in &self.problems {
            if !now_keys.contains(&p.id()) {
                let mut gone = p.clone();
                gone.resolved = Some(now);
                changes.resolved.push(gone.clone());
                self.resolved.push(gone);
            }
        }
        changes.appeared = out
            .iter()
            .filter(|p| !old_keys.contains(&p.id()))
            .cloned()
            .collect();
        self.resolved.retain(|p| {
            p.resolved.is_some_and(|t| now - t < FADE_SECS) && !now_keys.contains(&p.id())
        });
        self.problems = out;
        changes
    }

    /// The problems that hold and those resolved moments ago (where they were), newest first.
    pub fn listed(&self) -> Vec<&Problem> {
        let mut all: Vec<&Problem> = self.problems.iter().chain(self.resolved.iter()).collect();
        all.sort_by_key(|p| std::cmp::Reverse(p.since));
        all
    }
}

fn since(
    rule: &Rule,
    row: &Row,
    id: ClusterId,
    index: usize,
    fresh: bool,
    now: i64,
    first_seen: &mut HashMap<(ClusterId, String, usize), i64>,
) -> Option<i64> {
    let mut seen = || {
        *first_seen
            .entry((id, row.uid.clone(), index))
            .or_insert_with(|| {
                if fresh {
                    row.created.unwrap_or(now)
                } else {
                    now
                }
            })
    };
    match rule.since {
        Since::Created => row.created,
        Since::Deleting => row.deleting,
        Since::LastSeen => row.last_seen.or(row.created),
        Since::Fact(name) => row
            .fact(name)
            .and_then(|f| f.since)
            .or_else(|| Some(seen())),
        Since::FirstSeen => Some(seen()),
    }
}

fn hit(
    rule: usize,
    what: String,
    since: Option<i64>,
    columns: &[crate::model::Column],
    row: &Row,
) -> Hit {
    let (count, object, message) = match RULES[rule].test {
        Test::WarningEvent => (
            cell(columns, row, "count")
                .and_then(|c| c.parse().ok())
                .unwrap_or(1),
            cell(columns, row, "object").unwrap_or("").to_string(),
            cell(columns, row, "message").unwrap_or("").to_string(),
        ),
        _ => (1, String::new(), String::new()),
    };
    Hit {
        rule,
        what,
        since,
        count,
        object,
        message,
    }
}
