//! Concurrency governance: exactly 5 of 6 simultaneous calls pass; the 6th executes nothing.
//! Calls are held inside the emulator by a latency fault, which keeps their slots, so the
//! sixth arrives while five are surely in flight (no sleeps racing the scheduler: the five
//! are admitted before the sixth is sent, checked through the governance state).

use http::Method;
use serde_json::json;

use crate::support::*;

async fn in_flight(app: &restlet_server::App) -> u64 {
    admin(app, Method::GET, "/__admin/governance", None).await.json()["accounts"][0]["inFlight"]
        .as_u64()
        .unwrap()
}

/// Holds `n` calls in flight (by a latency fault unless the fixture already delays script
/// 101), then sends one more.
async fn n_plus_one(
    app: restlet_server::App,
    n: u64,
    fault: bool,
) -> (Vec<u16>, crate::support::Reply) {
    if fault {
        let reply = admin(
            &app,
            Method::POST,
            "/__admin/faults",
            Some(json!({"script": "101", "latencyMs": 400})),
        )
        .await;
        assert!(reply.status.is_success(), "{}", reply.body);
    }
    let mut held = Vec::new();
    for i in 0..n {
        let app = app.clone();
        held.push(tokio::spawn(async move {
            post("101", json!({"externalId": format!("g-{i}"), "account": 113, "items": [{"itemId": 3569, "quantity": 1, "location": 1}]}))
                .send(&app)
                .await
                .status
                .as_u16()
        }));
    }
    // Wait until the five hold their slots (bounded: 5 s).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while in_flight(&app).await < n {
        assert!(std::time::Instant::now() < deadline, "the calls never got in flight");
        tokio::task::yield_now().await;
    }
    let sixth = post("101", json!({"externalId": "g-6", "account": 113, "items": [{"itemId": 4152, "quantity": 1, "location": 1}]}))
        .send(&app)
        .await;
    let mut statuses = Vec::new();
    for h in held {
        statuses.push(h.await.unwrap());
    }
    (statuses, sixth)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sixth_concurrent_call_is_rejected_and_changes_nothing() {
    let app = app();
    let (statuses, sixth) = n_plus_one(app.clone(), 5, true).await;
    assert_eq!(statuses, vec![200; 5]);
    assert_eq!(sixth.error(), (429, "SSS_REQUEST_LIMIT_EXCEEDED".into()));
    assert_eq!(sixth.json()["error"]["message"], "Request Limit Exceeded!");
    assert_eq!(stock(&app, 3569, 1).await, "25/0/0/0/0 avail 25");
    assert_eq!(stock(&app, 4152, 1).await, "10/0/0/0/0 avail 10");
    let governance = admin(&app, Method::GET, "/__admin/governance", None).await.json();
    assert_eq!(governance["accounts"][0]["rejected"], 1);
    assert_eq!(governance["accounts"][0]["peak"], 5);
    let metrics = admin(&app, Method::GET, "/metrics", None).await.body;
    assert!(
        metrics.contains("netsuite_mock_governance_rejections_total{account=\"1234567_SB1\"} 1"),
        "{metrics}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_documented_400_status_is_a_setting() {
    let app = app_with(&demo_yaml_with(&[(
        "concurrency_reject_status: 429",
        "concurrency_reject_status: 400",
    )]));
    let (_, sixth) = n_plus_one(app, 5, true).await;
    assert_eq!(sixth.error(), (400, "SSS_REQUEST_LIMIT_EXCEEDED".into()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deployment_latency_holds_the_slot_too() {
    let app = app_with(&demo_yaml_with(&[(
        "handler: inventory_adjustment, audience",
        "handler: inventory_adjustment, latency: { fixed: { ms: 400 } }, audience",
    )]));
    let (statuses, sixth) = n_plus_one(app, 5, false).await;
    assert_eq!(statuses, vec![200; 5]);
    assert_eq!(sixth.error(), (429, "SSS_REQUEST_LIMIT_EXCEEDED".into()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_per_integration_limit_applies_below_the_account_limit() {
    let app = app_with(&demo_yaml_with(&[(
        "consumer_secret: \"13cdb9356194181710225cff27cb42132e2e4f7e3766ca7a7adda63af04c4d8d\"",
        "consumer_secret: \"13cdb9356194181710225cff27cb42132e2e4f7e3766ca7a7adda63af04c4d8d\"\n        concurrency_limit: 2",
    )]));
    let (statuses, third) = n_plus_one(app.clone(), 2, true).await;
    assert_eq!(statuses, vec![200; 2]);
    assert_eq!(third.error(), (429, "SSS_REQUEST_LIMIT_EXCEEDED".into()));
    let governance = admin(&app, Method::GET, "/__admin/governance", None).await.json();
    assert_eq!(governance["accounts"][0]["integrations"]["WMS Connector"]["rejected"], 1);
}
