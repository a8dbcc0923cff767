//! The lines of a log pane: a ring of raw lines ordered by timestamp, and the positions of
//! the lines a filter lets through. Lines are styled only when drawn, so memory is the raw
//! bytes plus a few words per line, and a full ring drops its oldest lines.
//!
//! Positions are absolute (they count every line ever kept), so a position stays valid while
//! the ring drops lines at its front. Lines of one source arrive in order, but sources
//! interleave: a batch older than the newest line is merged in place, which shifts the lines
//! after it; whoever keeps positions is told from which position on they changed.

use regex::Regex;
use std::collections::VecDeque;

pub struct Line {
    /// Index of the source (cluster/pod/container) in the pane's source table.
    pub source: u32,
    /// Nanoseconds since the epoch.
    pub ts: i64,
    pub text: Box<str>,
}

pub struct LogBuffer {
    lines: VecDeque<Line>,
    /// Lines dropped from the front: the absolute position of `lines[0]`.
    dropped: u64,
    capacity: usize,
    bytes: usize,
}

impl LogBuffer {
    pub fn new(capacity: usize) -> Self {
        LogBuffer {
            lines: VecDeque::new(),
            dropped: 0,
            capacity: capacity.max(1),
            bytes: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.lines.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// The absolute position of the oldest line kept.
    pub fn first(&self) -> u64 {
        self.dropped
    }

    /// One past the newest line.
    pub fn end(&self) -> u64 {
        self.dropped + self.lines.len() as u64
    }

    pub fn get(&self, pos: u64) -> Option<&Line> {
        let i = usize::try_from(pos.checked_sub(self.dropped)?).ok()?;
        self.lines.get(i)
    }

    /// Text bytes held (the ring's payload, without per-line overhead).
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    pub fn clear(&mut self) {
        self.dropped = self.end();
        self.lines.clear();
        self.bytes = 0;
    }

    /// Adds the lines of one source (in their order), keeping the buffer ordered by time
    /// (lines of equal time keep their arrival order). Returns the first absolute position
    /// whose line changed.
    pub fn insert(&mut self, mut batch: Vec<Line>) -> u64 {
        let from = self.end();
        if batch.is_empty() {
            return from;
        }
        for l in &batch {
            self.bytes += l.text.len();
        }
        let first_ts = batch[0].ts;
        let changed = if self.lines.back().is_none_or(|l| l.ts <= first_ts) {
            self.lines.extend(batch);
            from
        } else {
            // Merge with the lines newer than the batch's first one.
            let at = self.lines.partition_point(|l| l.ts <= first_ts);
            let tail: Vec<Line> = self.lines.drain(at..).collect();
            let mut merged = Vec::with_capacity(tail.len() + batch.len());
            let (mut a, mut b) = (tail.into_iter().peekable(), batch.drain(..).peekable());
            while let (Some(x), Some(y)) = (a.peek(), b.peek()) {
                // Lines already here go first at equal times: they arrived first.
                if x.ts <= y.ts {
                    merged.extend(a.next());
                } else {
                    merged.extend(b.next());
                }
            }
            merged.extend(a);
            merged.extend(b);
            self.lines.extend(merged);
            self.dropped + at as u64
        };
        while self.lines.len() > self.capacity {
            if let Some(l) = self.lines.pop_front() {
                self.bytes -= l.text.len();
                self.dropped += 1;
            }
        }
        changed.max(self.dropped)
    }

    /// Lines from absolute position `from` on, with their positions.
    pub fn iter_from(&self, from: u64) -> impl DoubleEndedIterator<Item = (u64, &Line)> {
        let skip = usize::try_from(from.saturating_sub(self.dropped)).unwrap_or(usize::MAX);
        let first = self.dropped;
        self.lines
            .iter()
            .enumerate()
            .skip(skip)
            .map(move |(i, l)| (first + i as u64, l))
    }
}

/// Which lines a pane shows: a regex that must match (`re`) or must not (`!re`);
/// case-insensitive unless the pattern has an upper-case letter.
#[derive(Clone, Debug, Default)]
pub struct Matcher {
    pub text: String,
    pub re: Option<Pattern>,
    pub invert: bool,
}

impl Matcher {
    pub fn parse(text: &str) -> Result<Matcher, String> {
        let t = text.trim();
        if t.is_empty() {
            return Ok(Matcher::default());
        }
        let (invert, pat) = match t.strip_prefix('!') {
            Some(p) => (true, p),
            None => (false, t),
        };
        Ok(Matcher {
            text: t.to_string(),
            re: Some(Pattern::new(pat)?),
            invert,
        })
    }

    pub fn is_empty(&self) -> bool {
        self.re.is_none()
    }

    pub fn matches(&self, text: &str) -> bool {
        match &self.re {
            None => true,
            Some(p) => p.is_match(text) != self.invert,
        }
    }
}

/// A smart-case regex for log text. When it ignores case and is plain ASCII, a case-sensitive
/// twin runs on the ASCII-lowercased line instead: case folding turns off the regex crate's
/// literal prefilters, which made a search over a million lines six times slower.
#[derive(Clone, Debug)]
pub struct Pattern {
    pub re: Regex,
    folded: Option<Regex>,
}

impl Pattern {
    pub fn new(pat: &str) -> Result<Pattern, String> {
        let re = smart_case(pat)?;
        // `\x41` or `\u{41}` name upper-case letters that lowercased text no longer has.
        let foldable = pat.is_ascii()
            && !pat.chars().any(char::is_uppercase)
            && !pat.contains("\\x")
            && !pat.contains("\\u");
        let folded = if foldable {
            regex::RegexBuilder::new(pat)
                .size_limit(1 << 20)
                .build()
                .ok()
        } else {
            None
        };
        Ok(Pattern { re, folded })
    }

    pub fn as_str(&self) -> &str {
        self.re.as_str()
    }

    pub fn is_match(&self, text: &str) -> bool {
        thread_local! {
            static LOWER: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
        }
        match &self.folded {
            Some(f) if text.is_ascii() => LOWER.with_borrow_mut(|lower| {
                lower.clear();
                lower.push_str(text);
                lower.make_ascii_lowercase();
                f.is_match(lower)
            }),
            _ => self.re.is_match(text),
        }
    }
}

/// A regex, case-insensitive unless it has an upper-case letter (as in less and vim).
pub fn smart_case(pat: &str) -> Result<Regex, String> {
    let insensitive = !pat.chars().any(char::is_uppercase);
    regex::RegexBuilder::new(pat)
        .case_insensitive(insensitive)
        .size_limit(1 << 20)
        .build()
        .map_err(|e| {
            let msg = e.to_string();
            let last = msg.lines().last().unwrap_or(&msg).trim().to_string();
            format!("bad regex {pat:?}: {last}")
        })
}

/// The absolute positions of the lines that pass a filter, kept up to date incrementally.
#[derive(Default)]
pub struct Shown {
    positions: VecDeque<u64>,
    /// Lines before this position have been looked at.
    scanned: u64,
}

impl Shown {
    pub fn len(&self) -> usize {
        self.positions.len()
    }

    pub fn is_empty(&self) -> bool {
        self.positions.is_empty()
    }

    pub fn get(&self, i: usize) -> Option<u64> {
        self.positions.get(i).copied()
    }

    /// The index of the first shown line at or after `pos`.
    pub fn index_of(&self, pos: u64) -> usize {
        self.positions.partition_point(|p| *p < pos)
    }

    /// Forgets everything from `changed` on (see `LogBuffer::insert`).
    pub fn invalidate(&mut self, changed: u64) {
        let keep = self.index_of(changed);
        self.positions.truncate(keep);
        self.scanned = self.scanned.min(changed);
    }

    pub fn reset(&mut self) {
        self.positions.clear();
        self.scanned = 0;
    }

    /// Catches up with the buffer. `text` is what the filter sees of a line (its plain text
    /// and prefix).
    pub fn update(&mut self, buf: &LogBuffer, m: &Matcher, text: impl Fn(&Line) -> bool) {
        while self.positions.front().is_some_and(|p| *p < buf.first()) {
            self.positions.pop_front();
        }
        let from = self.scanned.max(buf.first());
        for (pos, line) in buf.iter_from(from) {
            if m.is_empty() || text(line) {
                self.positions.push_back(pos);
            }
        }
        self.scanned = buf.end();
    }
}

/// The index (in `shown`) of the next shown line after `from` (or before it, going back)
/// whose text `re` finds, as the user reads it.
pub fn search(
    buf: &LogBuffer,
    shown: &Shown,
    from: usize,
    forward: bool,
    re: &Pattern,
) -> Option<usize> {
    let hit = |i: &usize| {
        shown
            .get(*i)
            .and_then(|p| buf.get(p))
            .is_some_and(|l| re.is_match(&super::render::plain(&l.text)))
    };
    if forward {
        (from + 1..shown.len()).find(hit)
    } else {
        (0..from.min(shown.len())).rev().find(hit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(source: u32, ts: i64, text: &str) -> Line {
        Line {
            source,
            ts,
            text: text.into(),
        }
    }

    fn texts(b: &LogBuffer) -> Vec<&str> {
        b.iter_from(0).map(|(_, l)| &*l.text).collect()
    }

    #[test]
    fn sources_interleave_by_time() {
        let mut b = LogBuffer::new(100);
        assert_eq!(b.insert(vec![line(0, 10, "a10"), line(0, 30, "a30")]), 0);
        assert_eq!(b.insert(vec![line(1, 20, "b20"), line(1, 30, "b30")]), 1);
        assert_eq!(b.insert(vec![line(0, 40, "a40")]), 4);
        assert_eq!(texts(&b), ["a10", "b20", "a30", "b30", "a40"]);
    }

    #[test]
    fn the_ring_drops_the_oldest_and_positions_stay_absolute() {
        let mut b = LogBuffer::new(3);
        for i in 0..5 {
            b.insert(vec![line(0, i, &format!("l{i}"))]);
        }
        assert_eq!(texts(&b), ["l2", "l3", "l4"]);
        assert_eq!((b.first(), b.end()), (2, 5));
        assert_eq!(b.get(3).map(|l| &*l.text), Some("l3"));
        assert!(b.get(1).is_none());
        assert_eq!(b.bytes(), 6);
    }

    #[test]
    fn shown_lines_follow_merges_and_drops() {
        let mut b = LogBuffer::new(4);
        let m = Matcher::parse("err").unwrap();
        let pass = |l: &Line| m.matches(&l.text);
        let mut s = Shown::default();
        b.insert(vec![line(0, 10, "err 1"), line(0, 30, "ok")]);
        s.update(&b, &m, pass);
        assert_eq!(s.len(), 1);
        let changed = b.insert(vec![line(1, 20, "err 2")]);
        s.invalidate(changed);
        s.update(&b, &m, pass);
        let shown: Vec<_> = (0..s.len())
            .map(|i| &*b.get(s.get(i).unwrap()).unwrap().text)
            .collect();
        assert_eq!(shown, ["err 1", "err 2"]);
        b.insert(vec![line(0, 40, "x"), line(0, 50, "y")]);
        s.update(&b, &m, pass);
        assert_eq!(s.len(), 1, "err 1 left the ring");
        assert!(Matcher::parse("!err").unwrap().matches("fine"));
        assert!(!Matcher::parse("Err").unwrap().matches("err"));
        assert!(Matcher::parse("(").is_err());
    }

    #[test]
    fn folded_patterns_match_as_case_insensitive_ones_do() {
        for (pat, text, want) in [
            ("timeout|5\\d\\d", "Upstream TIMEOUT", true),
            ("timeout|5\\d\\d", "status 503", true),
            ("timeout", "Zeitüberschreitung TIMEOUT", true),
            ("Timeout", "timeout", false),
            ("\\x41", "A", true),
            ("über", "ÜBER alles", true),
            ("^warn", "WARN x", true),
        ] {
            let p = Pattern::new(pat).unwrap();
            assert_eq!(p.is_match(text), want, "{pat} on {text}");
            assert_eq!(p.is_match(text), p.re.is_match(text), "{pat} on {text}");
        }
    }
}
