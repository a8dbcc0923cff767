//! The log pane under load. One synthetic cluster, `:logs -l app=bench` over 10 pods, 5,000
//! lines a second in total for 60 s (batches every 10 ms, sources interleaved in time so most
//! batches merge into the ring rather than append), a frame every 16 ms: the UI thread's time
//! per frame (messages + tick + draw) at p50/p99/max, first raw, then again with JSON fields
//! and a filter. Then: is every line kept exactly once and in order (full ring and not full),
//! what the ring costs in resident memory, and how long find (`n`/`N`) and a filter take over
//! 1,000,000 lines.
//!
//!     cargo bench --bench logs

#[path = "../tests/harness/synthetic.rs"]
mod synthetic;

use flotilla::app::{App, Input};
use flotilla::cluster::table::{self, WireRow};
use flotilla::logs::buffer::{Line, LogBuffer, Matcher, Pattern, Shown, search};
use flotilla::logs::render;
use flotilla::model::{Action, ClusterId, Fetched, LogEvent, RawLine, ResKey};
use flotilla::model::{Row, WatchEvent};
use flotilla::protocol::{Effect, Msg};
use flotilla::screens::logs::LogScreen;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::time::{Duration, Instant};

const NOW: i64 = 1_780_000_000;
const T0_NS: i64 = NOW * 1_000_000_000;
const SOURCES: usize = 10;
/// Lines per second over all sources.
const RATE: usize = 5_000;
const BATCH: Duration = Duration::from_millis(10);
/// Lines each source sends per batch: 5,000/s over 10 sources in 100 batches a second.
const PER_BATCH: usize = RATE / 100 / SOURCES;
const RUN: Duration = Duration::from_secs(60);
const FRAME: Duration = Duration::from_millis(16);
const FIND_BUDGET_MS: f64 = 200.0;
/// The pass-2 filter: warn and error lines, about one in ten.
const FILTER: &str = "warn|error";
/// Find's pattern in part 4; only the needle line near the start has either.
const NEEDLE_RE: &str = r"timeout|5\d\d";
const SEARCH_LINES: usize = 1_000_000;
const NEEDLE_AT: usize = 10;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn mb(bytes: usize) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

/// Resident memory, from /proc (Linux only; `None` elsewhere).
fn rss() -> Option<usize> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: usize = statm.split_whitespace().nth(1)?.parse().ok()?;
    // SAFETY: sysconf only reads a constant of the system.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    Some(pages * usize::try_from(page).unwrap_or(4096))
}

/// Hands freed heap back to the system, so that resident memory measured next is what is
/// live, not what the allocator keeps from lines the ring dropped or from earlier parts.
fn trim() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free pages of glibc's heap.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Line `seq` of source `src`: two in three JSON (as structured loggers write), the rest plain
/// text, some of it coloured (so the pane's SGR parsing is part of the cost); ~80 bytes each.
/// The seq number is in every line so the check can find gaps and duplicates.
fn line_text(src: usize, seq: u64) -> String {
    let level = match seq % 120 {
        7 | 47 | 87 => "error",
        n if n % 15 == 3 => "warn",
        n if n % 25 == 11 => "debug",
        _ => "info",
    };
    let ms = seq % 97;
    if seq % 3 == 2 {
        let lvl = level.to_uppercase();
        let lvl = if seq % 30 == 2 {
            format!("\x1b[33m{lvl}\x1b[0m")
        } else {
            lvl
        };
        format!(
            "{lvl} handler.go:42 src={src} seq={seq} GET /api/v1/orders/{} status=200 took={ms}ms",
            seq % 100_000
        )
    } else {
        format!(
            r#"{{"level":"{level}","msg":"req","src":{src},"seq":{seq},"path":"/api/v1/orders/{}","ms":{ms}}}"#,
            seq % 100_000
        )
    }
}

/// A number field of a line: `"key":N` in JSON lines, `key=N` in plain ones.
fn field(text: &str, key: &str) -> Option<u64> {
    let json = format!("\"{key}\":");
    let plain = format!("{key}=");
    let (at, len) = text
        .find(&json)
        .map(|i| (i, json.len()))
        .or_else(|| text.find(&plain).map(|i| (i, plain.len())))?;
    let rest = &text[at + len..];
    let end = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    rest[..end].parse().ok()
}

/// The 10 streams of the pane and what has been sent on each.
struct Feed {
    /// The stream ticket of each source (pod `bench-NN` is source NN).
    tickets: Vec<u64>,
    next_seq: Vec<u64>,
    /// Time windows (of one batch each) handed out so far.
    window: u64,
}

