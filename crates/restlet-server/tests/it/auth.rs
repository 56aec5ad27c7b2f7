//! Token-Based Authentication: every failure is the same 401, and the login audit names the
//! Login Audit Trail detail with the base string the emulator computed.

use http::Method;
use oauth1_signature::{RequestTarget, base_string, percent_encode, sign};
use rstest::rstest;
use serde_json::json;

use crate::support::*;

/// Builds an Authorization header for a GET of the stock query with some parameters changed.
fn header(
    overrides: &[(&str, &str)],
    realm: &str,
    consumer_secret: &str,
    token_secret: &str,
    timestamp: i64,
) -> String {
    let wms = token("wms");
    let mut params: Vec<(String, String)> = vec![
        ("oauth_consumer_key".into(), wms.consumer_key.clone()),
        ("oauth_token".into(), wms.token_id.clone()),
        ("oauth_signature_method".into(), "HMAC-SHA256".into()),
        ("oauth_timestamp".into(), timestamp.to_string()),
        ("oauth_nonce".into(), format!("n{:019}", rand::random::<u64>() % 10u64.pow(18))),
        ("oauth_version".into(), "1.0".into()),
    ];
    for (k, v) in overrides {
        match params.iter_mut().find(|(name, _)| name == k) {
            Some(p) if v.is_empty() => p.0.clear(),
            Some(p) => p.1 = v.to_string(),
            None => params.push((k.to_string(), v.to_string())),
        }
    }
    params.retain(|(k, _)| !k.is_empty());
    let target = RequestTarget {
        scheme: "http",
        host: "localhost:8080",
        path: "/app/site/hosting/restlet.nl",
        query: "script=102&deploy=1&item_id=100",
    };
    let base = base_string("GET", &target, &params).unwrap();
    let signature = sign(&base, consumer_secret, token_secret);
    let mut out = format!("OAuth realm=\"{realm}\"");
    for (k, v) in params.iter().chain([("oauth_signature".to_string(), signature)].iter()) {
        out += &format!(", {k}=\"{}\"", percent_encode(v));
    }
    out
}

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

const CS: &str = "13cdb9356194181710225cff27cb42132e2e4f7e3766ca7a7adda63af04c4d8d";
const TS: &str = "5e1cf9da0c2f64444c67855df041303292b3e47069e75a409d9b13668b8b034b";

#[rstest]
#[case::lowercase_realm(header(&[], "1234567_sb1", CS, TS, now()), "parameter_rejected")]
#[case::url_form_realm(header(&[], "1234567-SB1", CS, TS, now()), "parameter_rejected")]
#[case::sha1(header(&[("oauth_signature_method", "HMAC-SHA1")], ACCOUNT, CS, TS, now()), "UnknownAlgorithm")]
#[case::version(header(&[("oauth_version", "2.0")], ACCOUNT, CS, TS, now()), "VersionRejected")]
#[case::unknown_consumer(header(&[("oauth_consumer_key", "nope")], ACCOUNT, CS, TS, now()), "consumer_key_unknown")]
#[case::unknown_token(header(&[("oauth_token", "nope")], ACCOUNT, CS, TS, now()), "token_rejected")]
#[case::old_timestamp(header(&[], ACCOUNT, CS, TS, now() - 301), "InvalidTimestamp")]
#[case::future_timestamp(header(&[], ACCOUNT, CS, TS, now() + 301), "InvalidTimestamp")]
#[case::short_nonce(header(&[("oauth_nonce", "abc12")], ACCOUNT, CS, TS, now()), "nonce_rejected")]
#[case::wrong_consumer_secret(header(&[], ACCOUNT, "wrong", TS, now()), "InvalidSignature")]
#[case::wrong_token_secret(header(&[], ACCOUNT, CS, "wrong", now()), "InvalidSignature")]
#[case::missing_signature_method(header(&[("oauth_signature_method", "")], ACCOUNT, CS, TS, now()), "UnknownAlgorithm")]
#[case::nlauth("NLAuth nlauth_account=1234567_SB1, nlauth_email=a%40b.c, nlauth_signature=pw, nlauth_role=3".to_string(), "FeatureDisabled")]
#[case::bearer("Bearer eyJhbGciOiJQUzI1NiJ9.e30.sig".to_string(), "FeatureDisabled")]
#[case::garbage("OAuth realm=\"unterminated".to_string(), "parameter_rejected")]
#[tokio::test]
async fn failures_are_one_401_with_a_precise_audit(
    #[case] authorization: String,
    #[case] detail: &str,
) {
    let app = app();
    let mut call = get("102", "item_id=100");
    call.authorization = Some(authorization);
    let reply = call.send(&app).await;
    assert_eq!(reply.error(), (401, "INVALID_LOGIN_ATTEMPT".into()));
    assert_eq!(reply.json()["error"]["message"], "Invalid login attempt.");
    assert_eq!(
        reply.headers["www-authenticate"],
        "OAuth realm=\"1234567_SB1\", error=\"token_rejected\", error_description=\"Invalid login attempt.\""
    );
    assert_eq!(login_details(&app).await, vec![detail.to_string()]);
}

