//! OAuth 1.0a: published vectors, header parsing, and sign/verify properties.

use proptest::prelude::*;
use rstest::rstest;

use crate::*;

/// RFC 5849 section 3.4.1.1: the example request's base string (its body parameters `c2` and
/// `a3=2 q` included, as the RFC's form-encoded body requires).
#[test]
fn rfc5849_example_base_string() {
    let target = RequestTarget {
        scheme: "http",
        host: "Example.com:80",
        path: "/request",
        query: "b5=%3D%253D&a3=a&c%40=&a2=r%20b",
    };
    let params: Vec<(String, String)> = [
        ("oauth_consumer_key", "9djdj82h48djs9d2"),
        ("oauth_token", "kkk9d7dh3k39sjv7"),
        ("oauth_signature_method", "HMAC-SHA1"),
        ("oauth_timestamp", "137131201"),
        ("oauth_nonce", "7d8f3e4a"),
        ("c2", ""),
        ("a3", "2 q"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    assert_eq!(
        base_string("post", &target, &params).unwrap(),
        "POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q%26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D%26c2%3D%26oauth_consumer_key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D137131201%26oauth_token%3Dkkk9d7dh3k39sjv7"
    );
}

/// A SHA-256 vector computed with Python's standard library (fixtures/oauth1-sha256-vector.txt).
#[test]
fn independent_sha256_vector() {
    let text = include_str!("../../../fixtures/oauth1-sha256-vector.txt");
    let field = |name: &str| {
        text.lines()
            .find_map(|line| line.strip_prefix(&format!("{name}: ")))
            .unwrap_or_else(|| panic!("vector lacks {name}"))
    };
    let url = field("url");
    let (scheme, rest) = url.split_once("://").unwrap();
    let (host, path) = rest.split_at(rest.find('/').unwrap());
    let target = RequestTarget { scheme, host, path, query: field("query") };
    let params: Vec<(String, String)> = [
        "oauth_consumer_key",
        "oauth_token",
        "oauth_signature_method",
        "oauth_timestamp",
        "oauth_nonce",
        "oauth_version",
    ]
    .iter()
    .map(|k| (k.to_string(), field(k).to_string()))
    .collect();
    let base = base_string(field("method"), &target, &params).unwrap();
    assert_eq!(base, field("base_string"));
    let signature = sign(&base, field("consumer_secret"), field("token_secret"));
    assert_eq!(signature, field("signature"));
    assert!(verify(&base, field("consumer_secret"), field("token_secret"), &signature));
}

#[rstest]
#[case::spacing_and_order(
    r#"OAuth oauth_token="t%2B1",realm="1234567_SB1" ,  oauth_consumer_key="ck", oauth_signature="ab%3D%3D""#,
    Some("1234567_SB1"), &[("oauth_token", "t+1"), ("oauth_consumer_key", "ck")], Some("ab==")
)]
#[case::lowercase_scheme(r#"oauth oauth_nonce="n,1""#, None, &[("oauth_nonce", "n,1")], None)]
fn parses_headers(
    #[case] header: &str,
    #[case] realm: Option<&str>,
    #[case] params: &[(&str, &str)],
    #[case] signature: Option<&str>,
) {
    let parsed = OAuthHeader::parse(header).unwrap();
    assert_eq!(parsed.realm.as_deref(), realm);
    let got: Vec<(&str, &str)> =
        parsed.params.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(got, params);
    assert_eq!(parsed.signature.as_deref(), signature);
}

#[rstest]
#[case::nlauth("NLAuth nlauth_account=1, nlauth_email=a", HeaderError::Scheme("NLAuth".into()))]
#[case::bearer("Bearer abc", HeaderError::Scheme("Bearer".into()))]
#[case::unquoted("OAuth oauth_nonce=abc", HeaderError::Malformed("oauth_nonce=abc".into()))]
#[case::open_quote(r#"OAuth oauth_nonce="abc"#, HeaderError::Malformed(r#"oauth_nonce="abc"#.into()))]
#[case::duplicate(r#"OAuth oauth_nonce="a", oauth_nonce="b""#, HeaderError::Duplicate("oauth_nonce".into()))]
#[case::bad_escape(r#"OAuth oauth_nonce="a%zz""#, HeaderError::Encoding("a%zz".into()))]
fn refuses_bad_headers(#[case] header: &str, #[case] err: HeaderError) {
    assert_eq!(OAuthHeader::parse(header), Err(err));
}

#[test]
fn sign_request_header_round_trips() {
    let credentials = Credentials {
        realm: "1234567_SB1",
        consumer_key: "ck",
        consumer_secret: "cs",
        token_id: "tk",
        token_secret: "ts",
    };
    let target = RequestTarget {
        scheme: "http",
        host: "127.0.0.1:8080",
        path: "/app/site/hosting/restlet.nl",
        query: "script=102&deploy=1&item_id=100",
    };
    let signed = sign_request(&credentials, "GET", &target, "abcdef123456", 1_700_000_000).unwrap();
    let header = OAuthHeader::parse(&signed.authorization).unwrap();
    assert_eq!(header.realm.as_deref(), Some("1234567_SB1"));
    assert_eq!(header.get("oauth_signature_method"), Some("HMAC-SHA256"));
    let base = base_string("GET", &target, &header.params).unwrap();
    assert_eq!(base, signed.base_string);
    assert!(verify(&base, "cs", "ts", header.signature.as_deref().unwrap()));
    assert!(signed.base_string.starts_with("GET&http%3A%2F%2F127.0.0.1%3A8080%2Fapp%2Fsite%2Fhosting%2Frestlet.nl&deploy%3D1%26item_id%3D100%26oauth_consumer_key"));
}