impl Feed {
    /// Source `src`'s lines of time window `window`: `PER_BATCH` lines spread over the window,
    /// each source offset a little so that sources interleave (a source's batch starts before
    /// the previous source's ends, so the ring merges instead of appending).
    fn lines(&mut self, src: usize, window: u64) -> Vec<RawLine> {
        let span = BATCH.as_nanos() as i64;
        let step = span / PER_BATCH as i64;
        (0..PER_BATCH)
            .map(|j| {
                let seq = self.next_seq[src];
                self.next_seq[src] += 1;
                RawLine {
                    ts: T0_NS
                        + window as i64 * span
                        + j as i64 * step
                        + src as i64 * step / SOURCES as i64,
                    text: line_text(src, seq),
                }
            })
            .collect()
    }

    /// One batch: every source sends its share of the next window, in source order.
    fn batch(&mut self, app: &mut App) {
        let window = self.window;
        self.window += 1;
        for src in 0..SOURCES {
            let lines = self.lines(src, window);
            send(app, self.tickets[src], lines);
        }
    }

    fn fed(&self) -> u64 {
        self.next_seq.iter().sum()
    }
}

fn send(app: &mut App, ticket: u64, lines: Vec<RawLine>) {
    app.update(Input::Msg(Msg::Log {
        ticket,
        ev: LogEvent::Lines(lines),
    }));
}

/// Pod `bench-NN`: labelled app=bench, uid `dev-bench-NN`.
fn bench_pod(i: usize) -> Row {
    let name = format!("bench-{i:02}");
    let wire: WireRow = serde_json::from_value(serde_json::json!({
        "cells": [&name, "1/1", "Running", "0", "1d", "10.0.0.1", "dev-node-0", "<none>", "<none>"],
        "object": {"metadata": {"name": &name, "namespace": "shop", "uid": format!("dev-bench-{i:02}"),
            "creationTimestamp": "2026-01-01T00:00:00Z", "labels": {"app": "bench"}}}
    }))
    .expect("row json");
    table::build(&ResKey::core("pods"), &synthetic::pod_columns(), wire).expect("row builds")
}

/// Opens `:logs -l app=bench` on `app` (cluster `dev`), lists 10 bench pods among 40 others,
/// answers the pane's pod fetches and returns the streams it asks for.
fn open_pane(app: &mut App, cluster: ClusterId) -> Feed {
    app.update(Input::Action(Action::Run("logs -l app=bench".into())));
    assert!(
        app.top_as::<LogScreen>().is_some(),
        "the log pane is on top"
    );
    app.update(Input::Tick);
    synthetic::pods_event(
        app,
        cluster,
        WatchEvent::Listing {
            columns: synthetic::pod_columns(),
        },
    );
    // Pods the selector must skip, so the pane's matching is part of the setup.
    let mut rows: Vec<Row> = (0..40).map(|i| synthetic::pod("dev", i, NOW)).collect();
    rows.extend((0..SOURCES).map(bench_pod));
    synthetic::pods_event(app, cluster, WatchEvent::Upsert(rows));
    synthetic::pods_event(app, cluster, WatchEvent::Synced);
    let mut effects = app.update(Input::Tick);
    let mut fetched = 0;
    let mut after = Vec::new();
    for e in effects.drain(..) {
        let Effect::Fetch { ticket, path, .. } = e else {
            continue;
        };
        // /api/v1/namespaces/<ns>/pods/<name>
        let parts: Vec<&str> = path.split('/').collect();
        let (ns, name) = (parts[4], parts[6]);
        let uid = format!("dev-{name}");
        let object = serde_json::json!({
            "metadata": {"uid": uid, "name": name, "namespace": ns},
            "spec": {"containers": [{"name": "c"}]}
        });
        after.extend(app.update(Input::Msg(Msg::Fetched {
            ticket,
            result: Ok(Fetched {
                object,
                events: Vec::new(),
            }),
        })));
        fetched += 1;
    }
    assert_eq!(fetched, SOURCES, "the pane fetches each bench pod once");
    after.extend(app.update(Input::Tick));
    let mut tickets = vec![0; SOURCES];
    let mut streams = 0;
    for e in after {
        if let Effect::Logs { ticket, spec, .. } = e {
            let i: usize = spec
                .pod
                .strip_prefix("bench-")
                .and_then(|n| n.parse().ok())
                .expect("a bench pod");
            assert_eq!(spec.container, "c");
            tickets[i] = ticket;
            streams += 1;
        }
    }
    assert_eq!(streams, SOURCES, "one stream per bench pod");
    Feed {
        tickets,
        next_seq: vec![0; SOURCES],
        window: 0,
    }
}

