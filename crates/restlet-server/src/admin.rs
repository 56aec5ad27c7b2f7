//! The admin API under `/__admin` and `GET /metrics` (contract 7). Not part of NetSuite:
//! loopback-only by default, optionally behind a token, never reachable with RESTlet
//! credentials.
#![expect(
    clippy::result_large_err,
    reason = "an admin error is a finished response, built once per call; boxing gains nothing"
)]

use bytes::Bytes;
use http::header::CONTENT_TYPE;
use http::{HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::Full;
use inventory_domain::{ItemId, ItemRef, LocationId};
use inventory_store::TxQuery;
use serde_json::{Value, json};

use crate::app::{App, PeerAddr, plain};
use crate::faults::FaultSpec;
use crate::wire::dec;

fn json_response(status: StatusCode, value: &Value) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(value.to_string())));
    *response.status_mut() = status;
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

fn bad_request(message: impl std::fmt::Display) -> Response<Full<Bytes>> {
    json_response(
        StatusCode::BAD_REQUEST,
        &json!({"error": {"code": "ADMIN_BAD_REQUEST", "message": message.to_string()}}),
    )
}

fn query_params(req: &Request<Bytes>) -> Vec<(String, String)> {
    oauth1_signature::parse_query(req.uri().query().unwrap_or("")).unwrap_or_default()
}

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

fn parse_param<T: std::str::FromStr>(
    params: &[(String, String)],
    name: &str,
) -> Result<Option<T>, Response<Full<Bytes>>> {
    param(params, name)
        .map(|v| v.parse().map_err(|_| bad_request(format!("{name}={v:?} is not valid"))))
        .transpose()
}

pub(crate) async fn handle(app: &App, req: Request<Bytes>) -> Response<Full<Bytes>> {
    let config = app.config();
    let loopback = req.extensions().get::<PeerAddr>().is_none_or(|peer| peer.0.ip().is_loopback());
    if !loopback && !config.admin_remote {
        return json_response(
            StatusCode::FORBIDDEN,
            &json!({"error": {"code": "ADMIN_FORBIDDEN", "message": "the admin API answers loopback clients only"}}),
        );
    }
    if let Some(token) = &config.admin_token
        && req.headers().get("x-admin-token").and_then(|v| v.to_str().ok()) != Some(token.as_str())
    {
        return json_response(
            StatusCode::UNAUTHORIZED,
            &json!({"error": {"code": "ADMIN_UNAUTHORIZED", "message": "send the admin token in X-Admin-Token"}}),
        );
    }
    match route(app, &req).await {
        Ok(response) | Err(response) => response,
    }
}

type Reply = Result<Response<Full<Bytes>>, Response<Full<Bytes>>>;

fn account_param(app: &App, params: &[(String, String)]) -> Result<String, Response<Full<Bytes>>> {
    match param(params, "account") {
        Some(account) if app.inner.accounts.contains_key(account) => Ok(account.to_string()),
        Some(account) => Err(json_response(
            StatusCode::NOT_FOUND,
            &json!({"error": {"code": "ADMIN_NOT_FOUND", "message": format!("unknown account {account}")}}),
        )),
        None => Ok(app.inner.accounts.keys().next().expect("at least one account").clone()),
    }
}

