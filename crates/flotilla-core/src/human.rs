//! Times as people and kubectl write them: ages as `kubectl get` prints them ("45s",
//! "3m12s", "5h", "2y45d"), such strings back into seconds (events' LAST SEEN), API
//! timestamps, and how long rows have been stale.

/// kubectl's human duration ("45s", "3m12s", "5h", "12d", "2y45d").
pub fn age(secs: i64) -> String {
    if secs < -1 {
        return "<invalid>".into();
    }
    let s = secs.max(0);
    let (m, h, d) = (s / 60, s / 3600, s / 86400);
    if s < 120 {
        format!("{s}s")
    } else if m < 10 {
        if s % 60 == 0 {
            format!("{m}m")
        } else {
            format!("{m}m{}s", s % 60)
        }
    } else if h < 3 {
        format!("{m}m")
    } else if h < 8 {
        if m % 60 == 0 {
            format!("{h}h")
        } else {
            format!("{h}h{}m", m % 60)
        }
    } else if h < 48 {
        format!("{h}h")
    } else if h < 24 * 8 {
        if h % 24 == 0 {
            format!("{d}d")
        } else {
            format!("{d}d{}h", h % 24)
        }
    } else if h < 24 * 365 * 2 {
        format!("{d}d")
    } else if h < 24 * 365 * 8 {
        let y = d / 365;
        if d % 365 == 0 {
            format!("{y}y")
        } else {
            format!("{y}y{}d", d % 365)
        }
    } else {
        format!("{}y", d / 365)
    }
}

/// kubectl's human durations back into seconds: "45s", "3m12s", "5h", "2y45d".
pub fn parse_duration(s: &str) -> Option<i64> {
    let (mut total, mut num, mut any) = (0i64, 0i64, false);
    let mut digits = false;
    for c in s.trim().chars() {
        if let Some(d) = c.to_digit(10) {
            num = num.checked_mul(10)?.checked_add(i64::from(d))?;
            digits = true;
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86400,
            'y' => 365 * 86400,
            _ => return None,
        };
        if !digits {
            return None;
        }
        total = total.checked_add(num.checked_mul(unit)?)?;
        (num, digits, any) = (0, false, true);
    }
    (any && !digits).then_some(total)
}

/// An RFC 3339 time as the API writes it, in seconds since the epoch.
pub fn parse_time(s: &str) -> Option<i64> {
    s.parse::<jiff::Timestamp>().ok().map(|t| t.as_second())
}

/// "stale 2m": how long rows have not been known to be current.
pub fn stale_for(since: std::time::Instant) -> String {
    format!("stale {}", age(since.elapsed().as_secs() as i64))
}

/// "as of 12s": how old the rows of a cluster known through an index are.
pub fn as_of(listed: std::time::Instant) -> String {
    format!("as of {}", age(listed.elapsed().as_secs() as i64))
}

/// 1536 → "1.5 KiB".
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

/// CPU as `kubectl top` writes it: `3800m`.
pub fn millicores(milli: i64) -> String {
    format!("{milli}m")
}

/// CPU as a capacity reads: whole cores (`4`), else one decimal (`3.8`); `-` for none.
pub fn cores(milli: i64) -> String {
    if milli <= 0 {
        "-".into()
    } else if milli % 1000 == 0 {
        (milli / 1000).to_string()
    } else {
        format!("{:.1}", milli as f64 / 1000.0)
    }
}

/// Memory as `kubectl top` writes it: whole mebibytes, `512Mi`.
pub fn mebibytes(bytes: i64) -> String {
    format!("{}Mi", bytes >> 20)
}

