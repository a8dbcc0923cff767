//! The certificates of TLS Secrets: expired, expiring, or unreadable. A chain is as good as
//! the certificate in it that expires first. Only dates and subjects are read and shown,
//! never the certificate or the key.

use super::Ctx;
use crate::human::age;
use crate::inspect::object::{day, str_at};
use crate::inspect::out::{Out, Place};
use crate::inspect::snapshot::{Kind, TLS_CERT};
use base64::Engine;
use serde_json::Value;
use x509_parser::pem::Pem;

pub fn examine<'a>(cx: &Ctx<'a>, out: &mut Out<'a>) {
    let now = cx.snap.now;
    let soon = i64::from(cx.opts.cert_days) * 86_400;
    let tls = cx
        .snap
        .of(Kind::Secret)
        .iter()
        .filter(|s| str_at(s, "/type") == Some("kubernetes.io/tls"));
    for secret in tls {
        let at = Place::of(Kind::Secret, secret);
        let (mut expired, mut expiring, mut invalid) = (None, None, None);
        match first_to_expire(secret) {
            Err(why) => invalid = Some(why),
            Ok(c) if c.not_after <= now => {
                expired = Some(format!(
                    "{} expired on {} ({} ago)",
                    c.who,
                    day(c.not_after),
                    age(now - c.not_after)
                ));
            }
            Ok(c) if c.not_after - now <= soon => {
                expiring = Some(format!(
                    "{} expires on {} (in {})",
                    c.who,
                    day(c.not_after),
                    age(c.not_after - now)
                ));
            }
            Ok(_) => {}
        }
        out.record("tls-cert-expired", &at, expired);
        out.record("tls-cert-expiring", &at, expiring);
        out.record("tls-cert-invalid", &at, invalid);
    }
}

struct Expiry {
    /// Seconds since the epoch.
    not_after: i64,
    /// `certificate CN=shop.example`, or `certificate 2 of the chain (CN=R11)`.
    who: String,
}

fn first_to_expire(secret: &Value) -> Result<Expiry, String> {
    let data = secret
        .get("data")
        .and_then(|d| d.get(TLS_CERT))
        .and_then(Value::as_str)
        .ok_or_else(|| format!("no {TLS_CERT} in the Secret"))?;
    let pem = base64::engine::general_purpose::STANDARD
        .decode(data.trim())
        .map_err(|_| format!("{TLS_CERT} is not base64"))?;
    let mut first: Option<Expiry> = None;
    let mut n = 0;
    for block in Pem::iter_from_buffer(&pem) {
        let block = block.map_err(|e| format!("{TLS_CERT}: bad PEM block: {e}"))?;
        if block.label != "CERTIFICATE" {
            continue;
        }
        n += 1;
        let cert = block
            .parse_x509()
            .map_err(|e| format!("{TLS_CERT}: certificate {n} does not parse: {e}"))?;
        let not_after = cert.validity().not_after.timestamp();
        let cn = cert
            .subject()
            .iter_common_name()
            .next()
            .and_then(|a| a.as_str().ok())
            .unwrap_or("none");
        let who = if n == 1 {
            format!("certificate CN={cn}")
        } else {
            format!("certificate {n} of the chain (CN={cn})")
        };
        if first.as_ref().is_none_or(|f| not_after < f.not_after) {
            first = Some(Expiry { not_after, who });
        }
    }
    first.ok_or_else(|| format!("{TLS_CERT} holds no PEM certificate"))
}

#[cfg(test)]
mod tests {
    use super::super::testing::{examined, found, obj, snapshot};
    use crate::inspect::snapshot::{Kind, Snapshot};
    use base64::Engine;
    use serde_json::json;

    /// `openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes
    ///  -subj /CN=shop.example -days 90`: valid until 2027-03-03T08:26:09Z.
    const SHOP: &str = "-----BEGIN CERTIFICATE-----
MIIBgjCCASmgAwIBAgIUZ621N58IR0o671i5a+2hqq7rlYEwCgYIKoZIzj0EAwIw
FzEVMBMGA1UEAwwMc2hvcC5leGFtcGxlMB4XDTI2MTIwMzA4MjYwOVoXDTI3MDMw
MzA4MjYwOVowFzEVMBMGA1UEAwwMc2hvcC5leGFtcGxlMFkwEwYHKoZIzj0CAQYI
KoZIzj0DAQcDQgAEff+cJPyzBYCYY2cUKDHZ4naE0OeuwJg6OGFlla5Tfie/Qbxl
yxX69MI3qjPpBnQ/7HGYyONB5wkpJ/HhUHQA46NTMFEwHQYDVR0OBBYEFEe8HGwT
JjzZbYHWZs+WwaOxMvF4MB8GA1UdIwQYMBaAFEe8HGwTJjzZbYHWZs+WwaOxMvF4
MA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDRwAwRAIgRhKoq8sVx1A5lAUc
mrN7b6mTfiEmuRP/tidbwV3Hw0ECIAYWIR86yfgqCN3B+Fo8OWGZT2KtzzYlllwZ
Z6TWlr9G
-----END CERTIFICATE-----
";
    const SHOP_NOT_AFTER: i64 = 1_804_062_369;