struct Live {
    frames: Vec<Duration>,
    draws: Vec<Duration>,
    batches: Vec<Duration>,
    lines: u64,
    elapsed: Duration,
}

/// 60 s of real time: a batch every 10 ms, a frame every 16 ms. As the terminal loop does,
/// each frame first applies the messages that arrived since the last one, then ticks and
/// draws; a frame's time is all three. Batches that fall behind are still all sent (late), so
/// exactly RATE × 60 lines go in whatever the frame times.
fn run_live(app: &mut App, feed: &mut Feed, term: &mut Terminal<TestBackend>) -> Live {
    let batches = (RUN.as_nanos() / BATCH.as_nanos()) as u32;
    let before = feed.fed();
    let mut live = Live {
        frames: Vec::new(),
        draws: Vec::new(),
        batches: Vec::new(),
        lines: 0,
        elapsed: Duration::ZERO,
    };
    let mut sent = 0u32;
    let start = Instant::now();
    loop {
        let frame_start = Instant::now();
        while sent < batches && start + BATCH * sent <= frame_start {
            let t = Instant::now();
            feed.batch(app);
            live.batches.push(t.elapsed());
            sent += 1;
        }
        let t = Instant::now();
        app.update(Input::Tick);
        term.draw(|f| flotilla::ui::draw_at(f, app, NOW))
            .expect("draw");
        let end = Instant::now();
        live.draws.push(end - t);
        live.frames.push(end - frame_start);
        if sent == batches {
            break;
        }
        if let Some(rest) = (frame_start + FRAME).checked_duration_since(Instant::now()) {
            std::thread::sleep(rest);
        }
    }
    live.elapsed = start.elapsed();
    live.lines = feed.fed() - before;
    live.frames.sort();
    live.draws.sort();
    live.batches.sort();
    live
}

fn report_live(label: &str, live: &Live) {
    let secs = live.elapsed.as_secs_f64();
    let over = live.frames.iter().filter(|f| **f > FRAME).count();
    if !label.is_empty() {
        println!("{label}");
    }
    println!(
        "  lines fed                           {} in {:.1} s ({:.0}/s), {} frames",
        live.lines,
        secs,
        live.lines as f64 / secs,
        live.frames.len()
    );
    let row = |name: &str, v: &[Duration]| {
        println!(
            "  {name:<36}p50 {:6.2} ms  p99 {:6.2} ms  max {:6.2} ms",
            ms(percentile(v, 0.5)),
            ms(percentile(v, 0.99)),
            ms(percentile(v, 1.0))
        );
    };
    row("frame (messages + tick + draw)", &live.frames);
    row("  of which tick + draw", &live.draws);
    row("one batch (10 messages, 50 lines)", &live.batches);
    println!(
        "  frames over the 16 ms budget        {over} of {} ({:.2}%)",
        live.frames.len(),
        100.0 * over as f64 / live.frames.len().max(1) as f64
    );
}