/// Names (cluster contexts) shortened to at most `max` columns each so they stay told apart:
/// what every name shares at the start, then at the end, goes first (`…-eu-west-1`), and only
/// then the middle of a name. Names that fit already are left as they are.
pub fn apart(names: &[&str], max: usize) -> Vec<String> {
    let chars: Vec<Vec<char>> = names.iter().map(|n| n.chars().collect()).collect();
    if max < 2 || chars.iter().all(|c| c.len() <= max) {
        return names.iter().map(|n| n.to_string()).collect();
    }
    let shared = |ends: &dyn Fn(&Vec<char>, usize) -> Option<char>| -> usize {
        let shortest = chars.iter().map(Vec::len).min().unwrap_or(0);
        (0..shortest)
            .take_while(|&i| {
                let first = ends(&chars[0], i);
                chars.iter().all(|c| ends(c, i) == first)
            })
            .count()
    };
    // Only with more than one name is anything shared; a single name keeps its start.
    let (mut head, mut tail) = (0, 0);
    if chars.len() > 1 {
        head = shared(&|c, i| c.get(i).copied());
        tail = shared(&|c, i| c.len().checked_sub(i + 1).and_then(|j| c.get(j)).copied());
    }
    let ell = '…';
    chars
        .iter()
        .map(|c| {
            if c.len() <= max {
                return c.iter().collect();
            }
            let head = head.min(c.len());
            let tail = tail.min(c.len() - head);
            let start = &c[..c.len() - tail];
            let end = &c[head..];
            let middle = &c[head..c.len() - tail];
            // With a shared start cut, the word the cut falls in stays when it fits
            // (`…shop-07`, not `…07`).
            let word = word_start(c, head);
            let with_word = &c[word..];
            // The least taken off first: the shared end, then the shared start, then both.
            let candidates: [(bool, Vec<char>); 4] = [
                (tail > 0, start.iter().copied().chain([ell]).collect()),
                (
                    head > 0,
                    [ell].into_iter().chain(with_word.iter().copied()).collect(),
                ),
                (
                    head > 0,
                    [ell].into_iter().chain(end.iter().copied()).collect(),
                ),
                (
                    head > 0 && tail > 0,
                    [ell]
                        .into_iter()
                        .chain(middle.iter().copied())
                        .chain([ell])
                        .collect(),
                ),
            ];
            let best = candidates
                .iter()
                .filter(|(applies, _)| *applies)
                .map(|(_, cand)| cand)
                .find(|cand| cand.len() <= max);
            if let Some(best) = best {
                return best.iter().collect();
            }
            // Still too long: both ends of what differs, without its middle.
            let differs: &[char] = if middle.is_empty() { c } else { middle };
            let keep = max - 1;
            let front = keep / 2;
            let back = (keep - front).min(differs.len());
            differs[..front.min(differs.len())]
                .iter()
                .chain([&ell])
                .chain(&differs[differs.len() - back..])
                .collect()
        })
        .collect()
}

/// Where the word that position `at` of `name` falls in starts (after `-`, `_`, `/`, `:`, `.`
/// or `@`); the separator right before `at` counts as part of the word.
fn word_start(name: &[char], at: usize) -> usize {
    let separator = |c: char| matches!(c, '-' | '_' | '/' | ':' | '.' | '@');
    let mut i = at.min(name.len());
    if i > 0 && separator(name[i - 1]) {
        i -= 1;
    }
    while i > 0 && !separator(name[i - 1]) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_like_kubectl() {
        assert_eq!(age(5), "5s");
        assert_eq!(age(119), "119s");
        assert_eq!(age(192), "3m12s");
        assert_eq!(age(600), "10m");
        assert_eq!(age(5 * 3600 + 60 * 7), "5h7m");
        assert_eq!(age(30 * 3600), "30h");
        assert_eq!(age(3 * 86400 + 3600), "3d1h");
        assert_eq!(age(40 * 86400), "40d");
    }
    #[test]
    fn durations_parse_like_kubectl_prints_them() {
        assert_eq!(parse_duration("45s"), Some(45));
        assert_eq!(parse_duration("3m12s"), Some(192));
        assert_eq!(parse_duration("2y45d"), Some(2 * 365 * 86400 + 45 * 86400));
        assert_eq!(parse_duration("<unknown>"), None);
        assert_eq!(parse_duration("12"), None);
        assert_eq!(parse_duration(""), None);
    }

    #[test]
    fn names_that_share_a_start_or_an_end_are_told_apart() {
        let names = [
            "gke_acme_europe-west1_prod-payments",
            "gke_acme_europe-west1_prod-search",
            "gke_acme_europe-west1_staging-payments",
        ];
        let short = apart(&names, 16);
        assert_eq!(
            short,
            ["…prod-payments", "…prod-search", "staging…payments"]
        );
        let fleet: Vec<String> = (0..50).map(|i| format!("dev-{i:02}-eu-west-1")).collect();
        let refs: Vec<&str> = fleet.iter().map(String::as_str).collect();
        let short = apart(&refs, 8);
        assert_eq!(short[7], "dev-07…");
        assert_eq!(
            short.iter().collect::<std::collections::HashSet<_>>().len(),
            50,
            "{short:?}"
        );
        assert!(short.iter().all(|s| s.chars().count() <= 8), "{short:?}");
        // Names that fit are left alone; one long name keeps both its ends.
        assert_eq!(apart(&["dev", "prod"], 8), ["dev", "prod"]);
        assert_eq!(apart(&["a-very-long-context-name"], 9), ["a-ve…name"]);
    }
}