    /// The same, `-subj "/CN=Shop CA" -days 20`: valid until 2026-12-23T08:26:15Z.
    const CA: &str = "-----BEGIN CERTIFICATE-----
MIIBeDCCAR+gAwIBAgIUWa5u1EMNo5WOVAxz/mNYErnYVc0wCgYIKoZIzj0EAwIw
EjEQMA4GA1UEAwwHU2hvcCBDQTAeFw0yNjEyMDMwODI2MTVaFw0yNjEyMjMwODI2
MTVaMBIxEDAOBgNVBAMMB1Nob3AgQ0EwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNC
AAR7s13P3Bk2+M0G2EAVnlmZE7DNCWnjwO4PZ+6VN0QBI374nrtsUcpaiso4Z1aR
uSUZ2Rpl+3DvtRfpEIfF6KoHo1MwUTAdBgNVHQ4EFgQUH3XB036E2j59i4D3+syw
7ouCjEcwHwYDVR0jBBgwFoAUH3XB036E2j59i4D3+syw7ouCjEcwDwYDVR0TAQH/
BAUwAwEB/zAKBggqhkjOPQQDAgNHADBEAiBNnJ0gTsGurj5K/X3qTFHvDYknSRG3
RJaFCdLzXVaDuQIgDnDcwwsiJh2VLZJkKWaD1bk7ZQS66cH+i1VOq6zf1vg=
-----END CERTIFICATE-----
";
    const CA_NOT_AFTER: i64 = 1_798_014_375;

    const DAY: i64 = 86_400;

    fn tls(name: &str, crt: &str) -> (Kind, serde_json::Value) {
        let data = base64::engine::general_purpose::STANDARD.encode(crt);
        let s = obj(
            "shop",
            name,
            json!({"type": "kubernetes.io/tls", "data": {"tls.crt": data, "tls.key": "a2V5"}}),
        );
        (Kind::Secret, s)
    }

    fn at(now: i64, objects: Vec<(Kind, serde_json::Value)>) -> Snapshot {
        let mut s = snapshot(objects);
        s.now = now;
        s
    }

    #[test]
    fn certificates_expiring_within_the_window_or_expired() {
        let shop = || vec![tls("shop-tls", SHOP)];
        let fine = at(SHOP_NOT_AFTER - 60 * DAY, shop());
        for check in ["tls-cert-expired", "tls-cert-expiring", "tls-cert-invalid"] {
            assert_eq!(found(&fine, check), Vec::<String>::new(), "{check}");
            assert_eq!(examined(&fine, check), 1, "{check}");
        }
        let soon = at(SHOP_NOT_AFTER - 10 * DAY, shop());
        assert_eq!(
            found(&soon, "tls-cert-expiring"),
            ["shop/Secret/shop-tls: certificate CN=shop.example expires on 2027-03-03 (in 10d)"]
        );
        assert_eq!(found(&soon, "tls-cert-expired"), Vec::<String>::new());
        let late = at(SHOP_NOT_AFTER + 3 * DAY, shop());
        assert_eq!(
            found(&late, "tls-cert-expired"),
            ["shop/Secret/shop-tls: certificate CN=shop.example expired on 2027-03-03 (3d ago)"]
        );
        assert_eq!(found(&late, "tls-cert-expiring"), Vec::<String>::new());
    }

    #[test]
    fn a_chain_expires_with_its_first_certificate() {
        let chain = at(
            CA_NOT_AFTER - 5 * DAY,
            vec![tls("chain", &format!("{SHOP}{CA}"))],
        );
        assert_eq!(
            found(&chain, "tls-cert-expiring"),
            [
                "shop/Secret/chain: certificate 2 of the chain (CN=Shop CA) expires on 2026-12-23 (in 5d)"
            ]
        );
    }

    #[test]
    fn unreadable_certificates_and_other_secrets() {
        let mut not_b64 = tls("garbled", SHOP);
        not_b64.1["data"]["tls.crt"] = json!("%%%");
        let snap = snapshot(vec![
            not_b64,
            tls("empty", "just text"),
            tls(
                "broken",
                "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
            ),
            (
                Kind::Secret,
                obj(
                    "shop",
                    "opaque",
                    json!({"type": "Opaque", "data": {"tls.crt": "x"}}),
                ),
            ),
        ]);
        let found = found(&snap, "tls-cert-invalid");
        assert_eq!(found.len(), 3, "{found:?}");
        assert!(
            found[0].starts_with("shop/Secret/broken: tls.crt: certificate 1 does not parse"),
            "{}",
            found[0]
        );
        assert_eq!(
            found[1],
            "shop/Secret/empty: tls.crt holds no PEM certificate"
        );
        assert_eq!(found[2], "shop/Secret/garbled: tls.crt is not base64");
        assert_eq!(examined(&snap, "tls-cert-invalid"), 3);
    }
}
