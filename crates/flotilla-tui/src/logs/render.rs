//! Turning raw log lines into something safe to draw.
//!
//! A log line is whatever a pod chose to print, so it may carry escape sequences that would set
//! the terminal title, write the clipboard (OSC 52), clear the screen or move the cursor. Unlike
//! `text::sanitize`, which removes such sequences, the log pane shows them: an operator reading
//! logs needs to see that a line tried something, and where. Only SGR (colour and emphasis) is
//! interpreted, and only into ratatui styles; every other sequence or control character becomes
//! visible text in caret/escape notation, so nothing from the pod ever reaches the terminal.
//!
//! `spans` and `plain` walk a line the same way (`walk`), so the text a search matches in `plain`
//! is exactly the text the user sees in `spans`.

use crate::text::is_invisible;
use std::borrow::Cow;
use std::fmt::Write as _;

use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Span;
use regex::Regex;
use serde_json::{Map, Value};

/// Tab stops every this many columns, as on a terminal.
const TAB_WIDTH: usize = 8;

/// Styled spans of one raw log line.
///
/// SGR sequences (`ESC [ … m`) restyle the following text on top of `base`: reset, bold, dim,
/// italic, underline, reverse, crossed-out (and their `2x` "off" codes, which return to `base`),
/// 30–37/90–97/39 foreground, 40–47/100–107/49 background, `38;5;n`/`48;5;n` and
/// `38;2;r;g;b`/`48;2;r;g;b` (also in the `:` sub-parameter form). Unknown SGR codes are ignored,
/// blink and conceal deliberately so (conceal would let a line hide text).
///
/// Everything else that could drive a terminal is shown as text in `base.patch(escaped)`, not
/// affected by SGR state so that it stays recognisable: CSI, OSC (to BEL, `ESC \` or end of line),
/// DCS/SOS/PM/APC, other `ESC x` escapes, a lone ESC, C0/C1 controls, DEL, and invisible
/// formatting characters (bidi overrides, zero-width characters). Notation: ESC → `\e`,
/// BEL → `\a`, other C0 → `^X` (`^H`, `^M`, `^@`), DEL → `^?`, C1 and invisible characters →
/// `\u{9b}`, `\u{202e}`. Tabs expand to spaces up to the next multiple of 8 columns (counting the
/// text as displayed, notation included).
///
/// The output contains no control character and no empty span; an empty line gives no spans, a
/// line with nothing to interpret gives exactly one span.
pub fn spans(raw: &str, base: Style, escaped: Style) -> Vec<Span<'static>> {
    if find_special(raw, 0).is_none() {
        if raw.is_empty() {
            return Vec::new();
        }
        return vec![Span::styled(raw.to_owned(), base)];
    }
    let mut sink = SpanSink {
        base,
        escaped: base.patch(escaped),
        sgr: Style::default(),
        spans: Vec::new(),
        buf: String::new(),
        buf_style: base,
    };
    walk(raw, &mut sink);
    sink.finish()
}

/// The line as the user reads it, unstyled: SGR removed, everything else escaped exactly as
/// `spans` shows it (the concatenation of `spans`' contents). For search, copy and save.
/// Borrowed when the line has nothing to interpret.
pub fn plain(raw: &str) -> Cow<'_, str> {
    if find_special(raw, 0).is_none() {
        return Cow::Borrowed(raw);
    }
    let mut sink = PlainSink(String::with_capacity(raw.len() + 16));
    walk(raw, &mut sink);
    Cow::Owned(sink.0)
}

/// The line as a JSON object, if it is one: the first non-whitespace character is `{` and the
/// whole line parses as an object. Anything else (arrays, scalars, prose starting with `{`) is
/// None.
pub fn json_object(raw: &str) -> Option<Map<String, Value>> {
    // The cheap check first: most lines are not JSON, and parsing them to find out would be slow.
    if !raw.trim_start().starts_with('{') {
        return None;
    }
    serde_json::from_str(raw).ok()
}

/// The level of a JSON log line, normalised to "debug", "info", "warn" or "error".
///
/// Looks at the keys `level`, `lvl`, `severity`, `log.level` in that order (key names compared
/// case-insensitively; `log.level` may be a literal dotted key, as ECS writes it, or `level`
/// inside a `log` object), and answers from the first one whose value is recognised. Strings:
/// trace/debug → debug; info/notice → info; warn/warning → warn;
/// error/err/fatal/panic/dpanic/critical/crit/alert/emerg/emergency → error. Numbers: syslog
/// severities 0–7 (as GELF sends) and bunyan/pino levels 10–60.
pub fn json_level(obj: &Map<String, Value>) -> Option<&'static str> {
    for key in ["level", "lvl", "severity"] {
        if let Some(level) = get_ignore_case(obj, key).and_then(level_of) {
            return Some(level);
        }
    }
    if let Some(level) = get_ignore_case(obj, "log.level").and_then(level_of) {
        return Some(level);
    }
    get_ignore_case(obj, "log")
        .and_then(Value::as_object)
        .and_then(|log| get_ignore_case(log, "level"))
        .and_then(level_of)
}

