//! Text from a cluster is hostile until proven otherwise: a pod can put escape sequences in its
//! name, an event message or a log line; so can an archive, a webhook's answer or a file.
//! Everything remote goes through `sanitize` before it is stored for drawing, and the CLI
//! sanitizes every line it prints (`clean_text`), so no remote byte can drive the operator's
//! terminal, and no invisible character (bidi overrides, zero-width spaces) can make one name
//! look like another.

use std::borrow::Cow;

/// Removes terminal control sequences (CSI, OSC, DCS, single ESC escapes), other control
/// characters and invisible formatting characters. Tabs become a space; newlines are dropped
/// (callers split lines first).
pub fn sanitize(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_control) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => match chars.next() {
                // CSI: parameters and intermediates until a final byte in 0x40..=0x7e.
                Some('[') => {
                    for c in chars.by_ref() {
                        if ('\u{40}'..='\u{7e}').contains(&c) {
                            break;
                        }
                    }
                }
                // OSC, DCS, SOS, PM, APC: until BEL or ST (ESC \).
                Some(']' | 'P' | 'X' | '^' | '_') => {
                    while let Some(c) = chars.next() {
                        if c == '\u{7}' {
                            break;
                        }
                        if c == '\u{1b}' && chars.peek() == Some(&'\\') {
                            chars.next();
                            break;
                        }
                    }
                }
                _ => {}
            },
            '\t' => out.push(' '),
            c if is_control(c) => {}
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// `sanitize` into an owned String.
pub fn clean(s: &str) -> String {
    sanitize(s).into_owned()
}

fn is_control(c: char) -> bool {
    c.is_control() || is_invisible(c)
}

/// Bidirectional overrides and isolates (the "Trojan Source" characters), zero-width spaces and
/// joiners, word joiners, invisible operators, the byte-order mark and the soft hyphen.
/// (`logs::render`'s fast scan looks for their UTF-8 lead bytes: keep the two in step.)
pub fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{061C}' | '\u{180E}'
        | '\u{200B}'..='\u{200F}'
        | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{2064}'
        | '\u{2066}'..='\u{2069}'
        | '\u{FEFF}')
}

/// Text for a one-line message (a user error): sanitized, each run of
/// whitespace and line breaks made one space, and cut at 300 characters.
pub fn one_line(s: &str) -> String {
    const MAX: usize = 300;
    let s = sanitize(&s.replace(['\n', '\r'], " ")).into_owned();
    let mut s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if let Some((cut, _)) = s.char_indices().nth(MAX) {
        s.truncate(cut);
        s.push('…');
    }
    s
}

/// The first line of a server's message, sanitized: the gist, for a warning or a plan's row.
pub fn first_line(s: &str) -> String {
    clean(s.lines().next().unwrap_or(""))
}

/// Splits remote multi-line text into sanitized lines.
pub fn clean_lines(s: &str) -> Vec<String> {
    s.lines().map(clean).collect()
}

/// Multi-line text for a terminal that prints it as it is (the CLI): every line sanitized,
/// the line breaks kept.
pub fn clean_text(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| c != '\n' && is_control(c)) {
        return Cow::Borrowed(s);
    }
    let lines: Vec<Cow<'_, str>> = s.split('\n').map(sanitize).collect();
    Cow::Owned(lines.join("\n"))
}

/// Whether `text` holds every word of a lowercase `filter` (in any order, any case): the
/// `/` filter of the fleet, triage and top lists.
pub fn has_words(filter: &str, text: &str) -> bool {
    let text = text.to_lowercase();
    filter.split_whitespace().all(|w| text.contains(w))
}

/// For query strings: everything but unreserved characters percent-encoded (selectors,
/// names, a continue token's base64 `+`, `/` and `=`).
pub fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_folds_breaks_strips_escapes_and_cuts() {
        assert_eq!(
            one_line("bad field:  {\n      when\r\n\x1b[31mred"),
            "bad field: { when red"
        );
        let long = one_line(&"x".repeat(1000));
        assert_eq!(long.chars().count(), 301);
        assert!(long.ends_with('…'));
    }

    #[test]
    fn strips_csi_osc_and_controls() {
        assert_eq!(sanitize("plain"), "plain");
        assert_eq!(sanitize("\u{1b}[31mred\u{1b}[0m"), "red");
        assert_eq!(sanitize("a\u{1b}]52;c;ZXZpbA==\u{7}b"), "ab");
        assert_eq!(sanitize("a\u{1b}]0;title\u{1b}\\b"), "ab");
        assert_eq!(sanitize("x\u{7}\u{8}y\tz\r"), "xy z");
        assert_eq!(sanitize("bell\u{9b}31m"), "bell31m");
    }

    #[test]
    fn clean_text_keeps_line_breaks_and_nothing_else() {
        assert!(matches!(clean_text("a\nb\n"), Cow::Borrowed("a\nb\n")));
        assert_eq!(
            clean_text("a\u{1b}]0;t\u{7}\r\n\u{9b}b\u{202E}\n\tc"),
            "a\nb\n c"
        );
    }

    #[test]
    fn strips_bidi_overrides_and_zero_width_characters() {
        // "admin" spelled backwards behind a right-to-left override, and a zero-width space.
        assert_eq!(sanitize("\u{202E}nimda\u{202C}"), "nimda");
        assert_eq!(sanitize("pr\u{200B}od"), "prod");
        assert_eq!(sanitize("\u{2067}x\u{2069}\u{FEFF}"), "x");
        assert_eq!(sanitize("ünïcödé ok"), "ünïcödé ok");
    }
}
