//! kubectl's describe output is written through Go's `text/tabwriter` (min width 0, padding
//! 2): `\t` separates cells and consecutive lines that share a column are aligned together.
//! Writing the same way, with the same tabs, gives the same layout for free.
//!
//! Also the small readers and printers every describer shares.

use serde_json::{Map, Value};

/// Text as kubectl's `PrefixWriter` writes it: `level` indents by two spaces, and a write may
/// end mid-line (the next write continues it).
#[derive(Default)]
pub struct Writer {
    pending: String,
    done: Vec<String>,
}

impl Writer {
    pub fn new() -> Self {
        Writer::default()
    }

    pub fn write(&mut self, level: usize, text: &str) {
        for _ in 0..level {
            self.pending.push_str("  ");
        }
        self.pending.push_str(text);
    }

    /// `"Key:\tvalue\n"` at `level`.
    pub fn kv(&mut self, level: usize, key: &str, value: impl std::fmt::Display) {
        self.write(level, &format!("{key}:\t{value}\n"));
    }

    /// A line of its own (a section title, or a blank line).
    pub fn line(&mut self, level: usize, text: &str) {
        self.write(level, &format!("{text}\n"));
    }

    /// Ends the aligned block: what follows is aligned on its own (kubectl flushes before the
    /// events table).
    pub fn flush(&mut self) {
        let text = std::mem::take(&mut self.pending);
        let text = text.strip_suffix('\n').unwrap_or(&text);
        if text.is_empty() {
            return;
        }
        let cells: Vec<Vec<String>> = text
            .split('\n')
            .map(|l| l.split('\t').map(crate::text::clean).collect())
            .collect();
        let mut widths = Vec::new();
        align(&cells, 0, cells.len(), &mut widths, &mut self.done);
    }

    pub fn finish(mut self) -> Vec<String> {
        self.flush();
        self.done
    }
}

fn width(s: &str) -> usize {
    s.chars().count()
}

/// Go's tabwriter `format`: a column block is a run of lines that all have a cell (text
/// followed by a tab) in the column; each block gets its own width.
fn align(
    lines: &[Vec<String>],
    mut line0: usize,
    line1: usize,
    widths: &mut Vec<usize>,
    out: &mut Vec<String>,
) {
    let column = widths.len();
    let mut this = line0;
    while this < line1 {
        if column + 1 >= lines[this].len() {
            this += 1;
            continue;
        }
        emit(lines, line0, this, widths, out);
        line0 = this;
        let mut w = 0;
        while this < line1 && column + 1 < lines[this].len() {
            w = w.max(width(&lines[this][column]) + 2);
            this += 1;
        }
        widths.push(w);
        align(lines, line0, this, widths, out);
        widths.pop();
        line0 = this;
    }
    emit(lines, line0, line1, widths, out);
}

fn emit(lines: &[Vec<String>], from: usize, to: usize, widths: &[usize], out: &mut Vec<String>) {
    for line in &lines[from..to] {
        let mut s = String::new();
        for (j, cell) in line.iter().enumerate() {
            s.push_str(cell);
            if let Some(w) = widths.get(j) {
                s.extend(std::iter::repeat_n(' ', w.saturating_sub(width(cell))));
            }
        }
        out.push(s.trim_end().to_string());
    }
}

// Readers: cluster data is whatever the server sent, so every read has a fallback.

pub fn s<'a>(v: &'a Value, pointer: &str) -> &'a str {
    v.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}

pub fn or_none(s: &str) -> &str {
    if s.is_empty() { "<none>" } else { s }
}

pub fn int(v: &Value, pointer: &str) -> i64 {
    v.pointer(pointer).and_then(Value::as_i64).unwrap_or(0)
}

pub fn arr<'a>(v: &'a Value, pointer: &str) -> &'a [Value] {
    v.pointer(pointer)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

pub fn obj<'a>(v: &'a Value, pointer: &str) -> Option<&'a Map<String, Value>> {
    v.pointer(pointer).and_then(Value::as_object)
}

