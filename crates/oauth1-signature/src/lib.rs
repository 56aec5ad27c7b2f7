//! OAuth 1.0a as NetSuite's Token-Based Authentication uses it (facts 4.1): parsing the
//! `Authorization` header, the RFC 5849 signature base string, HMAC-SHA256 signing and
//! constant-time verification, and a nonce store bounded by the timestamp window.
//!
//! Pure: the clock and the nonce are passed in; no I/O, no async, no serialization crates.
//! The server verifies with it; the scenario runner, the load driver and `netsuite-mock sign`
//! sign with it.

mod nonce;

#[cfg(test)]
mod tests;

use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

pub use nonce::{NonceStore, NonceVerdict};

/// The one signature method NetSuite accepts (facts 4.1.3).
pub const SIGNATURE_METHOD: &str = "HMAC-SHA256";

/// Why an `Authorization` header could not be read as OAuth.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    #[error("no Authorization header")]
    Missing,
    #[error("authorization scheme {0:?} is not OAuth")]
    Scheme(String),
    #[error("malformed OAuth parameter near {0:?}")]
    Malformed(String),
    #[error("parameter {0} appears twice")]
    Duplicate(String),
    #[error("invalid percent-encoding in {0:?}")]
    Encoding(String),
}

/// The parameters of an `Authorization: OAuth ...` header, percent-decoded.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OAuthHeader {
    pub realm: Option<String>,
    /// Every `oauth_*` parameter except `oauth_signature`, in header order.
    pub params: Vec<(String, String)>,
    pub signature: Option<String>,
}

impl OAuthHeader {
    /// The value of an `oauth_*` parameter.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// Parses `OAuth realm="…", oauth_consumer_key="…", …` in any order and spacing.
    pub fn parse(header: &str) -> Result<OAuthHeader, HeaderError> {
        let header = header.trim();
        let (scheme, rest) = header.split_once(char::is_whitespace).unwrap_or((header, ""));
        if !scheme.eq_ignore_ascii_case("OAuth") {
            return Err(HeaderError::Scheme(scheme.to_string()));
        }
        let mut out = OAuthHeader::default();
        let mut seen: Vec<String> = Vec::new();
        for part in split_params(rest)? {
            let (name, value) =
                part.split_once('=').ok_or_else(|| HeaderError::Malformed(part.to_string()))?;
            let name = name.trim();
            let value = value.trim();
            let value = value
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .ok_or_else(|| HeaderError::Malformed(part.to_string()))?;
            let value = percent_decode(value, false)
                .ok_or_else(|| HeaderError::Encoding(value.to_string()))?;
            if seen.iter().any(|s| s == name) {
                return Err(HeaderError::Duplicate(name.to_string()));
            }
            seen.push(name.to_string());
            match name {
                "realm" => out.realm = Some(value),
                "oauth_signature" => out.signature = Some(value),
                n if n.starts_with("oauth_") => out.params.push((name.to_string(), value)),
                // RFC 5849 3.5.1: only realm and oauth_* belong in the header; others are ignored.
                _ => {}
            }
        }
        Ok(out)
    }
}

/// Splits `a="x", b="y,z"` on the commas outside quotes.
fn split_params(text: &str) -> Result<Vec<&str>, HeaderError> {
    let mut parts = Vec::new();
    let mut in_quotes = false;
    let mut start = 0;
    for (i, c) in text.char_indices() {
        match c {
            '"' => in_quotes = !in_quotes,
            ',' if !in_quotes => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    if in_quotes {
        return Err(HeaderError::Malformed(text[start..].to_string()));
    }
    parts.push(&text[start..]);
    Ok(parts.into_iter().map(str::trim).filter(|p| !p.is_empty()).collect())
}

/// RFC 3986 percent-encoding as RFC 5849 3.6 requires: unreserved characters kept, every
/// other byte as `%XX` with uppercase hex (so a space is `%20`, never `+`).
pub fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(byte as char);
        } else {
            out.push('%');
            out.push(char::from(b"0123456789ABCDEF"[(byte >> 4) as usize]));
            out.push(char::from(b"0123456789ABCDEF"[(byte & 15) as usize]));
        }
    }
    out
}

/// Decodes `%XX` escapes (and `+` as a space when `plus_is_space`); `None` for a broken
/// escape or bytes that are not UTF-8.
pub fn percent_decode(text: &str, plus_is_space: bool) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = bytes.get(i + 1..i + 3)?;
                let hex = std::str::from_utf8(hex).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' if plus_is_space => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// Parses a query string into decoded pairs; `+` is a space (RFC 5849 3.4.1.3.1).
pub fn parse_query(query: &str) -> Option<Vec<(String, String)>> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            Some((percent_decode(k, true)?, percent_decode(v, true)?))
        })
        .collect()
}

/// The parts of the request URL that the base string uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestTarget<'a> {
    /// `http` or `https`.
    pub scheme: &'a str,
    /// Host as sent, possibly with a port (`127.0.0.1:8080`, `Example.COM`).
    pub host: &'a str,
    pub path: &'a str,
    /// The raw query string, without `?`.
    pub query: &'a str,
}