/// A JSON object as columns.
///
/// The first element holds the values of `fields`, in that order (keys matched exactly; a missing
/// key gives "-"; strings unquoted; other values as compact JSON). The second is every other key
/// as `key=value`, separated by single spaces: strings unquoted unless they are empty or contain
/// whitespace, `"` or `=`, in which case they are double-quoted with `"` and `\` backslash-escaped
/// (logfmt style); other values compact JSON. The remaining keys come in alphabetical order: this crate's serde_json is built without
/// `preserve_order`, so a `Map` does not remember the document's order.
///
/// Every cell is passed through `plain`, so none can carry a control sequence. The caller styles
/// and pads the cells.
pub fn json_columns(obj: &Map<String, Value>, fields: &[String]) -> (Vec<String>, String) {
    let cells = fields
        .iter()
        .map(|field| match obj.get(field) {
            None => "-".to_owned(),
            Some(Value::String(s)) => plain(s).into_owned(),
            Some(other) => plain(&other.to_string()).into_owned(),
        })
        .collect();

    let mut rest = String::new();
    for (key, value) in obj {
        if fields.iter().any(|f| f == key) {
            continue;
        }
        if !rest.is_empty() {
            rest.push(' ');
        }
        rest.push_str(&plain(key));
        rest.push('=');
        match value {
            Value::String(s) if needs_quotes(s) => {
                // Only quotes and backslashes are escaped here, not controls as JSON would
                // (`\u001b`): `plain` then shows those in the same notation as everywhere else.
                let mut quoted = String::with_capacity(s.len() + 2);
                quoted.push('"');
                for c in s.chars() {
                    if matches!(c, '"' | '\\') {
                        quoted.push('\\');
                    }
                    quoted.push(c);
                }
                quoted.push('"');
                rest.push_str(&plain(&quoted));
            }
            Value::String(s) => rest.push_str(&plain(s)),
            other => rest.push_str(&plain(&other.to_string())),
        }
    }
    (cells, rest)
}

/// A JSON object pretty-printed with a 2-space indent, one String per line, each through `plain`
/// (serde_json escapes C0 controls in strings but leaves C1 and bidi characters as they are).
pub fn json_pretty(obj: &Map<String, Value>) -> Vec<String> {
    // Serialising a Map of Values cannot fail (keys are strings, numbers are finite); if it ever
    // did, showing nothing is the harmless answer.
    let Ok(text) = serde_json::to_string_pretty(obj) else {
        return Vec::new();
    };
    text.lines().map(|line| plain(line).into_owned()).collect()
}

/// `spans` with every non-empty match of `re` (matched against the spans' concatenated text) in
/// its existing style patched with `hit`. Spans are split at match boundaries; a match may cross
/// spans. Untouched spans are passed through as they are.
pub fn highlight(spans: Vec<Span<'static>>, re: &Regex, hit: Style) -> Vec<Span<'static>> {
    let text: Cow<'_, str> = match spans.as_slice() {
        [] => return spans,
        [one] => Cow::Borrowed(one.content.as_ref()),
        many => Cow::Owned(many.iter().map(|s| s.content.as_ref()).collect()),
    };
    let matches: Vec<(usize, usize)> = re
        .find_iter(&text)
        .filter(|m| !m.is_empty())
        .map(|m| (m.start(), m.end()))
        .collect();
    drop(text);
    if matches.is_empty() {
        return spans;
    }

    let mut out = Vec::with_capacity(spans.len() + 2 * matches.len());
    let mut next = 0; // the first match that may still overlap this span or a later one
    let mut offset = 0; // where this span starts in the concatenated text
    for span in spans {
        let start = offset;
        let end = offset + span.content.len();
        offset = end;
        while next < matches.len() && matches[next].1 <= start {
            next += 1;
        }
        if next == matches.len() || matches[next].0 >= end {
            out.push(span);
            continue;
        }
        let content = span.content.as_ref();
        let mut at = start;
        let mut m = next;
        while at < end {
            match matches.get(m) {
                Some(&(ms, me)) if ms < end => {
                    if at < ms {
                        out.push(Span::styled(
                            content[at - start..ms - start].to_owned(),
                            span.style,
                        ));
                        at = ms;
                    }
                    let stop = me.min(end);
                    out.push(Span::styled(
                        content[at - start..stop - start].to_owned(),
                        span.style.patch(hit),
                    ));
                    at = stop;
                    if me <= end {
                        m += 1;
                    }
                }
                _ => {
                    out.push(Span::styled(content[at - start..].to_owned(), span.style));
                    at = end;
                }
            }
        }
        next = m;
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Walking a line

/// Where `walk` sends what it finds.
trait Sink {
    /// Line text, in whatever SGR style is current.
    fn text(&mut self, s: &str);
    /// Visible notation for something that must not reach the terminal.
    fn escaped(&mut self, s: &str);
    /// The parameters of an SGR sequence (digits, `;` and `:` only).
    fn sgr(&mut self, params: &str);
}

/// Tracks the display column for tab stops; everything `walk` emits goes through it.
struct Walker<'a, S> {
    sink: &'a mut S,
    col: usize,
    scratch: String,
}

impl<S: Sink> Walker<'_, S> {
    fn text(&mut self, s: &str) {
        if !s.is_empty() {
            self.col += width(s);
            self.sink.text(s);
        }
    }

    fn escaped(&mut self, s: &str) {
        if !s.is_empty() {
            self.col += width(s);
            self.sink.escaped(s);
        }
    }

    fn tab(&mut self, escaped: bool) {
        const SPACES: &str = "        ";
        let n = TAB_WIDTH - self.col % TAB_WIDTH;
        if escaped {
            self.escaped(&SPACES[..n]);
        } else {
            self.text(&SPACES[..n]);
        }
    }

    /// Shows one special character (see `find_special`) in notation; a tab is expanded.
    fn special(&mut self, c: char, escaped: bool) {
        if c == '\t' {
            self.tab(escaped);
            return;
        }
        let mut scratch = std::mem::take(&mut self.scratch);
        scratch.clear();
        match c {
            '\u{7}' => scratch.push_str("\\a"),
            '\u{1b}' => scratch.push_str("\\e"),
            '\u{7f}' => scratch.push_str("^?"),
            // Caret notation: the control character's code with bit 6 set (^@, ^A, …, ^_).
            c if (c as u32) < 0x20 => {
                scratch.push('^');
                scratch.push(char::from(c as u8 | 0x40));
            }
            // Writing to a String cannot fail.
            c => {
                let _ = write!(scratch, "\\u{{{:x}}}", c as u32);
            }
        }
        self.escaped(&scratch);
        self.scratch = scratch;
    }
}