/// A scalar as Go's `%v` prints it (strings bare, numbers and booleans as written).
pub fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// An optional int-or-string (`maxSurge`, a port) as kubectl prints it.
pub fn int_or_str(v: &Value, pointer: &str) -> String {
    v.pointer(pointer).map(scalar).unwrap_or_default()
}

/// Go's `%t` of a `*bool` printed through `printBool`: "True"/"False".
pub fn bool_word(b: bool) -> &'static str {
    if b { "True" } else { "False" }
}

/// An API time in RFC 1123 with a numeric zone, in the local zone, as kubectl prints it.
pub fn time(s: &str) -> String {
    let Ok(t) = s.parse::<jiff::Timestamp>() else {
        return s.to_string();
    };
    t.to_zoned(jiff::tz::TimeZone::system())
        .strftime("%a, %d %b %Y %H:%M:%S %z")
        .to_string()
}

/// `Labels:` (or any string map) one `k=v` a line, sorted, `<none>` when empty.
pub fn labels(w: &mut Writer, indent: &str, title: &str, m: Option<&Map<String, Value>>) {
    w.write(0, &format!("{indent}{title}:\t"));
    let mut keys: Vec<&String> = m.map(|m| m.keys().collect()).unwrap_or_default();
    if keys.is_empty() {
        return w.line(0, "<none>");
    }
    keys.sort();
    for (i, k) in keys.iter().enumerate() {
        if i > 0 {
            w.write(0, &format!("{indent}\t"));
        }
        let v = m.and_then(|m| m.get(*k)).map(scalar).unwrap_or_default();
        w.line(0, &format!("{k}={v}"));
    }
}

const MAX_ANNOTATION: usize = 140;

/// `Annotations:` as kubectl prints them: sorted, the last-applied configuration left out (it
/// is the whole object again, Secret values included), long values folded and shortened.
pub fn annotations(w: &mut Writer, title: &str, m: Option<&Map<String, Value>>) {
    w.write(0, &format!("{title}:\t"));
    let mut keys: Vec<&String> = m
        .map(|m| {
            m.keys()
                .filter(|k| *k != "kubectl.kubernetes.io/last-applied-configuration")
                .collect()
        })
        .unwrap_or_default();
    if keys.is_empty() {
        return w.line(0, "<none>");
    }
    keys.sort();
    for (i, k) in keys.iter().enumerate() {
        if i > 0 {
            w.write(0, "\t");
        }
        let v = m.and_then(|m| m.get(*k)).map(scalar).unwrap_or_default();
        let v = v.strip_suffix('\n').unwrap_or(&v);
        if v.len() + k.len() + 2 > MAX_ANNOTATION || v.contains('\n') {
            w.line(0, &format!("{k}:"));
            for l in v.split('\n') {
                w.line(0, &format!("\t  {}", shorten(l, MAX_ANNOTATION - 2)));
            }
        } else {
            w.line(0, &format!("{k}: {v}"));
        }
    }
}

fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() > max {
        format!("{}...", s.chars().take(max).collect::<String>())
    } else {
        s.to_string()
    }
}

/// `Kind/name` of the controlling owner, as `Controlled By:` shows it.
pub fn controller(o: &Value) -> Option<String> {
    arr(o, "/metadata/ownerReferences")
        .iter()
        .find(|r| r.get("controller").and_then(Value::as_bool) == Some(true))
        .map(|r| format!("{}/{}", s(r, "/kind"), s(r, "/name")))
}

/// A label selector as `metav1.FormatLabelSelector` prints it.
pub fn label_selector(sel: Option<&Value>) -> String {
    let Some(sel) = sel.filter(|v| v.is_object()) else {
        return "<none>".into();
    };
    // Requirements sorted by key, as `labels.Selector.String()` prints them.
    let mut parts: Vec<(String, String)> = obj(sel, "/matchLabels")
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), format!("{k}={}", scalar(v))))
                .collect()
        })
        .unwrap_or_default();
    for e in arr(sel, "/matchExpressions") {
        let key = s(e, "/key");
        let mut values: Vec<String> = arr(e, "/values").iter().map(scalar).collect();
        values.sort();
        let text = match s(e, "/operator") {
            "In" => format!("{key} in ({})", values.join(",")),
            "NotIn" => format!("{key} notin ({})", values.join(",")),
            "Exists" => key.to_string(),
            "DoesNotExist" => format!("!{key}"),
            op => format!("{key} {op} ({})", values.join(",")),
        };
        parts.push((key.to_string(), text));
    }
    parts.sort();
    let parts: Vec<String> = parts.into_iter().map(|(_, t)| t).collect();
    if parts.is_empty() {
        return "<none>".into();
    }
    parts.join(",")
}

