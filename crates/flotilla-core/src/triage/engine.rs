//! Triage over every live cluster: follows the sheets the rules read (only rows that changed
//! are tested again), and lists the problems that outlasted their thresholds, newest first.
//! Problems that went away stay a few seconds as "resolved" so the eye catches them leave.

use super::follow::Follow;
use super::rules::{RULES, Rule, Since, Test, cell};
use super::thresholds::Thresholds;
use crate::model::{ClusterId, Health, ResKey, Row};
use crate::store::Store;
use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// How long a resolved problem stays listed.
pub const FADE_SECS: i64 = 10;

/// A rule that holds on a row: the problem as it lists, built when the row changed, so a
/// rebuild of the list under churn copies pointers, not strings.
#[derive(Clone, Debug)]
struct Hit {
    rule: usize,
    /// `problem.id()`; for events, the group they join.
    id: u64,
    /// The row's uid: what `first_seen` remembers the hit by.
    uid: String,
    problem: Arc<Problem>,
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
    /// When it started as far as flotilla knows; for event groups, when the newest was seen.
    pub since: i64,
    /// When it started by the cluster's own clocks (a condition's transition, an event's
    /// first occurrence, a pod's creation while it was never well); `None` where the cluster
    /// says nothing, and `since` is when flotilla first saw it.
    pub started: Option<i64>,
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
    /// The problems that hold, newest first.
    pub problems: Vec<Arc<Problem>>,
    /// `Problem::id` of each of `problems`, to its index.
    ids: HashMap<u64, usize>,
    /// Resolved moments ago, with their ids.
    resolved: Vec<(u64, Arc<Problem>)>,
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
                // Hits that left and came in this catch-up: a problem that went away forgets
                // when it was first seen, so it counts afresh if it comes back.
                let mut left: Vec<(String, usize)> = Vec::new();
                let mut came: HashSet<(String, usize)> = HashSet::new();
                let at = Place {
                    cluster: id,
                    context: &slot.context,
                    res,
                    kind: kind_word(res),
                };
                changed |= f.catch_up(
                    sheet,
                    |row, fresh| {
                        let hits: Vec<Hit> = rules
                            .iter()
                            .filter_map(|&i| {
                                let what = RULES[i].test(columns, row)?;
                                let since = since(&RULES[i], row, id, i, fresh, now, first_seen);
                                let started = started(&RULES[i], row);
                                Some(hit(
                                    &at,
                                    i,
                                    what,
                                    (since.unwrap_or(now), started),
                                    columns,
                                    row,
                                ))
                            })
                            .collect();
                        (!hits.is_empty()).then_some(hits)
                    },
                    |hits, sign| {
                        for h in hits {
                            let k = (h.uid.clone(), h.rule);
                            if sign < 0 {
                                left.push(k);
                            } else {
                                came.insert(k);
                            }
                        }
                    },
                );
                for (uid, rule) in left {
                    if !came.contains(&(uid.clone(), rule)) {
                        first_seen.remove(&(id, uid, rule));
                    }
                }
            }
        }
        // Followers of sheets that closed (a cluster gone, a watch stopped) go with them.
        let before = follows.len();
        follows.retain(|(id, res), _| store.sheet(*id, res).is_some());
        if follows.len() != before {
            let live: HashSet<(ClusterId, &str, usize)> = follows
                .iter()
                .flat_map(|((id, _), f)| {
                    f.iter().flat_map(move |(_, hits)| {
                        hits.iter().map(move |h| (*id, h.uid.as_str(), h.rule))
                    })
                })
                .collect();
            first_seen.retain(|(id, uid, rule), _| live.contains(&(*id, uid.as_str(), *rule)));
        }
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
        let mut out: Vec<(u64, Arc<Problem>)> = Vec::new();
        // Event groups: id to index in `out`.
        let mut groups: HashMap<u64, usize> = HashMap::new();
        for ((id, res), f) in &self.follows {
            if store.sheet(*id, res).is_none() {
                continue;
            }
            for (_, hits) in f.iter() {
                for h in hits {
                    let rule = &RULES[h.rule];
                    let p = &h.problem;
                    let event = matches!(rule.test, Test::WarningEvent);
                    let wait = if event {
                        if now - p.since > th.secs("events") {
                            continue;
                        }
                        0
                    } else {
                        rule.after.map_or(0, |t| th.secs(t))
                    };
                    if now - p.since < wait {
                        continue;
                    }
                    if matches!(rule.test, Test::SelectsPods)
                        && self
                            .ready
                            .get(&(*id, p.namespace.clone(), p.name.clone()))
                            .is_some_and(|n| *n > 0)
                    {
                        continue;
                    }
                    if !event {
                        out.push((h.id, p.clone()));
                        continue;
                    }
                    match groups.entry(h.id) {
                        Entry::Occupied(i) => {
                            let g = Arc::make_mut(&mut out[*i.get()].1);
                            g.count += p.count;
                            if p.since > g.since {
                                g.since = p.since;
                                g.message.clone_from(&p.message);
                            }
                            g.started = earliest(g.started, p.started);
                        }
                        Entry::Vacant(v) => {
                            v.insert(out.len());
                            out.push((h.id, p.clone()));
                        }
                    }
                }
            }
        }
        for slot in store.clusters.iter() {
            let health = store.health(slot.id);
            let (Health::Unreachable(why) | Health::Degraded(why)) = &health else {
                continue;
            };
            let since = slot
                .unreachable_since
                .map_or(now, |t| now - t.elapsed().as_secs() as i64);
            let p = Problem {
                cluster: slot.id,
                context: slot.context.clone(),
                res: ResKey::core("namespaces"),
                object: format!("cluster/{}", slot.context),
                namespace: String::new(),
                name: slot.context.clone(),
                uid: String::new(),
                rule: "cluster-unhealthy",
                critical: matches!(health, Health::Unreachable(_)),
                // The state is the problem, the reason its message, as for any object.
                what: health.label().to_string(),
                since,
                // flotilla's own sight is the truth of whether it can reach a cluster.
                started: Some(since),
                count: 1,
                message: why.clone(),
                resolved: None,
            };
            out.push((p.id(), Arc::new(p)));
        }
        out.sort_by(|(_, a), (_, b)| {
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
        let ids: HashMap<u64, usize> = out
            .iter()
            .enumerate()
            .map(|(i, (id, _))| (*id, i))
            .collect();
        let mut changes = Changes::default();
        for (id, &i) in &self.ids {
            if !ids.contains_key(id) {
                let mut gone = (*self.problems[i]).clone();
                gone.resolved = Some(now);
                changes.resolved.push(gone.clone());
                self.resolved.push((*id, Arc::new(gone)));
            }
        }
        changes.appeared = out
            .iter()
            .filter(|(id, _)| !self.ids.contains_key(id))
            .map(|(_, p)| (**p).clone())
            .collect();
        self.resolved.retain(|(id, p)| {
            p.resolved.is_some_and(|t| now - t < FADE_SECS) && !ids.contains_key(id)
        });
        self.problems = out.into_iter().map(|(_, p)| p).collect();
        self.ids = ids;
        changes
    }

    /// The problems that hold and those resolved moments ago (where they were), newest first.
    pub fn listed(&self) -> Vec<&Arc<Problem>> {
        let mut all: Vec<&Arc<Problem>> = self
            .problems
            .iter()
            .chain(self.resolved.iter().map(|(_, p)| p))
            .collect();
        all.sort_by_key(|p| std::cmp::Reverse(p.since));
        all
    }
}