fn width(s: &str) -> usize {
    if s.is_ascii() {
        s.len()
    } else {
        // ratatui's own measure, so tab stops agree with how the text is laid out.
        Span::raw(s).width()
    }
}

fn walk<S: Sink>(raw: &str, sink: &mut S) {
    let mut w = Walker {
        sink,
        col: 0,
        scratch: String::new(),
    };
    let mut pos = 0;
    while let Some((at, c)) = find_special(raw, pos) {
        w.text(&raw[pos..at]);
        pos = at + c.len_utf8();
        pos = match c {
            '\u{1b}' => escape(raw, pos, &mut w),
            '\u{9b}' => {
                // An 8-bit CSI is never taken as SGR: the pane renders colours from the 7-bit
                // form only, and anything else is shown.
                w.special(c, true);
                let (end, _) = csi(raw, pos);
                w.escaped(&raw[pos..end]);
                end
            }
            '\u{9d}' | '\u{90}' | '\u{98}' | '\u{9e}' | '\u{9f}' => {
                w.special(c, true);
                string_body(raw, pos, &mut w)
            }
            c => {
                w.special(c, false);
                pos
            }
        };
    }
    w.text(&raw[pos..]);
}

/// After an ESC at `pos - 1`: interprets SGR, shows anything else. Returns where to go on.
fn escape<S: Sink>(raw: &str, pos: usize, w: &mut Walker<'_, S>) -> usize {
    let bytes = raw.as_bytes();
    match bytes.get(pos) {
        Some(b'[') => {
            let body = pos + 1;
            let (end, sgr) = csi(raw, body);
            if let Some(params) = sgr {
                w.sink.sgr(params);
            } else {
                w.escaped("\\e[");
                w.escaped(&raw[body..end]);
            }
            end
        }
        Some(b']' | b'P' | b'X' | b'^' | b'_') => {
            w.escaped("\\e");
            w.escaped(&raw[pos..pos + 1]);
            string_body(raw, pos + 1, w)
        }
        _ => {
            // Other escapes: intermediates 0x20–0x2f, then a final byte 0x30–0x7e (ESC 7, ESC c,
            // ESC ( B …). If the final byte is missing, only what was there is shown.
            let mut end = pos;
            while bytes.get(end).is_some_and(|b| (0x20..=0x2f).contains(b)) {
                end += 1;
            }
            if bytes.get(end).is_some_and(|b| (0x30..=0x7e).contains(b)) {
                end += 1;
            }
            w.escaped("\\e");
            w.escaped(&raw[pos..end]);
            end
        }
    }
}

/// A CSI body starting at `pos`: parameter bytes 0x30–0x3f, intermediates 0x20–0x2f, a final
/// byte 0x40–0x7e. Returns where it ends (after the final byte, or at the first byte that does
/// not fit, which the caller then treats as ordinary input) and, if it is a plain SGR, its
/// parameters. All bytes consumed are printable ASCII, so the body can be shown as it is.
fn csi(raw: &str, pos: usize) -> (usize, Option<&str>) {
    let bytes = raw.as_bytes();
    let mut end = pos;
    while bytes.get(end).is_some_and(|b| (0x30..=0x3f).contains(b)) {
        end += 1;
    }
    let params_end = end;
    while bytes.get(end).is_some_and(|b| (0x20..=0x2f).contains(b)) {
        end += 1;
    }
    match bytes.get(end) {
        Some(&fin) if (0x40..=0x7e).contains(&fin) => {
            let params = &raw[pos..params_end];
            let is_sgr = fin == b'm'
                && params_end == end
                && params
                    .bytes()
                    .all(|b| b.is_ascii_digit() || b == b';' || b == b':');
            (end + 1, is_sgr.then_some(params))
        }
        _ => (end, None),
    }
}

/// The body of an OSC, DCS, SOS, PM or APC string starting at `pos`, shown escaped up to and
/// including its terminator: BEL, ST (`ESC \` or 8-bit `\u{9c}`), or the end of the line. An ESC
/// not followed by `\` ends the string without being consumed, as a terminal would abort the
/// string and start a new escape there.
fn string_body<S: Sink>(raw: &str, mut pos: usize, w: &mut Walker<'_, S>) -> usize {
    loop {
        let Some((at, c)) = find_special(raw, pos) else {
            w.escaped(&raw[pos..]);
            return raw.len();
        };
        w.escaped(&raw[pos..at]);
        let after = at + c.len_utf8();
        match c {
            '\u{7}' | '\u{9c}' => {
                w.special(c, true);
                return after;
            }
            '\u{1b}' if raw.as_bytes().get(after) == Some(&b'\\') => {
                w.escaped("\\e\\");
                return after + 1;
            }
            '\u{1b}' => return at,
            c => {
                w.special(c, true);
                pos = after;
            }
        }
    }
}

