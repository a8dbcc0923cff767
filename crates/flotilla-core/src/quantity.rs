//! Resource quantities ("250m", "64Mi", "1e3"): the one parser flotilla has. Enough to add
//! requests up and print the sums the way `resource.Quantity.String()` does (so a node's
//! allocated resources read as kubectl's), to read usage as millicores and bytes, and to check
//! what a user typed before it is sent.

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
enum Format {
    #[default]
    DecimalSi,
    BinarySi,
    DecimalExponent,
}

/// A quantity in billionths (kubectl's finest scale), with the format it was written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Quantity {
    nano: i128,
    format: Format,
}

const NANO: i128 = 1_000_000_000;

impl Quantity {
    pub fn parse(s: &str) -> Option<Quantity> {
        let s = s.trim();
        let end = s
            .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '+' || c == '-'))
            .unwrap_or(s.len());
        let (num, suffix) = s.split_at(end);
        let (neg, num) = match num.strip_prefix('-') {
            Some(n) => (true, n),
            None => (false, num.strip_prefix('+').unwrap_or(num)),
        };
        let (whole, frac) = num.split_once('.').unwrap_or((num, ""));
        if whole.is_empty() && frac.is_empty() {
            return None;
        }
        let mut value: i128 = if whole.is_empty() {
            0
        } else {
            whole.parse().ok()?
        };
        value = value.checked_mul(NANO)?;
        let frac: String = frac.chars().take(9).collect();
        if !frac.is_empty() {
            let digits: i128 = frac.parse().ok()?;
            value += digits * 10i128.pow(9 - frac.len() as u32);
        }
        let (format, mul, div) = match suffix {
            "" => (Format::DecimalSi, 1, 1),
            "n" => (Format::DecimalSi, 1, NANO),
            "u" => (Format::DecimalSi, 1, 1_000_000),
            "m" => (Format::DecimalSi, 1, 1000),
            "k" => (Format::DecimalSi, 1000, 1),
            "M" => (Format::DecimalSi, 10i128.pow(6), 1),
            "G" => (Format::DecimalSi, 10i128.pow(9), 1),
            "T" => (Format::DecimalSi, 10i128.pow(12), 1),
            "P" => (Format::DecimalSi, 10i128.pow(15), 1),
            "E" => (Format::DecimalSi, 10i128.pow(18), 1),
            "Ki" => (Format::BinarySi, 1 << 10, 1),
            "Mi" => (Format::BinarySi, 1 << 20, 1),
            "Gi" => (Format::BinarySi, 1 << 30, 1),
            "Ti" => (Format::BinarySi, 1 << 40, 1),
            "Pi" => (Format::BinarySi, 1 << 50, 1),
            "Ei" => (Format::BinarySi, 1 << 60, 1),
            e => {
                let exp: i32 = e.strip_prefix(['e', 'E'])?.parse().ok()?;
                let (mul, div) = if exp >= 0 {
                    (10i128.checked_pow(exp as u32)?, 1)
                } else {
                    (1, 10i128.checked_pow(exp.unsigned_abs())?)
                };
                (Format::DecimalExponent, mul, div)
            }
        };
        let nano = value.checked_mul(mul)? / div;
        Some(Quantity {
            nano: if neg { -nano } else { nano },
            format,
        })
    }

    pub fn max(self, other: Quantity) -> Quantity {
        if other.nano > self.nano { other } else { self }
    }

    pub fn is_zero(&self) -> bool {
        self.nano == 0
    }

    /// Thousandths, rounded up (`MilliValue`).
    pub fn milli(&self) -> i128 {
        div_ceil(self.nano, 1_000_000)
    }

    /// Whole units, rounded up (`Value`).
    pub fn value(&self) -> i128 {
        div_ceil(self.nano, NANO)
    }

    pub fn is_negative(&self) -> bool {
        self.nano < 0
    }
}

fn div_ceil(a: i128, b: i128) -> i128 {
    let q = a / b;
    if a % b != 0 && a > 0 { q + 1 } else { q }
}