/// Checks the pane's ring against what was fed: ordered by time, each source's lines
/// consecutive by seq with no gap or duplicate and ending at the last line sent, and (when
/// `all` is set, the ring never having been full) every line ever sent present.
fn check_ring(t: &LogScreen, feed: &Feed, all: bool) -> Vec<String> {
    let mut errors = Vec::new();
    // Buffer source index → our source number, from the pod the pane says it tails.
    let by_index: Vec<Option<usize>> = t
        .sources
        .iter()
        .map(|s| s.pod.strip_prefix("bench-").and_then(|n| n.parse().ok()))
        .collect();
    let mut first: Vec<Option<u64>> = vec![None; SOURCES];
    let mut last: Vec<Option<u64>> = vec![None; SOURCES];
    let mut count = [0u64; SOURCES];
    let mut prev_ts = i64::MIN;
    for (pos, l) in t.buf.iter_from(t.buf.first()) {
        if l.ts < prev_ts {
            errors.push(format!("line {pos} is older than the line before it"));
        }
        prev_ts = l.ts;
        let (Some(src), Some(seq)) = (field(&l.text, "src"), field(&l.text, "seq")) else {
            errors.push(format!("line {pos} has no src/seq: {:?}", l.text));
            continue;
        };
        let src = src as usize;
        if by_index.get(l.source as usize).copied().flatten() != Some(src) {
            errors.push(format!(
                "line {pos} of src {src} is filed under source {}",
                l.source
            ));
        }
        if src >= SOURCES {
            errors.push(format!("line {pos}: src {src} out of range"));
            continue;
        }
        match last[src] {
            Some(p) if seq != p + 1 => errors.push(format!(
                "src {src}: seq {seq} follows {p} ({})",
                if seq <= p {
                    "duplicate or reordered"
                } else {
                    "gap"
                }
            )),
            _ => {}
        }
        first[src].get_or_insert(seq);
        last[src] = Some(seq);
        count[src] += 1;
    }
    for src in 0..SOURCES {
        let sent = feed.next_seq[src];
        if last[src] != sent.checked_sub(1) {
            errors.push(format!(
                "src {src}: newest kept seq {:?}, newest sent {}",
                last[src],
                sent.saturating_sub(1)
            ));
        }
        if all && (first[src] != Some(0) || count[src] != sent) {
            errors.push(format!(
                "src {src}: kept {} lines from seq {:?}, sent {sent} from 0",
                count[src], first[src]
            ));
        }
    }
    for s in &t.sources {
        if let Some(src) = s
            .pod
            .strip_prefix("bench-")
            .and_then(|n| n.parse::<usize>().ok())
            && s.lines != feed.next_seq[src]
        {
            errors.push(format!(
                "source {} counted {} lines, {} sent",
                s.key(),
                s.lines,
                feed.next_seq[src]
            ));
        }
    }
    // Too many errors would bury the report: the first few say what went wrong.
    errors.truncate(20);
    errors
}

fn ring_report(label: &str, t: &LogScreen, feed: &Feed, errors: &[String]) {
    println!(
        "  {label:<36}{} lines kept of {} fed (ring {}), {} sources: {}",
        t.buf.len(),
        feed.fed(),
        t.buf.capacity(),
        t.sources.len(),
        if errors.is_empty() { "ok" } else { "FAILED" }
    );
    for e in errors {
        println!("    {e}");
    }
}