/// The first character at or after byte `from` that `walk` must not pass through as text: C0
/// controls (tab included, for expansion), DEL, C1 controls, and invisible formatting characters.
///
/// This is the hot path for every line drawn or searched, so it scans bytes: 16 at a time while
/// they are all printable ASCII (a loop the compiler vectorises), then byte by byte, decoding a
/// character only at the few UTF-8 lead bytes that can start one of the special characters.
fn find_special(s: &str, from: usize) -> Option<(usize, char)> {
    const CHUNK: usize = 16;
    let bytes = s.as_bytes();
    let mut i = from;
    while i < bytes.len() {
        if let Some(chunk) = bytes.get(i..i + CHUNK) {
            // No early exit inside the chunk, so that this compiles to a few vector compares.
            let all_printable = chunk
                .iter()
                .fold(true, |all, &b| all & (0x20..0x7f).contains(&b));
            if all_printable {
                i += CHUNK;
                continue;
            }
        }
        let end = (i + CHUNK).min(bytes.len());
        while i < end {
            let b = bytes[i];
            match b {
                0x00..=0x1f | 0x7f => return Some((i, char::from(b))),
                // Lead bytes of U+0080–U+00BF (C1, soft hyphen), U+061C, U+180E, U+20xx, U+FEFF.
                0xc2 | 0xd8 | 0xe1 | 0xe2 | 0xef => {
                    if let Some(c) = s.get(i..).and_then(|rest| rest.chars().next())
                        && (c.is_control() || is_invisible(c))
                    {
                        return Some((i, c));
                    }
                }
                _ => {}
            }
            i += 1;
        }
    }
    None
}

struct PlainSink(String);

impl Sink for PlainSink {
    fn text(&mut self, s: &str) {
        self.0.push_str(s);
    }
    fn escaped(&mut self, s: &str) {
        self.0.push_str(s);
    }
    fn sgr(&mut self, _: &str) {}
}

struct SpanSink {
    base: Style,
    /// `base` patched with the caller's escaped style.
    escaped: Style,
    /// What SGR has changed relative to `base`, so that "off" codes can return to `base`.
    sgr: Style,
    spans: Vec<Span<'static>>,
    /// Text waiting to become a span, so that adjacent runs in one style make one span.
    buf: String,
    buf_style: Style,
}

impl SpanSink {
    fn push(&mut self, s: &str, style: Style) {
        if style != self.buf_style {
            self.flush();
            self.buf_style = style;
        }
        self.buf.push_str(s);
    }

    fn flush(&mut self) {
        if !self.buf.is_empty() {
            let text = std::mem::take(&mut self.buf);
            self.spans.push(Span::styled(text, self.buf_style));
        }
    }

    fn finish(mut self) -> Vec<Span<'static>> {
        self.flush();
        self.spans
    }
}

impl Sink for SpanSink {
    fn text(&mut self, s: &str) {
        let style = self.base.patch(self.sgr);
        self.push(s, style);
    }

    fn escaped(&mut self, s: &str) {
        self.push(s, self.escaped);
    }

    fn sgr(&mut self, params: &str) {
        self.sgr = apply_sgr(self.sgr, params);
    }
}

/// Applies SGR parameters to `delta`, the change SGR has made relative to the base style.
fn apply_sgr(mut delta: Style, params: &str) -> Style {
    // `ESC [ m` is a reset, like `ESC [ 0 m`.
    if params.is_empty() {
        return Style::default();
    }
    let mut list = params.split(';');
    while let Some(param) = list.next() {
        if param.contains(':') {
            // ITU form: the whole colour is one parameter, `38:5:n` or `38:2:[cs]:r:g:b`.
            let sub: Vec<&str> = param.split(':').collect();
            delta = apply_colon(delta, &sub);
            continue;
        }
        // An empty parameter means 0; an out-of-range number is ignored.
        let code = if param.is_empty() {
            0
        } else {
            match param.parse::<u16>() {
                Ok(n) => n,
                Err(_) => continue,
            }
        };
        delta = match code {
            0 => Style::default(),
            1 => delta.add_modifier(Modifier::BOLD),
            2 => delta.add_modifier(Modifier::DIM),
            3 => delta.add_modifier(Modifier::ITALIC),
            4 => delta.add_modifier(Modifier::UNDERLINED),
            7 => delta.add_modifier(Modifier::REVERSED),
            9 => delta.add_modifier(Modifier::CROSSED_OUT),
            21 | 22 => unset(delta, Modifier::BOLD | Modifier::DIM),
            23 => unset(delta, Modifier::ITALIC),
            24 => unset(delta, Modifier::UNDERLINED),
            27 => unset(delta, Modifier::REVERSED),
            29 => unset(delta, Modifier::CROSSED_OUT),
            30..=37 => fg(delta, Some(ansi(code - 30))),
            39 => fg(delta, None),
            40..=47 => bg(delta, Some(ansi(code - 40))),
            49 => bg(delta, None),
            90..=97 => fg(delta, Some(ansi(code - 90 + 8))),
            100..=107 => bg(delta, Some(ansi(code - 100 + 8))),
            38 | 48 => {
                let color = match list.next() {
                    Some("5") => list.next().and_then(indexed),
                    Some("2") => {
                        let (r, g, b) = (list.next(), list.next(), list.next());
                        rgb(r, g, b)
                    }
                    _ => None,
                };
                // A malformed extended colour leaves the rest of the list ambiguous: stop.
                let Some(color) = color else { return delta };
                if code == 38 {
                    fg(delta, Some(color))
                } else {
                    bg(delta, Some(color))
                }
            }
            _ => delta,
        };
    }
    delta
}