/// The earlier of two times either of which may be unknown.
pub fn earliest(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        _ => a.or(b),
    }
}

/// Where the rows a follower reads live: what every problem of theirs names.
struct Place<'a> {
    cluster: ClusterId,
    context: &'a str,
    res: &'a ResKey,
    kind: String,
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
        Since::Unmet(name) => unmet(row, name).or_else(|| Some(seen())),
        Since::FirstSeen => Some(seen()),
    }
}

/// When condition `name` stopped being met, if it is not.
fn unmet(row: &Row, name: &str) -> Option<i64> {
    row.fact(name)
        .filter(|f| f.value != "True")
        .and_then(|f| f.since)
}

/// When the problem started by the cluster's clocks, where the row says.
fn started(rule: &Rule, row: &Row) -> Option<i64> {
    match rule.since {
        Since::Created => row.created,
        Since::Deleting => row.deleting,
        // An event object is created at its first occurrence.
        Since::LastSeen => row.created.or(row.last_seen),
        Since::Fact(name) => row.fact(name).and_then(|f| f.since),
        Since::Unmet(name) => unmet(row, name),
        Since::FirstSeen => None,
    }
}

fn hit(
    at: &Place,
    rule: usize,
    what: String,
    (since, started): (i64, Option<i64>),
    columns: &[crate::model::Column],
    row: &Row,
) -> Hit {
    let event = matches!(RULES[rule].test, Test::WarningEvent);
    let (count, object, name, uid, message) = if event {
        let object = cell(columns, row, "object").unwrap_or("").to_string();
        let name = object
            .split_once('/')
            .map_or(object.as_str(), |(_, n)| n)
            .to_string();
        (
            cell(columns, row, "count")
                .and_then(|c| c.parse().ok())
                .unwrap_or(1),
            object,
            name,
            String::new(),
            cell(columns, row, "message").unwrap_or("").to_string(),
        )
    } else {
        (
            1,
            format!("{}/{}", at.kind, row.name),
            row.name.clone(),
            row.uid.clone(),
            String::new(),
        )
    };
    let r = &RULES[rule];
    let problem = Problem {
        cluster: at.cluster,
        context: at.context.to_string(),
        res: at.res.clone(),
        object,
        namespace: row.namespace.clone(),
        name,
        uid,
        rule: r.id,
        critical: r.severity == super::rules::Severity::Critical,
        what,
        since,
        started,
        count,
        message,
        resolved: None,
    };
    Hit {
        rule,
        id: problem.id(),
        uid: row.uid.clone(),
        problem: Arc::new(problem),
    }
}