/// A string map as `labels.FormatLabels` prints it (`k=v,k2=v2`, `<none>` when empty).
pub fn format_labels(m: Option<&Map<String, Value>>) -> String {
    let mut kv: Vec<String> = m
        .map(|m| {
            m.iter()
                .map(|(k, v)| format!("{k}={}", scalar(v)))
                .collect()
        })
        .unwrap_or_default();
    if kv.is_empty() {
        return "<none>".into();
    }
    kv.sort();
    kv.join(",")
}

/// `Conditions:` as a table of the given columns (JSON field names) under the given titles.
pub fn conditions(w: &mut Writer, o: &Value, indent_titles: bool, cols: &[(&str, &str)]) {
    let conds = arr(o, "/status/conditions");
    if conds.is_empty() {
        return;
    }
    w.line(0, "Conditions:");
    let titles: Vec<&str> = cols.iter().map(|c| c.0).collect();
    let rules: Vec<String> = titles.iter().map(|t| "-".repeat(t.len())).collect();
    w.line(1, &titles.join("\t"));
    if indent_titles {
        w.line(1, &rules.join("\t"));
    }
    for c in conds {
        let cells: Vec<String> = cols
            .iter()
            .map(|(_, field)| {
                let v = c.get(*field).map(scalar).unwrap_or_default();
                if field.ends_with("Time") && !v.is_empty() {
                    time(&v)
                } else {
                    v
                }
            })
            .collect();
        w.line(1, &cells.join(" \t"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn aligns_like_go_tabwriter() {
        let mut w = Writer::new();
        w.kv(0, "Name", "crasher");
        w.kv(0, "Namespace", "shop");
        w.line(0, "Containers:");
        w.line(1, "app:");
        w.kv(2, "Image", "busybox");
        w.kv(2, "Restart Count", 7);
        w.write(0, "x\x1b[31m\tred\n");
        let lines = w.finish();
        assert_eq!(
            lines,
            vec![
                "Name:       crasher",
                "Namespace:  shop",
                "Containers:",
                "  app:",
                "    Image:          busybox",
                "    Restart Count:  7",
                "x                   red",
            ]
        );
    }

    #[test]
    fn flush_ends_a_block_and_labels_fold() {
        let mut w = Writer::new();
        let m = json!({"b": "2", "a": "1"});
        labels(&mut w, "", "Labels", m.as_object());
        w.flush();
        w.kv(0, "X", "y");
        assert_eq!(
            w.finish(),
            vec!["Labels:  a=1", "         b=2", "X:  y"],
            "each block aligned on its own"
        );
    }

    #[test]
    fn selectors_and_controllers() {
        let sel = json!({"matchLabels":{"app":"web"},"matchExpressions":[{"key":"tier","operator":"In","values":["a","b"]}]});
        assert_eq!(label_selector(Some(&sel)), "app=web,tier in (a,b)");
        assert_eq!(label_selector(None), "<none>");
        let o = json!({"metadata":{"ownerReferences":[{"kind":"X","name":"n"},{"kind":"ReplicaSet","name":"web-1","controller":true}]}});
        assert_eq!(controller(&o).as_deref(), Some("ReplicaSet/web-1"));
    }

    #[test]
    fn long_annotations_fold() {
        let mut w = Writer::new();
        let long = "x".repeat(200);
        let m = json!({"k": long, "kubectl.kubernetes.io/last-applied-configuration": "{}"});
        annotations(&mut w, "Annotations", m.as_object());
        let lines = w.finish();
        assert_eq!(lines[0], "Annotations:  k:");
        assert!(lines[1].ends_with("..."), "{lines:?}");
        assert_eq!(lines.len(), 2);
    }
}