/// One `:`-separated SGR parameter.
fn apply_colon(delta: Style, sub: &[&str]) -> Style {
    let color = match sub {
        [_, "5", n] => indexed(n),
        [_, "2", r, g, b] => rgb(Some(r), Some(g), Some(b)),
        [_, "2", _, r, g, b, ..] => rgb(Some(r), Some(g), Some(b)),
        // Curly, dotted … underlines (`4:3`) are underlines here; `4:0` is none.
        ["4", "0"] => return unset(delta, Modifier::UNDERLINED),
        ["4", _] => return delta.add_modifier(Modifier::UNDERLINED),
        _ => None,
    };
    match (sub.first(), color) {
        (Some(&"38"), Some(c)) => fg(delta, Some(c)),
        (Some(&"48"), Some(c)) => bg(delta, Some(c)),
        _ => delta,
    }
}

fn indexed(n: &str) -> Option<Color> {
    n.parse::<u8>().ok().map(Color::Indexed)
}

fn rgb(r: Option<&str>, g: Option<&str>, b: Option<&str>) -> Option<Color> {
    let c = |s: Option<&str>| s.and_then(|s| s.parse::<u8>().ok());
    Some(Color::Rgb(c(r)?, c(g)?, c(b)?))
}

/// Back to whatever `base` says for these modifiers.
fn unset(mut delta: Style, m: Modifier) -> Style {
    delta.add_modifier.remove(m);
    delta.sub_modifier.remove(m);
    delta
}

fn fg(mut delta: Style, c: Option<Color>) -> Style {
    delta.fg = c;
    delta
}

fn bg(mut delta: Style, c: Option<Color>) -> Style {
    delta.bg = c;
    delta
}

/// The 16 ANSI colours by number, as ratatui names them (its `Gray` is ANSI white, 37).
fn ansi(n: u16) -> Color {
    match n {
        0 => Color::Black,
        1 => Color::Red,
        2 => Color::Green,
        3 => Color::Yellow,
        4 => Color::Blue,
        5 => Color::Magenta,
        6 => Color::Cyan,
        7 => Color::Gray,
        8 => Color::DarkGray,
        9 => Color::LightRed,
        10 => Color::LightGreen,
        11 => Color::LightYellow,
        12 => Color::LightBlue,
        13 => Color::LightMagenta,
        14 => Color::LightCyan,
        _ => Color::White,
    }
}

// ---------------------------------------------------------------------------------------------
// JSON helpers

fn get_ignore_case<'a>(obj: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    obj.get(key).or_else(|| {
        obj.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })
}

fn level_of(v: &Value) -> Option<&'static str> {
    match v {
        Value::String(s) => {
            let s = s.trim();
            let is = |names: &[&str]| names.iter().any(|n| s.eq_ignore_ascii_case(n));
            if is(&["trace", "debug"]) {
                Some("debug")
            } else if is(&["info", "notice"]) {
                Some("info")
            } else if is(&["warn", "warning"]) {
                Some("warn")
            } else if is(&[
                "error",
                "err",
                "fatal",
                "panic",
                "dpanic",
                "critical",
                "crit",
                "alert",
                "emerg",
                "emergency",
            ]) {
                Some("error")
            } else {
                None
            }
        }
        Value::Number(n) => match n.as_u64()? {
            // Syslog severities (GELF's `level`).
            0..=3 => Some("error"),
            4 => Some("warn"),
            5 | 6 => Some("info"),
            7 => Some("debug"),
            // bunyan and pino.
            10 | 20 => Some("debug"),
            30 => Some("info"),
            40 => Some("warn"),
            50 | 60 => Some("error"),
            _ => None,
        },
        _ => None,
    }
}

fn needs_quotes(s: &str) -> bool {
    s.is_empty() || s.chars().any(|c| c.is_whitespace() || c == '"' || c == '=')
}

#[cfg(test)]
mod tests {
    use super::*;

    const ESC_STYLE: Style = Style::new().fg(Color::Magenta);