/// A pane fed fewer lines than its ring holds, quickly (no real time), with streams that lag:
/// each window a source may hold its lines back and send them later with its next ones, and
/// sources send in a shuffled order, so batches land well before the ring's newest line.
fn short_run(failures: &mut Vec<String>) {
    const WINDOWS: u64 = 1_600; // 80,000 lines
    let mut app = synthetic::app(&["dev"]);
    let cluster = synthetic::id(&app, "dev");
    let mut feed = open_pane(&mut app, cluster);
    let mut term = Terminal::new(TestBackend::new(200, 50)).expect("terminal");
    let mut rng = fastrand::Rng::with_seed(11);
    let mut held: Vec<Vec<RawLine>> = vec![Vec::new(); SOURCES];
    let mut order: Vec<usize> = (0..SOURCES).collect();
    for w in 0..WINDOWS {
        rng.shuffle(&mut order);
        for &src in &order {
            let lines = feed.lines(src, w);
            held[src].extend(lines);
            // One in four windows a source stays quiet, up to the last window.
            if w + 1 == WINDOWS || rng.u8(..4) != 0 {
                send(&mut app, feed.tickets[src], std::mem::take(&mut held[src]));
            }
        }
        if w % 5 == 0 {
            app.update(Input::Tick);
            term.draw(|f| flotilla::ui::draw_at(f, &app, NOW))
                .expect("draw");
        }
    }
    let t = app.top_as::<LogScreen>().expect("the log pane is on top");
    let mut errors = check_ring(t, &feed, true);
    if t.buf.len() as u64 != feed.fed() {
        errors.push(format!("{} lines kept, {} fed", t.buf.len(), feed.fed()));
    }
    ring_report("ring not full, lagging streams", t, &feed, &errors);
    failures.extend(errors);
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// Part 4: find and filter over a 1,000,000-line buffer, without the app.
fn search_bench(failures: &mut Vec<String>) {
    trim();
    let rss0 = rss();
    let mut buf = LogBuffer::new(SEARCH_LINES);
    let needle = r#"{"level":"error","msg":"upstream timeout","status":504}"#;
    let t = Instant::now();
    for chunk in (0..SEARCH_LINES).collect::<Vec<_>>().chunks(1_000) {
        let batch = chunk
            .iter()
            .map(|&i| Line {
                source: (i % SOURCES) as u32,
                ts: T0_NS + i as i64 * 1_000,
                // No 5 anywhere but in the needle, so `5\d\d` finds only it.
                text: if i == NEEDLE_AT {
                    needle.into()
                } else {
                    line_text(i % SOURCES, i as u64)
                        .replace('5', "6")
                        .into_boxed_str()
                },
            })
            .collect();
        buf.insert(batch);
    }
    let fill = t.elapsed();
    let rss1 = rss();
    let everything = Matcher::default();
    let t = Instant::now();
    let mut shown = Shown::default();
    shown.update(&buf, &everything, |_| true);
    let index_all = t.elapsed();
    println!(
        "search over {} lines, find /{NEEDLE_RE}/ (only line {NEEDLE_AT} has it)",
        buf.len()
    );
    println!(
        "  fill the ring                       {:8.2} ms ({} text bytes{})",
        ms(fill),
        buf.bytes(),
        match (rss0, rss1) {
            (Some(a), Some(b)) => format!(", resident +{:.1} MB", mb(b.saturating_sub(a))),
            _ => String::new(),
        }
    );
    println!(
        "  Shown::update, no filter            {:8.2} ms",
        ms(index_all)
    );
    let re = Pattern::new(NEEDLE_RE).expect("regex");
    let last = shown.len() - 1;
    let mut back = Vec::new();
    let mut fwd = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        let hit = search(&buf, &shown, last, false, &re);
        back.push(t.elapsed());
        if hit != Some(NEEDLE_AT) {
            failures.push(format!(
                "find backwards: {hit:?}, the needle is at {NEEDLE_AT}"
            ));
        }
        let t = Instant::now();
        let hit = search(&buf, &shown, NEEDLE_AT, true, &re);
        fwd.push(t.elapsed());
        if hit.is_some() {
            failures.push(format!("find forwards from the needle: {hit:?}"));
        }
    }
    let (back, fwd) = (median(back), median(fwd));
    let verdict = |d: Duration| {
        if ms(d) <= FIND_BUDGET_MS {
            "within"
        } else {
            "OVER"
        }
    };
    println!(
        "  find back from the end              {:8.2} ms median of 5 ({} the {FIND_BUDGET_MS:.0} ms budget)",
        ms(back),
        verdict(back)
    );
    println!(
        "  find forward, no later match        {:8.2} ms median of 5 ({} the {FIND_BUDGET_MS:.0} ms budget)",
        ms(fwd),
        verdict(fwd)
    );
    // Where find's time goes: walking the shown positions and taking each line's plain text
    // (what `search` does before the regex), and the regex alone on the raw text.
    let walk = median(
        (0..5)
            .map(|_| {
                let t = Instant::now();
                let n: usize = (0..shown.len())
                    .filter_map(|i| shown.get(i).and_then(|p| buf.get(p)))
                    .map(|l| render::plain(&l.text).len())
                    .sum();
                std::hint::black_box(n);
                t.elapsed()
            })
            .collect(),
    );
    let regex_only = median(
        (0..5)
            .map(|_| {
                let t = Instant::now();
                let n = buf
                    .iter_from(buf.first())
                    .filter(|(_, l)| re.is_match(&l.text))
                    .count();
                std::hint::black_box(n);
                t.elapsed()
            })
            .collect(),
    );
    println!(
        "    of which positions + plain()      {:8.2} ms; regex alone {:.2} ms",
        ms(walk),
        ms(regex_only)
    );
    // The pane's own filter closure (`LogScreen::update_shown` is private, so it is repeated
    // here): the matcher sees each line's plain text, escapes and colours removed. A filter
    // keystroke resets `Shown` and runs this over the whole ring.
    for (pat, expect) in [(NEEDLE_RE, Some(1)), (FILTER, None)] {
        let m = Matcher::parse(pat).expect("filter");
        let mut times = Vec::new();
        let mut n = 0;
        for _ in 0..5 {
            let mut s = Shown::default();
            let t = Instant::now();
            s.update(&buf, &m, |l| m.matches(&render::plain(&l.text)));
            times.push(t.elapsed());
            n = s.len();
        }
        if expect.is_some_and(|e| e != n) {
            failures.push(format!(
                "filter /{pat}/ shows {n} lines, expected {expect:?}"
            ));
        }
        let d = median(times);
        println!(
            "  {:<34}{:8.2} ms median of 5, {n} shown ({:.0} ms per 100k lines)",
            format!("Shown::update, filter /{pat}/"),
            ms(d),
            ms(d) * 100_000.0 / buf.len() as f64
        );
    }
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("logs: measures only under `cargo bench --bench logs`");
        return;
    }
    let mut failures: Vec<String> = Vec::new();
    let mut app = synthetic::app(&["dev"]);
    let cluster = synthetic::id(&app, "dev");
    let mut term = Terminal::new(TestBackend::new(200, 50)).expect("terminal");
    term.draw(|f| flotilla::ui::draw_at(f, &app, NOW))
        .expect("draw");
    trim();
    let rss_before = rss();
    let mut feed = open_pane(&mut app, cluster);
    println!(
        "log pane: 1 cluster, {SOURCES} pods × 1 container, {RATE} lines/s, {}×{} terminal, frame every {} ms",
        200,
        50,
        FRAME.as_millis()
    );

    // 1. Raw lines, following.
    let live = run_live(&mut app, &mut feed, &mut term);
    report_live("pass 1: raw lines, no filter", &live);
    let rss_full = rss();
    // The same with the heap the dropped 200,000 lines left behind given back: the ring's own
    // cost, where the figure above is what the process holds.
    trim();
    let rss_live = rss();
    let t = app.top_as::<LogScreen>().expect("the log pane is on top");
    let mut ring_errors = check_ring(t, &feed, false);
    if t.buf.len() != t.buf.capacity() {
        ring_errors.push(format!(
            "{} lines kept, the ring holds {}",
            t.buf.len(),
            t.buf.capacity()
        ));
    }
    println!("lines kept");
    ring_report("after pass 1 (ring full)", t, &feed, &ring_errors);
    failures.extend(ring_errors);

    // 3. Memory of the full ring.
    let (len, bytes) = (t.buf.len(), t.buf.bytes());
    println!("memory");
    match (rss_before, rss_full, rss_live) {
        (Some(a), Some(b), Some(c)) => {
            let per_100k = |grown: usize| {
                format!(
                    "{:5.1} MB per 100k lines, {:3.0} bytes/line",
                    mb(grown) * 100_000.0 / len as f64,
                    grown as f64 / len as f64
                )
            };
            println!("  resident before the pane            {:.1} MB", mb(a));
            println!(
                "  ring full, as the process holds it  {:.1} MB (+{:.1} MB: {})",
                mb(b),
                mb(b.saturating_sub(a)),
                per_100k(b.saturating_sub(a))
            );
            println!(
                "  ring full, free heap given back     {:.1} MB (+{:.1} MB: {})",
                mb(c),
                mb(c.saturating_sub(a)),
                per_100k(c.saturating_sub(a))
            );
        }
        _ => println!("  resident memory unknown (no /proc/self/statm)"),
    }
    println!(
        "  LogBuffer::bytes()                  {} ({:.1} MB, {:.1} MB per 100k lines, {:.0} bytes/line)",
        bytes,
        mb(bytes),
        mb(bytes) * 100_000.0 / len as f64,
        bytes as f64 / len as f64
    );

    // 1b. JSON fields and a filter, on the same (full) pane.
    app.update(Input::Action(Action::Json));
    let t = Instant::now();
    app.set_filter(FILTER);
    let filter_key = t.elapsed();
    let live = run_live(&mut app, &mut feed, &mut term);
    println!(
        "pass 2: JSON fields, filter /{FILTER}/ (setting it over the full ring: {:.2} ms)",
        ms(filter_key)
    );
    report_live("", &live);
    let t = app.top_as::<LogScreen>().expect("the log pane is on top");
    println!(
        "  shown after pass 2                  {} of {} lines",
        t.shown.len(),
        t.buf.len()
    );
    let mut ring_errors = check_ring(t, &feed, false);
    if t.buf.len() != t.buf.capacity() {
        ring_errors.push(format!(
            "{} lines kept, the ring holds {}",
            t.buf.len(),
            t.buf.capacity()
        ));
    }
    println!("lines kept");
    ring_report("after pass 2 (ring full)", t, &feed, &ring_errors);
    failures.extend(ring_errors);

    // 2b. Fewer lines than the ring holds: all of them, once.
    short_run(&mut failures);

    // 4. Find and filter over a million lines.
    drop(app);
    search_bench(&mut failures);

    assert!(
        failures.is_empty(),
        "checks failed:\n{}",
        failures.join("\n")
    );
    println!("all checks passed");
}