#[tokio::test]
async fn no_header_and_revoked_token_and_audience() {
    let app = app();
    let mut call = get("102", "item_id=100");
    call.token = None;
    assert_eq!(call.send(&app).await.status.as_u16(), 401);
    assert_eq!(get("102", "item_id=100").token("revoked").send(&app).await.status.as_u16(), 401);
    // The storefront role may read stock, but is outside the adjustment's audience.
    assert_eq!(get("102", "item_id=100").token("shop").send(&app).await.status.as_u16(), 200);
    let reply = post(
        "101",
        json!({"account": 113, "items": [{"itemId": 3569, "quantity": 1, "location": 1}]}),
    )
    .token("shop")
    .send(&app)
    .await;
    assert_eq!(reply.status.as_u16(), 401);
    assert_eq!(
        login_details(&app).await,
        vec!["permission_denied", "token_rejected", "MissingTokenPassportRequiredFields"]
    );
    assert_eq!(stock(&app, 3569, 1).await, "20/0/0/0/0 avail 20");
}

#[tokio::test]
async fn a_replayed_nonce_is_refused_and_the_audit_shows_the_base_string() {
    let app = app();
    let authorization = header(&[("oauth_nonce", "fixednonce123")], ACCOUNT, CS, TS, now());
    let mut call = get("102", "item_id=100");
    call.authorization = Some(authorization);
    assert_eq!(call.send(&app).await.status.as_u16(), 200);
    assert_eq!(call.send(&app).await.status.as_u16(), 401);
    let audit = admin(&app, Method::GET, "/__admin/login-audit", None).await.json();
    let entry = &audit["entries"][0];
    assert_eq!(entry["detail"], "nonce_used");
    let base = entry["baseString"].as_str().unwrap();
    assert!(base.starts_with("GET&http%3A%2F%2Flocalhost%3A8080%2Fapp%2Fsite%2Fhosting%2Frestlet.nl&deploy%3D1%26item_id%3D100"), "{base}");
    assert!(
        !audit.to_string().contains(CS) && !audit.to_string().contains(TS),
        "the audit must never show a secret"
    );
    // A reset forgets used nonces.
    admin(&app, Method::POST, "/__admin/reset", None).await;
    assert_eq!(call.send(&app).await.status.as_u16(), 200);
}

#[tokio::test]
async fn the_clock_moves_the_timestamp_window() {
    let app = app();
    let authorization = header(&[], ACCOUNT, CS, TS, now() - 600);
    admin(&app, Method::POST, "/__admin/clock", Some(json!({"offsetMs": -600_000}))).await;
    let mut call = get("102", "item_id=100");
    call.authorization = Some(authorization);
    assert_eq!(call.send(&app).await.status.as_u16(), 200);
}

#[tokio::test]
async fn repeated_failures_lock_the_token_when_configured() {
    let app = app_with(&demo_yaml_with(&[(
        "auto_commit: true",
        "auto_commit: true\n      lockout_after_failures: 3\n      lockout_secs: 60",
    )]));
    for _ in 0..3 {
        let mut call = get("102", "item_id=100");
        call.authorization = Some(header(&[], ACCOUNT, "wrong", TS, now()));
        assert_eq!(call.send(&app).await.status.as_u16(), 401);
    }
    assert_eq!(get("102", "item_id=100").send(&app).await.status.as_u16(), 401);
    assert_eq!(login_details(&app).await[0], "temporary_locked");
    admin(&app, Method::POST, "/__admin/clock", Some(json!({"offsetMs": 61_000}))).await;
    let mut call = get("102", "item_id=100");
    call.authorization = Some(header(&[], ACCOUNT, CS, TS, now() + 61));
    assert_eq!(call.send(&app).await.status.as_u16(), 200);
}