    fn text_of(spans: &[Span<'_>]) -> String {
        spans.iter().map(|s| s.content.as_ref()).collect()
    }

    fn shown(raw: &str) -> String {
        text_of(&spans(raw, Style::default(), ESC_STYLE))
    }

    /// Nothing that reaches the terminal may be a control character, and `plain` must agree
    /// with what `spans` shows.
    fn assert_safe(raw: &str) {
        let s = spans(raw, Style::default(), ESC_STYLE);
        let text = text_of(&s);
        assert!(
            !text.chars().any(|c| c.is_control() || is_invisible(c)),
            "{raw:?} → {text:?}"
        );
        assert!(!text.bytes().any(|b| b < 0x20 || b == 0x1b), "{text:?}");
        assert!(s.iter().all(|s| !s.content.is_empty()), "{s:?}");
        assert_eq!(plain(raw), text, "{raw:?}");
    }

    fn style_of(spans: &[Span<'_>], text: &str) -> Style {
        spans
            .iter()
            .find(|s| s.content == text)
            .map(|s| s.style)
            .unwrap_or_else(|| panic!("no span {text:?} in {spans:?}"))
    }

    #[test]
    fn testbed_hostile_line() {
        let raw = "ESCAPE-TEST \x1b[31mred\x1b[0m \x1b]0;pwned-title\x07 \x1b[2J end";
        let s = spans(raw, Style::default(), ESC_STYLE);
        assert_eq!(text_of(&s), r"ESCAPE-TEST red \e]0;pwned-title\a \e[2J end");
        assert_eq!(style_of(&s, "red"), Style::new().fg(Color::Red));
        assert_eq!(style_of(&s, r"\e]0;pwned-title\a"), ESC_STYLE);
        assert_eq!(style_of(&s, r"\e[2J"), ESC_STYLE);
        assert_eq!(style_of(&s, " end"), Style::default());
        assert_eq!(plain(raw), r"ESCAPE-TEST red \e]0;pwned-title\a \e[2J end");
        assert_safe(raw);
    }

    #[test]
    fn osc_52_clipboard_write_is_shown() {
        let raw = "a\x1b]52;c;ZXZpbA==\x1b\\b";
        assert_eq!(shown(raw), r"a\e]52;c;ZXZpbA==\e\b");
        let s = spans(raw, Style::default(), ESC_STYLE);
        assert_eq!(style_of(&s, r"\e]52;c;ZXZpbA==\e\"), ESC_STYLE);
        // Unterminated: runs to the end of the line.
        assert_eq!(shown("x\x1b]52;c;ZXZpbA=="), r"x\e]52;c;ZXZpbA==");
        // An ESC that is not ST ends the string and starts its own escape.
        assert_eq!(shown("\x1b]0;t\x1b[2Jz"), r"\e]0;t\e[2Jz");
        assert_safe(raw);
    }

    #[test]
    fn cursor_movement_and_screen_control_are_shown() {
        assert_eq!(shown("\x1b[Hhome"), r"\e[Hhome");
        assert_eq!(shown("up\x1b[5Aup"), r"up\e[5Aup");
        assert_eq!(shown("\x1b[?1049h\x1b[?25l"), r"\e[?1049h\e[?25l");
        assert_eq!(shown("\x1b7save\x1b8"), r"\e7save\e8");
        assert_eq!(shown("\x1bc"), r"\ec");
        assert_eq!(shown("\x1b(Bx"), r"\e(Bx");
        // DCS and APC strings.
        assert_eq!(shown("\x1bPq#0\x1b\\"), r"\ePq#0\e\");
        assert_eq!(shown("\x1b_Gf=1\x07ok"), r"\e_Gf=1\aok");
        // A private-marker `m` (xterm modifyOtherKeys) is not SGR.
        assert_eq!(shown("\x1b[>4;2m"), r"\e[>4;2m");
        // A CSI cut short by a control character: both are shown.
        assert_eq!(shown("\x1b[12\x07x"), r"\e[12\ax");
        for raw in ["\x1b[Hhome", "up\x1b[5Aup", "\x1b[12\x07x", "\x1b[1;2"] {
            assert_safe(raw);
        }
    }

    #[test]
    fn c1_controls_are_shown() {
        assert_eq!(shown("a\u{9b}2Jb"), r"a\u{9b}2Jb");
        let s = spans("a\u{9b}2Jb", Style::default(), ESC_STYLE);
        assert_eq!(style_of(&s, r"\u{9b}2J"), ESC_STYLE);
        // 8-bit SGR is shown, not applied.
        assert_eq!(shown("\u{9b}31mx"), r"\u{9b}31mx");
        assert_eq!(shown("\u{9d}0;t\u{9c}x"), r"\u{9d}0;t\u{9c}x");
        assert_eq!(shown("nel\u{85}"), r"nel\u{85}");
        for raw in ["a\u{9b}2Jb", "\u{9d}0;t\u{9c}x", "\u{90}x"] {
            assert_safe(raw);
        }
    }

    #[test]
    fn lone_esc_and_c0_controls_are_shown() {
        assert_eq!(shown("end\x1b"), r"end\e");
        assert_eq!(shown("\x1b\x1b[31m"), r"\e");
        assert_eq!(
            shown("progress 50%\rprogress 100%"),
            "progress 50%^Mprogress 100%"
        );
        assert_eq!(shown("abc\x08\x08x"), "abc^H^Hx");
        assert_eq!(shown("\x00\x07\x7f\x1f"), r"^@\a^?^_");
        assert_eq!(shown("a\nb"), "a^Jb");
        for raw in ["end\x1b", "a\rb\x08c", "\x00\x07\x7f\x1f", "\x1b", "\x1b["] {
            assert_safe(raw);
        }
    }

    #[test]
    fn invisible_characters_are_shown() {
        assert_eq!(shown("\u{202E}nimda\u{202C}"), r"\u{202e}nimda\u{202c}");
        assert_eq!(shown("pr\u{200B}od\u{FEFF}"), r"pr\u{200b}od\u{feff}");
        let s = spans("\u{202E}x", Style::default(), ESC_STYLE);
        assert_eq!(style_of(&s, r"\u{202e}"), ESC_STYLE);
        // Ordinary non-ASCII text, including the lead bytes that `find_special` inspects.
        for raw in ["ünïcödé ok", "€ – “quotes” …", "日本語", "\u{a9}\u{602}"] {
            assert_eq!(spans(raw, Style::default(), ESC_STYLE).len(), 1);
            assert!(matches!(plain(raw), Cow::Borrowed(_)));
        }
        assert_safe("\u{202E}nimda\u{202C}\u{061C}\u{180E}\u{2066}\u{00AD}");
    }

    #[test]
    fn sgr_basics() {
        let base = Style::new().fg(Color::Gray).bg(Color::Black);
        let s = spans("\x1b[1;4mb\x1b[22mn\x1b[0mr", base, ESC_STYLE);
        assert_eq!(
            style_of(&s, "b"),
            base.add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
        );
        assert_eq!(style_of(&s, "n"), base.add_modifier(Modifier::UNDERLINED));
        assert_eq!(style_of(&s, "r"), base);
        // Escaped text keeps the base background under the escaped style.
        let s = spans("\x1b[42m\x1b[Hx", base, ESC_STYLE);
        assert_eq!(style_of(&s, r"\e[H"), base.fg(Color::Magenta));
        assert_eq!(style_of(&s, "x"), base.bg(Color::Green));

        let s = spans("\x1b[91;104mx\x1b[39my\x1b[mz", base, ESC_STYLE);
        assert_eq!(
            style_of(&s, "x"),
            base.fg(Color::LightRed).bg(Color::LightBlue)
        );
        assert_eq!(style_of(&s, "y"), base.bg(Color::LightBlue));
        assert_eq!(style_of(&s, "z"), base);
        let s = spans("\x1b[2;3;7mx", Style::default(), ESC_STYLE);
        assert_eq!(
            style_of(&s, "x"),
            Style::new().add_modifier(Modifier::DIM | Modifier::ITALIC | Modifier::REVERSED)
        );
        // SGR-only lines: the text alone, in one span.
        let s = spans("\x1b[32mok\x1b[0m", Style::default(), ESC_STYLE);
        assert_eq!(s, vec![Span::styled("ok", Style::new().fg(Color::Green))]);
        assert_eq!(plain("\x1b[32mok\x1b[0m"), "ok");
    }

    #[test]
    fn sgr_256_colour_and_truecolour() {
        let s = spans(
            "\x1b[38;5;208mo\x1b[48;5;17mb\x1b[38;2;255;128;0;48;2;0;0;1mt",
            Style::default(),
            ESC_STYLE,
        );
        assert_eq!(style_of(&s, "o"), Style::new().fg(Color::Indexed(208)));
        assert_eq!(
            style_of(&s, "b"),
            Style::new().fg(Color::Indexed(208)).bg(Color::Indexed(17))
        );
        assert_eq!(
            style_of(&s, "t"),
            Style::new()
                .fg(Color::Rgb(255, 128, 0))
                .bg(Color::Rgb(0, 0, 1))
        );
        // The `:` form, with and without a colour-space id.
        let s = spans(
            "\x1b[38:5:9ma\x1b[38:2::1:2:3mb\x1b[48:2:4:5:6mc",
            Style::default(),
            ESC_STYLE,
        );
        assert_eq!(style_of(&s, "a"), Style::new().fg(Color::Indexed(9)));
        assert_eq!(style_of(&s, "b"), Style::new().fg(Color::Rgb(1, 2, 3)));
        assert_eq!(
            style_of(&s, "c"),
            Style::new().fg(Color::Rgb(1, 2, 3)).bg(Color::Rgb(4, 5, 6))
        );
        // Malformed or out of range: ignored, never a panic.
        for raw in [
            "\x1b[38;5mx",
            "\x1b[38;5;256mx",
            "\x1b[38;2;1;2mx",
            "\x1b[38mx",
            "\x1b[99999999999mx",
            "\x1b[38:2:1mx",
            "\x1b[;;;mx",
        ] {
            assert_eq!(shown(raw), "x", "{raw:?}");
            assert_safe(raw);
        }
    }

    #[test]
    fn tabs_expand_to_the_next_stop() {
        assert_eq!(shown("a\tb"), "a       b");
        assert_eq!(shown("\tx"), "        x");
        assert_eq!(shown("12345678\tx"), "12345678        x");
        // Columns count what is shown: SGR takes none, notation takes its width, wide
        // characters two.
        assert_eq!(shown("\x1b[31mab\x1b[0m\tx"), "ab      x");
        assert_eq!(shown("\x07\tx"), r"\a      x");
        assert_eq!(shown("日本\tx"), "日本    x");
        assert_eq!(plain("a\tb"), "a       b");
        assert_safe("a\tb\t\tc");
    }

    #[test]
    fn fast_path_borrows_and_gives_one_span() {
        let raw = "2024-05-01T10:00:00Z INFO listening on :8080 with a fairly long tail of text";
        assert!(matches!(plain(raw), Cow::Borrowed(_)));
        let s = spans(raw, Style::new().fg(Color::Gray), ESC_STYLE);
        assert_eq!(s, vec![Span::styled(raw, Style::new().fg(Color::Gray))]);
        assert!(spans("", Style::default(), ESC_STYLE).is_empty());
        // A special character in every position relative to the 16-byte chunks.
        for i in 0..40 {
            let raw = format!("{}\x1b[2J{}", "x".repeat(i), "y".repeat(40 - i));
            assert!(matches!(plain(&raw), Cow::Owned(_)));
            assert_safe(&raw);
        }
    }

    #[test]
    fn assorted_hostile_lines_are_safe() {
        let lines = [
            "\x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\",
            "\x1b[6n\x1b[c\x1b[>c",
            "\x1bP+q544e\x1b\\",
            "\x1b^pm\x07",
            "\x1bX sos \u{9c}",
            "\x1b]0;\x1b\x1b\\",
            "\u{9b}\u{9b}\u{9b}",
            "\u{9d}\x1b\\",
            "\x1b[\u{202e}m",
            "\x1b]0;\u{202e}\x08\t\x07",
            "\x1b \x1b",
        ];
        for raw in lines {
            assert_safe(raw);
        }
    }

    #[test]
    fn json_object_recognises_only_objects() {
        assert!(json_object(r#"  {"a":1}  "#).is_some());
        assert!(json_object(r#"{"a":1"#).is_none());
        assert!(json_object("[1,2]").is_none());
        assert!(json_object("{not json}").is_none());
        assert!(json_object("plain text").is_none());
        assert!(json_object("").is_none());
    }

    #[test]
    fn json_level_normalises() {
        let level = |s: &str| json_object(s).as_ref().and_then(json_level);
        assert_eq!(level(r#"{"level":"INFO"}"#), Some("info"));
        assert_eq!(level(r#"{"lvl":"warning"}"#), Some("warn"));
        assert_eq!(level(r#"{"Severity":"CRITICAL"}"#), Some("error"));
        assert_eq!(level(r#"{"log.level":"trace"}"#), Some("debug"));
        assert_eq!(level(r#"{"log":{"level":"err"}}"#), Some("error"));
        assert_eq!(level(r#"{"level":"panic"}"#), Some("error"));
        assert_eq!(level(r#"{"level":"fatal"}"#), Some("error"));
        assert_eq!(level(r#"{"level":50}"#), Some("error"));
        assert_eq!(level(r#"{"level":6}"#), Some("info"));
        // The first recognised key wins.
        assert_eq!(
            level(r#"{"severity":"debug","level":"warn"}"#),
            Some("warn")
        );
        assert_eq!(level(r#"{"level":"chatty","lvl":"info"}"#), Some("info"));
        assert_eq!(level(r#"{"level":"chatty"}"#), None);
        assert_eq!(level(r#"{"msg":"x"}"#), None);
    }

    #[test]
    fn json_columns_fields_then_rest() {
        let obj = json_object(
            r#"{"level":"error","msg":"upstream timeout","upstream":"payments:443","retry":1}"#,
        )
        .expect("object");
        let fields = ["level".to_owned(), "msg".to_owned()];
        // The remaining keys are alphabetical: serde_json here lacks `preserve_order`.
        assert_eq!(
            json_columns(&obj, &fields),
            (
                vec!["error".to_owned(), "upstream timeout".to_owned()],
                "retry=1 upstream=payments:443".to_owned()
            )
        );

        let obj = json_object(
            r#"{"msg":"\u001b]0;pwned\u0007","n":null,"o":{"a":[1,"b"]},"s":"a b","e":"","q":"x=\"y\"","bidi":"\u202e","c":"a\u001b[2J\\"}"#,
        )
        .expect("object");
        let fields = ["msg".to_owned(), "missing".to_owned(), "o".to_owned()];
        let (cells, rest) = json_columns(&obj, &fields);
        assert_eq!(cells, vec![r"\e]0;pwned\a", "-", r#"{"a":[1,"b"]}"#]);
        assert_eq!(
            rest,
            r#"bidi=\u{202e} c=a\e[2J\ e="" n=null q="x=\"y\"" s="a b""#
        );
        let obj = json_object(r#"{"m":"a \u001b[2J\\"}"#).expect("object");
        assert_eq!(json_columns(&obj, &[]).1, r#"m="a \e[2J\\""#);
    }

    #[test]
    fn json_pretty_indents_and_escapes() {
        let obj = json_object(r#"{"a":{"b":[1,2]},"c":"\u202e\u009b2J"}"#).expect("object");
        assert_eq!(
            json_pretty(&obj),
            vec![
                "{",
                r#"  "a": {"#,
                r#"    "b": ["#,
                "      1,",
                "      2",
                "    ]",
                "  },",
                r#"  "c": "\u{202e}\u{9b}2J""#,
                "}",
            ]
        );
    }

    #[test]
    fn highlight_splits_within_and_across_spans() {
        let red = Style::new().fg(Color::Red);
        let hit = Style::new().bg(Color::Yellow);
        let s = spans(
            "an \x1b[31merror\x1b[0m here, error",
            Style::default(),
            ESC_STYLE,
        );
        let re = Regex::new("err|n e|e, e").expect("regex");
        let h = highlight(s, &re, hit);
        assert_eq!(text_of(&h), "an error here, error");
        assert_eq!(
            h,
            vec![
                Span::raw("a"),
                Span::styled("n ", hit),
                Span::styled("e", red.patch(hit)),
                Span::styled("rror", red),
                Span::raw(" her"),
                Span::styled("e, e", hit),
                Span::raw("rror"),
            ]
        );

        // One match spanning three spans.
        let s = vec![Span::raw("ab"), Span::styled("c", red), Span::raw("de")];
        let h = highlight(s, &Regex::new("bcd").expect("regex"), hit);
        assert_eq!(
            h,
            vec![
                Span::raw("a"),
                Span::styled("b", hit),
                Span::styled("c", red.patch(hit)),
                Span::styled("d", hit),
                Span::raw("e"),
            ]
        );

        // No match, empty matches, no spans: unchanged.
        let s = vec![Span::raw("abc")];
        assert_eq!(
            highlight(s.clone(), &Regex::new("z").expect("regex"), hit),
            s
        );
        assert_eq!(
            highlight(s.clone(), &Regex::new("z*").expect("regex"), hit),
            s
        );
        assert!(highlight(Vec::new(), &Regex::new("a").expect("regex"), hit).is_empty());
        // Whole span, multibyte.
        let h = highlight(
            vec![Span::raw("日本")],
            &Regex::new("日本").expect("regex"),
            hit,
        );
        assert_eq!(h, vec![Span::styled("日本", hit)]);
    }
}
