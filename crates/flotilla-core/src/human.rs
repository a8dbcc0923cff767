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
}