/// The sum keeps the first operand's format, as `Quantity.Add` does.
impl std::ops::Add for Quantity {
    type Output = Quantity;

    fn add(self, other: Quantity) -> Quantity {
        if self.nano == 0 && self == Quantity::default() {
            return other;
        }
        Quantity {
            nano: self.nano.saturating_add(other.nano),
            format: self.format,
        }
    }
}

impl std::fmt::Display for Quantity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.nano;
        if n == 0 {
            return f.write_str("0");
        }
        let integral = n % NANO == 0;
        if self.format == Format::BinarySi && integral && n.abs() >= 1024 * NANO {
            let mut v = n / NANO;
            let mut i = 0;
            while i < 6 && v % 1024 == 0 {
                v /= 1024;
                i += 1;
            }
            let suffix = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"][i];
            return write!(f, "{v}{suffix}");
        }
        // The largest power of 1000 that keeps the mantissa whole.
        let mut exp = -9i32;
        let mut v = n;
        while exp < 18 && v % 1000 == 0 {
            v /= 1000;
            exp += 3;
        }
        if self.format == Format::DecimalExponent {
            return if exp == 0 {
                write!(f, "{v}")
            } else {
                write!(f, "{v}e{exp}")
            };
        }
        let suffix = match exp {
            -9 => "n",
            -6 => "u",
            -3 => "m",
            0 => "",
            3 => "k",
            6 => "M",
            9 => "G",
            12 => "T",
            15 => "P",
            _ => "E",
        };
        write!(f, "{v}{suffix}")
    }
}

/// `part` as a whole percentage of `whole` (truncated, as kubectl's `int64(fraction)`), 0
/// when there is nothing to divide by.
pub fn percent(part: i128, whole: i128) -> i128 {
    if whole == 0 {
        return 0;
    }
    ((part as f64 / whole as f64) * 100.0) as i128
}

/// `16`, `3800m` → millicores (`milli`); `64Gi`, `16342364Ki`, `8G`, `1e9` → bytes.
pub fn amount(s: &str, milli: bool) -> Option<i64> {
    let q = Quantity::parse(s)?;
    i64::try_from(if milli { q.milli() } else { q.value() }).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ops::Add;

    fn q(s: &str) -> Quantity {
        Quantity::parse(s).expect(s)
    }

    #[test]
    fn prints_like_resource_quantity() {
        for (input, want) in [
            ("100m", "100m"),
            ("1000m", "1"),
            ("1.5", "1500m"),
            ("2", "2"),
            ("64Mi", "64Mi"),
            ("1024Mi", "1Gi"),
            ("128974848", "128974848"),
            ("129e6", "129e6"),
            ("0", "0"),
            ("512", "512"),
            ("3000", "3k"),
        ] {
            assert_eq!(q(input).to_string(), want, "{input}");
        }
        assert!(Quantity::parse("abc").is_none());
        assert!(Quantity::parse("1Xi").is_none());
    }

    #[test]
    fn sums_keep_the_first_format() {
        assert_eq!(q("64Mi").add(q("64Mi")).to_string(), "128Mi");
        assert_eq!(q("100m").add(q("1")).to_string(), "1100m");
        assert_eq!(Quantity::default().add(q("32Mi")).to_string(), "32Mi");
        assert_eq!(q("64Mi").add(q("100M")).to_string(), "167108864");
        assert_eq!(q("250m").milli(), 250);
        assert_eq!(q("1Gi").value(), 1 << 30);
        assert_eq!(percent(q("500m").milli(), q("2").milli()), 25);
        assert_eq!(percent(1, 0), 0);
    }

    #[test]
    fn quantities() {
        assert_eq!(amount("16", true), Some(16000));
        assert_eq!(amount("3800m", true), Some(3800));
        assert_eq!(amount("64Gi", false), Some(64 << 30));
        assert_eq!(amount("16342364Ki", false), Some(16342364 * 1024));
        assert_eq!(amount("1e3", false), Some(1000));
        assert_eq!(amount("5000000n", true), Some(5));
        assert_eq!(amount("lots", false), None);
    }
}
