//! Contract section 4, row by row, through `App::handle`.

use http::{Method, StatusCode};
use rstest::rstest;
use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn pinned_stock_query() {
    let app = app();
    let reply = get("customscript_inventory_stock", "item_id=100&location_id=3").send(&app).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.headers["content-type"], "application/json;charset=utf-8");
    assert_eq!(
        reply.body,
        r#"{"item":100,"location":3,"quantityOnHand":25,"quantityAvailable":25,"quantityCommitted":0,"quantityOnOrder":0,"quantityInTransit":0,"quantityBackOrdered":0}"#
    );
}

#[rstest]
#[case::numeric("102", "1")]
#[case::string_ids("customscript_inventory_stock", "customdeploy_inventory_stock")]
#[case::mixed("customscript_inventory_stock", "1")]
#[tokio::test]
async fn routes_numeric_and_string_ids(#[case] script: &str, #[case] deploy: &str) {
    let app = app();
    let mut call = get(script, "sku=GIZMO-GREEN");
    call.deploy = deploy.into();
    let json = call.send(&app).await.ok();
    assert_eq!(json["quantityOnHand"], 65);
    assert_eq!(json["locations"].as_array().unwrap().len(), 2);
}

#[rstest]
#[case::unknown_script("999", "1")]
#[case::unknown_deploy("102", "2")]
#[case::wrong_pairing("customscript_inventory_stock", "customdeploy_inventory_adjustment")]
#[tokio::test]
async fn unknown_scripts_are_404(#[case] script: &str, #[case] deploy: &str) {
    let app = app();
    let mut call = get(script, "item_id=100");
    call.deploy = deploy.into();
    let reply = call.send(&app).await;
    assert_eq!(reply.error(), (404, "SSS_INVALID_SCRIPTLET_ID".into()));
    assert_eq!(
        reply.json()["error"]["message"],
        "That Suitelet is invalid, disabled, or no longer exists."
    );
}

#[tokio::test]
async fn a_testing_deployment_is_not_callable() {
    let app = app_with(&demo_yaml_with(&[(
        "{ script: 102, script_id: customscript_inventory_stock, handler: stock_query,",
        "{ script: 102, script_id: customscript_inventory_stock, handler: stock_query, status: testing,",
    )]));
    let reply = get("102", "item_id=100").send(&app).await;
    assert_eq!(reply.error(), (404, "SSS_INVALID_SCRIPTLET_ID".into()));
}

#[tokio::test]
async fn a_method_without_entry_point_is_405() {
    let app = app();
    let mut call = post("102", json!({}));
    call.method = Method::PUT;
    assert_eq!(call.send(&app).await.error(), (405, "METHOD_NOT_ALLOWED".into()));
    let mut call = get("101", "");
    call.method = Method::DELETE;
    assert_eq!(call.send(&app).await.error(), (405, "METHOD_NOT_ALLOWED".into()));
}

#[tokio::test]
async fn get_with_a_body_is_400() {
    let app = app();
    let mut call = get("102", "item_id=100");
    call.body = Some("{}".into());
    assert_eq!(call.send(&app).await.error(), (400, "INVALID_REQUEST".into()));
}

#[rstest]
#[case::form("application/x-www-form-urlencoded")]
#[case::wrong_case("Application/JSON")]
#[case::html("text/html")]
#[tokio::test]
async fn unsupported_content_types_are_415_and_change_nothing(#[case] content_type: &'static str) {
    let app = app();
    let mut call = post(
        "101",
        json!({"account": 113, "items": [{"itemId": 3569, "quantity": 1, "location": 1}]}),
    );
    call.content_type = Some(content_type);
    let reply = call.send(&app).await;
    assert_eq!(reply.status.as_u16(), 415);
    assert_eq!(reply.headers["content-type"], "text/plain;charset=utf-8");
    assert!(
        reply
            .body
            .starts_with("error code: INVALID_CONTENT_TYPE error message: Invalid content type."),
        "{}",
        reply.body
    );
    assert_eq!(stock(&app, 3569, 1).await, "20/0/0/0/0 avail 20");
}