impl<'a> RequestTarget<'a> {
    /// Splits a full URL (`http://host:port/path?query`) into its parts.
    pub fn from_url(url: &'a str) -> Option<RequestTarget<'a>> {
        let (scheme, rest) = url.split_once("://")?;
        let (host_path, query) = rest.split_once('?').unwrap_or((rest, ""));
        let slash = host_path.find('/').unwrap_or(host_path.len());
        let (host, path) = host_path.split_at(slash);
        Some(RequestTarget { scheme, host, path: if path.is_empty() { "/" } else { path }, query })
    }

    /// Scheme + lowercase host (+ non-default port) + path (RFC 5849 3.4.1.2).
    pub fn base_uri(&self) -> String {
        let scheme = self.scheme.to_ascii_lowercase();
        let host = self.host.to_ascii_lowercase();
        let default_port = if scheme == "https" { ":443" } else { ":80" };
        let host = host.strip_suffix(default_port).unwrap_or(&host);
        format!("{scheme}://{host}{}", self.path)
    }
}

/// Builds the signature base string: method, base URI and the normalized parameters (every
/// query parameter plus `params`, which holds the `oauth_*` parameters other than
/// `oauth_signature`, and form-body parameters where a protocol has them; RESTlets have none).
/// `None` if the query string has a broken escape.
pub fn base_string(
    method: &str,
    target: &RequestTarget<'_>,
    params: &[(String, String)],
) -> Option<String> {
    let mut pairs: Vec<(String, String)> = parse_query(target.query)?
        .into_iter()
        .chain(params.iter().cloned())
        .map(|(k, v)| (percent_encode(&k), percent_encode(&v)))
        .collect();
    pairs.sort();
    let normalized = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&");
    Some(format!(
        "{}&{}&{}",
        method.to_ascii_uppercase(),
        percent_encode(&target.base_uri()),
        percent_encode(&normalized)
    ))
}

fn signing_key(consumer_secret: &str, token_secret: &str) -> String {
    format!("{}&{}", percent_encode(consumer_secret), percent_encode(token_secret))
}

/// Base64 of HMAC-SHA256 over the base string, keyed `consumer_secret&token_secret`.
pub fn sign(base_string: &str, consumer_secret: &str, token_secret: &str) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(signing_key(consumer_secret, token_secret).as_bytes())
            .expect("HMAC accepts keys of any length");
    mac.update(base_string.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Checks a base64 signature in constant time.
pub fn verify(
    base_string: &str,
    consumer_secret: &str,
    token_secret: &str,
    signature: &str,
) -> bool {
    let Ok(given) = base64::engine::general_purpose::STANDARD.decode(signature.trim()) else {
        return false;
    };
    let mut mac =
        Hmac::<Sha256>::new_from_slice(signing_key(consumer_secret, token_secret).as_bytes())
            .expect("HMAC accepts keys of any length");
    mac.update(base_string.as_bytes());
    mac.verify_slice(&given).is_ok()
}

/// Everything needed to sign one request as a TBA client.
#[derive(Clone, Debug)]
pub struct Credentials<'a> {
    /// The account id in credential form (`1234567_SB1`).
    pub realm: &'a str,
    pub consumer_key: &'a str,
    pub consumer_secret: &'a str,
    pub token_id: &'a str,
    pub token_secret: &'a str,
}

/// The five values a TBA client holds, owned (a fixture token, or a sandbox's from the
/// environment).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenCredentials {
    pub realm: String,
    pub consumer_key: String,
    pub consumer_secret: String,
    pub token_id: String,
    pub token_secret: String,
}

impl TokenCredentials {
    pub fn as_credentials(&self) -> Credentials<'_> {
        Credentials {
            realm: &self.realm,
            consumer_key: &self.consumer_key,
            consumer_secret: &self.consumer_secret,
            token_id: &self.token_id,
            token_secret: &self.token_secret,
        }
    }

    /// Signs a request to a full URL; `None` for a URL without a scheme or with a broken
    /// escape in its query.
    pub fn sign_url(&self, method: &str, url: &str, nonce: &str, timestamp: u64) -> Option<Signed> {
        sign_request(
            &self.as_credentials(),
            method,
            &RequestTarget::from_url(url)?,
            nonce,
            timestamp,
        )
    }
}

/// A signed request's header and the base string it was computed from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Signed {
    pub authorization: String,
    pub base_string: String,
}

/// Signs a request the way NetSuite's client libraries do (facts 4.1.1): every value
/// percent-encoded in the header, HMAC-SHA256, `oauth_version="1.0"`.
pub fn sign_request(
    credentials: &Credentials<'_>,
    method: &str,
    target: &RequestTarget<'_>,
    nonce: &str,
    timestamp: u64,
) -> Option<Signed> {
    let params: Vec<(String, String)> = vec![
        ("oauth_consumer_key".into(), credentials.consumer_key.into()),
        ("oauth_token".into(), credentials.token_id.into()),
        ("oauth_signature_method".into(), SIGNATURE_METHOD.into()),
        ("oauth_timestamp".into(), timestamp.to_string()),
        ("oauth_nonce".into(), nonce.into()),
        ("oauth_version".into(), "1.0".into()),
    ];
    let base_string = base_string(method, target, &params)?;
    let signature = sign(&base_string, credentials.consumer_secret, credentials.token_secret);
    let mut authorization = format!("OAuth realm=\"{}\"", percent_encode(credentials.realm));
    for (k, v) in params.iter().chain(std::iter::once(&("oauth_signature".to_string(), signature)))
    {
        authorization.push_str(&format!(", {k}=\"{}\"", percent_encode(v)));
    }
    Some(Signed { authorization, base_string })
}