#[test]
fn nonce_store_rejects_replays_and_forgets_after_the_window() {
    let mut store = NonceStore::new(300, 3);
    assert_eq!(store.check_and_insert("t", "n1", 1000, 1000), NonceVerdict::Fresh);
    assert_eq!(store.check_and_insert("t", "n1", 1000, 1100), NonceVerdict::Replayed);
    assert_eq!(store.check_and_insert("u", "n1", 1000, 1100), NonceVerdict::Fresh);
    assert_eq!(store.check_and_insert("t", "n2", 1100, 1100), NonceVerdict::Fresh);
    // Full: the oldest (t, n1) is forgotten early to make room; memory stays at capacity.
    assert_eq!(store.check_and_insert("t", "n3", 1100, 1100), NonceVerdict::FreshEvicted);
    assert_eq!(store.len(), 3);
    assert_eq!(store.check_and_insert("t", "n3", 1100, 1100), NonceVerdict::Replayed);
    assert_eq!(store.check_and_insert("u", "n1", 1000, 1100), NonceVerdict::Replayed);
    // u's n1 (timestamp 1000) leaves the window at 1300.
    assert_eq!(store.check_and_insert("t", "n4", 1100, 1301), NonceVerdict::Fresh);
    assert_eq!(store.len(), 3);
}

#[test]
fn nonce_store_stays_bounded_under_steady_traffic() {
    let mut store = NonceStore::new(300, 1_000_000);
    for second in 0..3000u64 {
        for i in 0..10 {
            assert_eq!(
                store.check_and_insert("t", &format!("{second}-{i}"), second, second),
                NonceVerdict::Fresh
            );
        }
    }
    // Ten a second for a window of 300 s, whatever the total sent.
    assert!(store.len() <= 3010, "{}", store.len());
}

// ---- properties ----

#[derive(Clone, Debug)]
struct Case {
    method: String,
    host: String,
    path: String,
    query: Vec<(String, String)>,
    consumer_secret: String,
    token_secret: String,
    nonce: String,
    timestamp: u64,
}

fn text() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9 ~!*()'%+=&,/:@_.-]{0,12}"
}

fn case() -> impl Strategy<Value = Case> {
    (
        prop::sample::select(vec!["GET", "POST", "PUT", "DELETE"]),
        "[a-z0-9.-]{1,12}(:[0-9]{1,5})?",
        "/[a-z/._-]{0,20}",
        prop::collection::vec((text(), text()), 0..5),
        text(),
        text(),
        "[a-zA-Z0-9]{6,20}",
        0u64..4_000_000_000,
    )
        .prop_map(
            |(method, host, path, query, consumer_secret, token_secret, nonce, timestamp)| Case {
                method: method.to_string(),
                host,
                path,
                query,
                consumer_secret,
                token_secret,
                nonce,
                timestamp,
            },
        )
}

fn query_string(query: &[(String, String)]) -> String {
    query
        .iter()
        .map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Signs as a client, then verifies as the server would, from the header alone.
fn round_trip(signer: &Case, verifier: &Case) -> bool {
    let query = query_string(&signer.query);
    let target =
        RequestTarget { scheme: "http", host: &signer.host, path: &signer.path, query: &query };
    let credentials = Credentials {
        realm: "R",
        consumer_key: "ck",
        consumer_secret: &signer.consumer_secret,
        token_id: "tk",
        token_secret: &signer.token_secret,
    };
    let signed =
        sign_request(&credentials, &signer.method, &target, &signer.nonce, signer.timestamp)
            .unwrap();
    let mut header = OAuthHeader::parse(&signed.authorization).unwrap();
    for (k, v) in &mut header.params {
        match k.as_str() {
            "oauth_nonce" => *v = verifier.nonce.clone(),
            "oauth_timestamp" => *v = verifier.timestamp.to_string(),
            _ => {}
        }
    }
    let query = query_string(&verifier.query);
    let target =
        RequestTarget { scheme: "http", host: &verifier.host, path: &verifier.path, query: &query };
    let base = base_string(&verifier.method, &target, &header.params).unwrap();
    verify(
        &base,
        &verifier.consumer_secret,
        &verifier.token_secret,
        header.signature.as_deref().unwrap(),
    )
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(256)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn sign_then_verify_passes(c in case()) {
        prop_assert!(round_trip(&c, &c));
    }

    /// Changing any one signed element makes verification fail.
    #[test]
    fn any_single_change_fails(c in case(), which in 0..9usize, extra in "[a-zA-Z0-9]{1,6}") {
        let mut v = c.clone();
        match which {
            0 => v.method = if c.method == "GET" { "POST".into() } else { "GET".into() },
            1 => v.host = format!("{}{}", c.host.split(':').next().unwrap(), "x").to_string() + c.host.split_once(':').map(|(_, p)| format!(":{p}")).unwrap_or_default().as_str(),
            2 => v.path = format!("{}{extra}", c.path),
            3 => v.query.push((extra.clone(), extra.clone())),
            4 => match v.query.first_mut() {
                Some((_, value)) => value.push_str(&extra),
                None => v.query.push(("k".into(), extra.clone())),
            },
            5 => v.consumer_secret.push_str(&extra),
            6 => v.token_secret.push_str(&extra),
            7 => v.nonce.push_str(&extra),
            _ => v.timestamp += 1,
        }
        prop_assert!(!round_trip(&c, &v), "change {} was not detected", which);
    }
}