async fn route(app: &App, req: &Request<Bytes>) -> Reply {
    let params = query_params(req);
    let path = req.uri().path().trim_end_matches('/');
    let method = req.method();
    let ok = |value: Value| Ok(json_response(StatusCode::OK, &value));
    match (method, path) {
        (&Method::GET, "/metrics") => {
            let mut gauges = Vec::new();
            for (id, rt) in &app.inner.accounts {
                let state = rt.limiter.state();
                gauges.push((
                    "netsuite_mock_in_flight",
                    "RESTlet requests in flight.",
                    format!("account=\"{id}\""),
                    state.in_flight as f64,
                ));
                gauges.push((
                    "netsuite_mock_concurrency_limit",
                    "Account concurrency limit.",
                    format!("account=\"{id}\""),
                    state.limit as f64,
                ));
                gauges.push((
                    "netsuite_mock_nonces",
                    "Nonces remembered inside the timestamp window.",
                    format!("account=\"{id}\""),
                    rt.auth.nonce_count() as f64,
                ));
            }
            gauges.sort_by(|a, b| a.0.cmp(b.0));
            gauges.push((
                "netsuite_mock_journal_entries",
                "Entries in the request journal.",
                String::new(),
                app.inner.journal.len() as f64,
            ));
            let mut response =
                Response::new(Full::new(Bytes::from(app.inner.metrics.render(&gauges))));
            response
                .headers_mut()
                .insert(CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4"));
            Ok(response)
        }
        (&Method::GET, "/__admin/health") => {
            ok(json!({"status": "ok", "accounts": app.inner.accounts.keys().collect::<Vec<_>>()}))
        }
        (&Method::POST, "/__admin/reset") => {
            let account = match param(&params, "account") {
                Some(_) => Some(account_param(app, &params)?),
                None => None,
            };
            let worker = app.clone();
            let target = account.clone();
            tokio::task::spawn_blocking(move || worker.reset(target.as_deref()))
                .await
                .map_err(bad_request)?
                .map_err(|e| {
                    json_response(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        &json!({"error": {"code": "UNEXPECTED_ERROR", "message": e.to_string()}}),
                    )
                })?;
            ok(json!({"reset": account.unwrap_or_else(|| "all".into())}))
        }
        (&Method::GET, "/__admin/stock") => {
            let account = account_param(app, &params)?;
            let item: Option<u64> = parse_param(&params, "item")?;
            let location: Option<u64> = parse_param(&params, "location")?;
            let sku = param(&params, "sku").map(str::to_string);
            let store = app.store();
            let inv = store.inventory(&account).expect("account checked");
            let item = match (item, sku) {
                (Some(id), _) => Some(ItemId(id)),
                (None, Some(sku)) => {
                    Some(inv.resolve_item(&ItemRef::Sku(sku)).map_err(bad_request)?)
                }
                (None, None) => None,
            };
            let rows: Vec<Value> = inv
                .levels()
                .filter(|((i, l), _)| item.is_none_or(|it| it == *i) && location.is_none_or(|loc| LocationId(loc) == *l))
                .map(|((i, l), level)| {
                    json!({
                        "item": i.0, "sku": inv.item(i).map(|x| x.sku.clone()), "location": l.0,
                        "quantityOnHand": dec(level.on_hand), "quantityAvailable": dec(level.available()),
                        "quantityCommitted": dec(level.committed), "quantityOnOrder": dec(level.on_order),
                        "quantityInTransit": dec(level.in_transit), "quantityBackOrdered": dec(level.back_ordered),
                    })
                })
                .collect();
            ok(json!({"account": account, "stock": rows}))
        }
        (&Method::GET, "/__admin/transactions") => {
            let account = account_param(app, &params)?;
            let query = TxQuery {
                record_type: param(&params, "recordType").map(str::to_string),
                external_id: param(&params, "externalId").map(str::to_string),
                id: parse_param(&params, "id")?,
                after_seq: parse_param(&params, "afterSeq")?,
                limit: parse_param(&params, "limit")?,
            };
            let rows = app.store().transactions(&account, &query).map_err(bad_request)?;
            let rows: Vec<Value> = rows
                .into_iter()
                .map(|r| {
                    json!({
                        "seq": r.seq, "id": r.id, "recordType": r.record_type, "action": r.action, "source": r.source,
                        "externalId": r.external_id, "actor": r.actor, "createdAt": r.created_at,
                        "lines": r.lines.iter().map(|l| json!({"index": l.index, "item": l.item, "location": l.location,
                            "quantity": dec(l.quantity), "rate": l.rate.map(dec)})).collect::<Vec<_>>(),
                    })
                })
                .collect();
            ok(json!({"account": account, "transactions": rows}))
        }
        (&Method::GET, "/__admin/external-ids") => {
            let account = account_param(app, &params)?;
            let prefix = param(&params, "prefix").unwrap_or("");
            let ids = app.store().external_ids(&account, prefix).map_err(bad_request)?;
            let ids: Vec<Value> = ids.into_iter().map(|(rt, ext, n)| json!([rt, ext, n])).collect();
            ok(json!({"account": account, "ids": ids}))
        }
        (&Method::GET, "/__admin/journal") => {
            let after: u64 = parse_param(&params, "afterSeq")?.unwrap_or(0);
            let limit: usize = parse_param(&params, "limit")?.unwrap_or(1000);
            ok(json!({"entries": app.inner.journal.list(after, limit)}))
        }
        (&Method::GET, "/__admin/login-audit") => {
            ok(json!({"entries": app.inner.login_audit.list(param(&params, "account"))}))
        }
        (&Method::GET, "/__admin/governance") => {
            let accounts: Vec<Value> = app
                .inner
                .accounts
                .iter()
                .map(|(id, rt)| {
                    let integrations: serde_json::Map<String, Value> = rt
                        .integration_limiters
                        .iter()
                        .map(|(name, l)| (name.clone(), json!(l.state())))
                        .collect();
                    let mut value = json!(rt.limiter.state());
                    value["account"] = json!(id);
                    value["rejectStatus"] = json!(rt.def.settings.concurrency_reject_status);
                    value["usageLimit"] = json!(rt.def.settings.usage_limit);
                    value["integrations"] = Value::Object(integrations);
                    value
                })
                .collect();
            ok(json!({"accounts": accounts}))
        }
        (&Method::GET, "/__admin/faults") => ok(json!({"faults": app.inner.faults.list()})),
        (&Method::POST, "/__admin/faults") => {
            let spec: FaultSpec = serde_json::from_slice(req.body())
                .map_err(|e| bad_request(format!("fault rule: {e}")))?;
            let rule = app.inner.faults.add(spec).map_err(bad_request)?;
            Ok(json_response(StatusCode::CREATED, &json!({"id": rule.id, "rule": rule})))
        }
        (&Method::DELETE, "/__admin/faults") => {
            match parse_param::<u64>(&params, "id")? {
                Some(id) if !app.inner.faults.remove(id) => {
                    return Err(json_response(
                        StatusCode::NOT_FOUND,
                        &json!({"error": {"code": "ADMIN_NOT_FOUND", "message": format!("no fault rule {id}")}}),
                    ));
                }
                Some(_) => {}
                None => app.inner.faults.clear(None),
            }
            ok(json!({"faults": app.inner.faults.list()}))
        }
        (&Method::GET, "/__admin/clock") => ok(json!(app.inner.clock.state())),
        (&Method::POST, "/__admin/clock") => {
            let body: Value = serde_json::from_slice(req.body())
                .map_err(|e| bad_request(format!("clock: {e}")))?;
            let clock = &app.inner.clock;
            if let Some(at) = body.get("frozenAt").and_then(Value::as_i64) {
                clock.freeze(at);
            } else if body.get("freeze").and_then(Value::as_bool) == Some(true) {
                clock.freeze(clock.now_ms());
            } else if let Some(offset) = body.get("offsetMs").and_then(Value::as_i64) {
                clock.set_offset(offset);
            } else if let Some(advance) = body.get("advanceMs").and_then(Value::as_i64) {
                let state = clock.state();
                if state.frozen {
                    clock.freeze(state.now_ms + advance)
                } else {
                    clock.set_offset(state.offset_ms + advance)
                }
            } else if body.get("reset").and_then(Value::as_bool) == Some(true) {
                clock.reset();
            } else {
                return Err(bad_request(
                    "send one of offsetMs, advanceMs, frozenAt, freeze: true, reset: true",
                ));
            }
            ok(json!(clock.state()))
        }
        _ => Err(plain(StatusCode::NOT_FOUND, "Not Found")),
    }
}
