//! Arbitrary input never panics the server and always gets a NetSuite-shaped answer.

use bytes::Bytes;
use http::Request;
use http_body_util::BodyExt;
use proptest::prelude::*;

use crate::support::*;

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(256)
}

fn method() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec!["GET", "POST", "PUT", "DELETE", "PATCH"])
}

fn body() -> impl Strategy<Value = String> {
    prop_oneof![
        ".{0,64}",
        Just(
            "{\"account\":113,\"items\":[{\"itemId\":3569,\"quantity\":1e400,\"location\":1}]}"
                .to_string()
        ),
        "\\{\"(items|account|externalId|action|operations|mode)\":(\\[\\]|\\{\\}|null|-?[0-9]{1,30}|\"[a-z]{0,5}\"|\\[\\{\"itemId\":[0-9]{1,22},\"quantity\":-?[0-9.e]{1,12}\\}\\])\\}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn arbitrary_requests_get_an_envelope(
        method in method(),
        script in prop::sample::select(vec!["101", "102", "103", "104", "105", "106", "107", "108", "109", "110", "x", ""]),
        query in "[a-z_=&%0-9+,.-]{0,40}",
        content_type in prop::option::of(prop::sample::select(vec!["application/json", "text/plain", "application/xml", "image/png"])),
        authorization in prop::option::of(".{0,80}"),
        sign in any::<bool>(),
        body in body(),
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            let app = app();
            let uri = format!("/app/site/hosting/restlet.nl?script={script}&deploy=1&{query}");
            let mut req = Request::builder().method(method).uri(&uri).header("host", "localhost:8080");
            if let Some(ct) = content_type {
                req = req.header("content-type", ct);
            }
            if sign && oauth1_signature::parse_query(&uri[uri.find('?').unwrap() + 1..]).is_some() {
                req = req.header("authorization", restlet_server::authorization(&token("wms"), method, &format!("http://localhost:8080{uri}")));
            } else if let Some(auth) = authorization.as_deref().and_then(|a| http::HeaderValue::from_str(a).ok()) {
                req = req.header("authorization", auth);
            }
            let req = req.body(Bytes::from(body.clone())).unwrap();
            let response = app.handle(req).await;
            let status = response.status().as_u16();
            let content_type = response.headers().get("content-type").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
            let text = String::from_utf8(response.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap();
            prop_assert!(status != 500, "internal error for {} {} {:?}: {}", method, uri, body, text);
            if status != 200 {
                match content_type.as_str() {
                    "application/json;charset=utf-8" => {
                        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
                        prop_assert!(json["error"]["code"].is_string() && json["error"]["message"].is_string(), "{}", text);
                    }
                    "text/plain;charset=utf-8" => prop_assert!(text.starts_with("error code: ") || status == 404 || status == 503, "{}", text),
                    "application/xml;charset=utf-8" => prop_assert!(text.starts_with("<error><code>"), "{}", text),
                    other => prop_assert!(false, "unexpected content type {:?}", other),
                }
            }
            Ok(())
        })?;
    }
}