#[tokio::test]
async fn a_post_body_without_content_type_is_415() {
    let app = app();
    let mut call = post("101", json!({"account": 113}));
    call.content_type = None;
    assert_eq!(call.send(&app).await.status.as_u16(), 415);
}

#[rstest]
#[case::no_content_type(None)]
#[case::text(Some("text/plain"))]
#[tokio::test]
async fn an_object_returned_to_a_non_json_request_is_400(
    #[case] content_type: Option<&'static str>,
) {
    let app = app();
    let mut call = get("102", "item_id=100");
    call.content_type = content_type;
    let reply = call.send(&app).await;
    assert_eq!(reply.status.as_u16(), 400);
    assert_eq!(reply.headers["content-type"], "text/plain;charset=utf-8");
    assert_eq!(
        reply.body,
        "error code: INVALID_RETURN_DATA_FORMAT error message: Invalid data format. You should return text."
    );
}

#[tokio::test]
async fn xml_requests_get_the_xml_envelope() {
    let app = app();
    let mut call = post("101", json!({}));
    call.content_type = Some("application/xml");
    call.body = Some("<a/>".into());
    let reply = call.send(&app).await;
    assert_eq!(reply.status.as_u16(), 400);
    assert_eq!(
        reply.body,
        "<error><code>INVALID_RETURN_DATA_FORMAT</code><message>Invalid data format. You should return text.</message></error>"
    );
}

#[tokio::test]
async fn bodies_over_the_limit_are_refused() {
    let mut config = restlet_server::ServerConfig::new(
        fixture::Fixture::demo(),
        inventory_store::DbTarget::Memory,
    );
    config.max_body_bytes = 1000;
    let app = restlet_server::App::new(config).unwrap();
    let mut call = post("101", json!({}));
    call.body = Some(format!("{{\"memo\":\"{}\"}}", "x".repeat(2000)));
    assert_eq!(call.send(&app).await.error(), (413, "INVALID_REQUEST".into()));
}

#[tokio::test]
async fn malformed_json_is_a_syntax_error() {
    let app = app();
    let mut call = post("101", json!({}));
    call.body = Some("{\"account\": 113,".into());
    let reply = call.send(&app).await;
    assert_eq!(reply.error(), (400, "SyntaxError".into()));
}

#[tokio::test]
async fn handler_errors_are_400_with_code_and_message() {
    let app = app();
    let reply = post(
        "101",
        json!({"account": 113, "adjLocation": 1, "items": [{"itemId": 999, "quantity": 1}]}),
    )
    .send(&app)
    .await;
    assert_eq!(reply.error(), (400, "INVALID_KEY_OR_REF".into()));
    assert_eq!(reply.json()["error"]["message"], "Invalid item reference key 999.");
}

#[tokio::test]
async fn unknown_paths_are_404() {
    let app = app();
    let reply = admin(&app, Method::GET, "/services/rest/record/v1/item", None).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn usage_limit_exceeded_writes_nothing() {
    let app = app();
    // 200 one-line adjustments cost 200 x 31 units, over the 5,000 of one execution.
    let operations: Vec<_> = (0..200)
        .map(|i| json!({"type": "inventoryAdjustment", "body": {"externalId": format!("u-{i}"), "account": 113, "items": [{"itemId": 3569, "quantity": 1, "location": 1}]}}))
        .collect();
    let reply = post("110", json!({"mode": "partial", "async": false, "operations": operations}))
        .send(&app)
        .await;
    assert_eq!(reply.error(), (400, "SSS_USAGE_LIMIT_EXCEEDED".into()));
    assert_eq!(reply.json()["error"]["message"], "Script Execution Usage Limit Exceeded");
    assert_eq!(stock(&app, 3569, 1).await, "20/0/0/0/0 avail 20");
}

#[tokio::test]
async fn internal_errors_use_the_unexpected_error_envelope() {
    let err = restlet_server::RestletError::internal("boom");
    let (status, code, message) = err.parts();
    assert_eq!((status.as_u16(), code.as_str()), (500, "UNEXPECTED_ERROR"));
    assert!(message.starts_with("An unexpected error occurred. Error ID: "), "{message}");
    assert!(!message.contains("boom"));
}
