//! The admin API: reset, audit trail, journal, faults, clock, health, metrics, access rules.

use bytes::Bytes;
use http::{Method, Request};
use http_body_util::BodyExt;
use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn reset_restores_the_fixture_exactly() {
    let app = app();
    post(
        "101",
        json!({"externalId":"x","account":113,"items":[{"itemId":3569,"quantity":4,"location":1}]}),
    )
    .send(&app)
    .await
    .ok();
    admin(&app, Method::POST, "/__admin/faults", Some(json!({"script":101,"latencyMs":1}))).await;
    admin(&app, Method::POST, "/__admin/clock", Some(json!({"offsetMs": 5000}))).await;
    assert_eq!(admin(&app, Method::POST, "/__admin/reset", None).await.status.as_u16(), 200);
    assert_eq!(stock(&app, 3569, 1).await, "20/0/0/0/0 avail 20");
    assert_eq!(
        admin(&app, Method::GET, "/__admin/transactions", None).await.json()["transactions"],
        json!([])
    );
    assert_eq!(admin(&app, Method::GET, "/__admin/faults", None).await.json()["faults"], json!([]));
    assert_eq!(admin(&app, Method::GET, "/__admin/clock", None).await.json()["offsetMs"], 0);
    // The external id is free again.
    let again = post(
        "101",
        json!({"externalId":"x","account":113,"items":[{"itemId":3569,"quantity":4,"location":1}]}),
    )
    .send(&app)
    .await
    .ok();
    assert!(again.get("duplicate").is_none());
    assert_eq!(
        admin(&app, Method::POST, "/__admin/reset?account=NOPE", None).await.status.as_u16(),
        404
    );
    assert_eq!(
        admin(&app, Method::POST, "/__admin/reset?account=1234567_SB1", None).await.status.as_u16(),
        200
    );
}

#[tokio::test]
async fn journal_health_metrics_and_fault_rules() {
    let app = app();
    get("102", "item_id=100").send(&app).await.ok();
    let journal = admin(&app, Method::GET, "/__admin/journal", None).await.json();
    let entry = &journal["entries"][0];
    assert_eq!(
        (entry["method"].as_str(), entry["status"].as_u64(), entry["token"].as_str()),
        (Some("GET"), Some(200), Some("wms"))
    );
    assert_eq!(admin(&app, Method::GET, "/__admin/health", None).await.json()["status"], "ok");
    let metrics = admin(&app, Method::GET, "/metrics", None).await.body;
    assert!(metrics.contains("netsuite_mock_requests_total{account=\"1234567_SB1\",script=\"customscript_inventory_stock\",status=\"200\",code=\"\"} 1"), "{metrics}");

    let rule = admin(&app, Method::POST, "/__admin/faults", Some(json!({"script":"102","action":"error","status":503,"code":"SSS_DB_OFFLINE","message":"offline"}))).await;
    assert_eq!(rule.status.as_u16(), 201);
    assert_eq!(get("102", "item_id=100").send(&app).await.error(), (503, "SSS_DB_OFFLINE".into()));
    assert_eq!(
        admin(&app, Method::POST, "/__admin/faults", Some(json!({"action":"explode"})))
            .await
            .status
            .as_u16(),
        400
    );
    assert_eq!(
        admin(&app, Method::DELETE, "/__admin/faults", None).await.json()["faults"],
        json!([])
    );
    get("102", "item_id=100").send(&app).await.ok();
}

#[tokio::test]
async fn seeded_probability_is_reproducible() {
    let mut runs = Vec::new();
    for _ in 0..2 {
        let app = app();
        admin(
            &app,
            Method::POST,
            "/__admin/faults",
            Some(json!({"script":"102","action":"unavailable","probability":0.5,"seed":42})),
        )
        .await;
        let mut statuses = Vec::new();
        for _ in 0..20 {
            statuses.push(get("102", "item_id=100").send(&app).await.status.as_u16());
        }
        runs.push(statuses);
    }
    assert_eq!(runs[0], runs[1]);
    assert!(runs[0].contains(&503) && runs[0].contains(&200), "{:?}", runs[0]);
}

#[tokio::test]
async fn admin_is_loopback_only_and_token_protected() {
    let app = app();
    let mut req = Request::builder().uri("/__admin/health").body(Bytes::new()).unwrap();
    req.extensions_mut().insert(restlet_server::PeerAddr("192.0.2.7:5555".parse().unwrap()));
    assert_eq!(app.handle(req).await.status().as_u16(), 403);

    let mut config = restlet_server::ServerConfig::new(
        fixture::Fixture::demo(),
        inventory_store::DbTarget::Memory,
    );
    config.admin_token = Some("s3cret".into());
    let app = restlet_server::App::new(config).unwrap();
    assert_eq!(admin(&app, Method::GET, "/__admin/health", None).await.status.as_u16(), 401);
    // RESTlet credentials do not open the admin API.
    let req = Request::builder()
        .uri("/__admin/health")
        .header(
            "authorization",
            restlet_server::authorization(&token("wms"), "GET", "http://localhost/__admin/health"),
        )
        .body(Bytes::new())
        .unwrap();
    assert_eq!(app.handle(req).await.status().as_u16(), 401);
    let req = Request::builder()
        .uri("/__admin/health")
        .header("x-admin-token", "s3cret")
        .body(Bytes::new())
        .unwrap();
    let response = app.handle(req).await;
    assert_eq!(response.status().as_u16(), 200);
    let _ = response.into_body().collect().await;
}

#[tokio::test]
async fn fixture_fault_rules_are_active_and_survive_a_reset() {
    let app = app_with(&demo_yaml_with(&[(
        "    deployments:\n",
        "    faults:\n      - { script: customscript_inventory_stock, action: error, status: 503, code: SSS_DB_OFFLINE, message: offline, count: 1 }\n    deployments:\n",
    )]));
    assert_eq!(get("102", "item_id=100").send(&app).await.error(), (503, "SSS_DB_OFFLINE".into()));
    get("102", "item_id=100").send(&app).await.ok();
    admin(&app, Method::POST, "/__admin/reset", None).await;
    let faults = admin(&app, Method::GET, "/__admin/faults", None).await.json();
    assert_eq!(faults["faults"][0]["remaining"], 1);
    assert_eq!(faults["faults"][0]["account"], "1234567_SB1");
    assert_eq!(get("102", "item_id=100").send(&app).await.error(), (503, "SSS_DB_OFFLINE".into()));
}
