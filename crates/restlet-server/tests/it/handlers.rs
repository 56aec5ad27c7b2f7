//! Each built-in RESTlet end to end over a loopback socket.

use http::Method;
use restlet_server::MockNetSuite;
use serde_json::{Value, json};

use crate::support::*;

async fn call(server: &MockNetSuite, call: Call) -> Reply {
    call.send_to(server).await.expect("loopback request")
}

async fn level(server: &MockNetSuite, item: u64, location: u64) -> String {
    stock(server.app(), item, location).await
}

#[tokio::test]
async fn adjustment_pinned_body_and_idempotency() {
    let server = MockNetSuite::start().await;
    let body = json!({"externalId":"wms-cc-0001","account":113,"adjLocation":1,"memo":"cycle count","items":[{"itemId":3569,"quantity":5,"rate":20.0},{"sku":"GADGET-BLUE","quantity":-2,"location":1}]});
    let first = call(&server, post("customscript_inventory_adjustment", body.clone())).await.ok();
    assert_eq!(first["success"], true);
    assert_eq!(first["adjustmentId"], 1000);
    assert_eq!(level(&server, 3569, 1).await, "25/0/0/0/0 avail 25");
    assert_eq!(level(&server, 4152, 1).await, "8/0/0/0/0 avail 8");
    // Same external id, same body (keys reordered): the original result, flagged, state unchanged.
    let reordered: Value = serde_json::from_str(r#"{"items":[{"itemId":3569,"quantity":5,"rate":20.0},{"sku":"GADGET-BLUE","quantity":-2,"location":1}],"memo":"cycle count","adjLocation":1,"account":113,"externalId":"wms-cc-0001"}"#).unwrap();
    let again = call(&server, post("101", reordered)).await.ok();
    assert_eq!(again["duplicate"], true);
    assert_eq!(again["adjustmentId"], 1000);
    assert_eq!(level(&server, 3569, 1).await, "25/0/0/0/0 avail 25");
    // Same external id, different body.
    let mut changed = body.clone();
    changed["memo"] = json!("other");
    let reply = call(&server, post("101", changed)).await;
    assert_eq!(reply.error(), (400, "DUP_RCRD".into()));
    assert_eq!(reply.json()["error"]["message"], "This record already exists");
    let trail =
        admin(server.app(), Method::GET, "/__admin/transactions?externalId=wms-cc-0001", None)
            .await
            .json();
    assert_eq!(trail["transactions"].as_array().unwrap().len(), 1);
    assert_eq!(trail["transactions"][0]["actor"], "wms");
}

#[tokio::test]
async fn adjustment_errors_and_allow_partial() {
    let server = MockNetSuite::start().await;
    let cases = [
        (
            json!({"account":113,"items":[]}),
            "USER_ERROR",
            "You must enter at least one line item for this transaction.",
        ),
        (
            json!({"adjLocation":1,"items":[{"itemId":3569,"quantity":1}]}),
            "USER_ERROR",
            "Please enter value(s) for: Adjustment Account",
        ),
        (
            json!({"account":113,"adjLocation":1,"items":[{"itemId":999,"quantity":1}]}),
            "INVALID_KEY_OR_REF",
            "Invalid item reference key 999.",
        ),
        (
            json!({"account":113,"adjLocation":7,"items":[{"itemId":3569,"quantity":1}]}),
            "INVALID_KEY_OR_REF",
            "Invalid location reference key 7.",
        ),
        (
            json!({"account":113,"adjLocation":1,"items":[{"itemId":3569,"quantity":"ten"}]}),
            "INVALID_FLD_VALUE",
            "You have entered an Invalid Field Value ten for the following field: quantity",
        ),
        (
            json!({"account":113,"adjLocation":1,"items":[{"itemId":3569,"quantity":0}]}),
            "INVALID_FLD_VALUE",
            "You have entered an Invalid Field Value 0 for the following field: adjustqtyby",
        ),
        (
            json!({"account":113,"adjLocation":1,"items":[{"itemId":3569,"quantity":-21}]}),
            "USER_ERROR",
            "Insufficient quantity for item 3569 at location 1: You only have 20 available. Please enter a different quantity.",
        ),
    ];
    for (body, code, message) in cases {
        let reply = call(&server, post("101", body.clone())).await;
        assert_eq!(reply.error(), (400, code.to_string()), "{body}");
        assert_eq!(reply.json()["error"]["message"], message, "{body}");
    }
    let many: Vec<Value> = (0..1001).map(|_| json!({"itemId":3569,"quantity":1})).collect();
    let reply =
        call(&server, post("101", json!({"account":113,"adjLocation":1,"items":many}))).await;
    assert_eq!(reply.error(), (400, "EXCEEDED_MAX_TRANS_LINES".into()));
    assert_eq!(level(&server, 3569, 1).await, "20/0/0/0/0 avail 20");

    let partial = json!({"account":113,"adjLocation":1,"allowPartial":true,"items":[{"itemId":3569,"quantity":2},{"sku":"NOPE","quantity":1},{"itemId":4152,"quantity":"x"}]});
    let json = call(&server, post("101", partial)).await.ok();
    assert_eq!(
        json["rejected"],
        json!([
            {"index":1,"error":{"code":"INVALID_KEY_OR_REF","message":"Invalid item reference key NOPE."}},
            {"index":2,"error":{"code":"INVALID_FLD_VALUE","message":"You have entered an Invalid Field Value x for the following field: quantity"}}
        ])
    );
    assert_eq!(level(&server, 3569, 1).await, "22/0/0/0/0 avail 22");
    let all_bad = json!({"account":113,"adjLocation":1,"allowPartial":true,"items":[{"sku":"NOPE","quantity":1}]});
    assert_eq!(
        call(&server, post("101", all_bad)).await.error(),
        (400, "INVALID_KEY_OR_REF".into())
    );
}

#[tokio::test]
async fn stock_query_shapes() {
    let server = MockNetSuite::start().await;
    let totals = call(&server, get("102", "item_id=3569")).await.ok();
    assert_eq!(totals["quantityOnHand"], 25);
    assert_eq!(
        totals["locations"],
        json!([
            {"location":1,"quantityOnHand":20,"quantityAvailable":20,"quantityCommitted":0,"quantityOnOrder":0,"quantityInTransit":0,"quantityBackOrdered":0},
            {"location":3,"quantityOnHand":5,"quantityAvailable":5,"quantityCommitted":0,"quantityOnOrder":0,"quantityInTransit":0,"quantityBackOrdered":0}
        ])
    );
    let many = call(&server, get("102", "item_ids=100,3569,200&location_id=3")).await.ok();
    let on_hand: Vec<&Value> =
        many["items"].as_array().unwrap().iter().map(|i| &i["quantityOnHand"]).collect();
    assert_eq!(on_hand, vec![&json!(25), &json!(5), &json!(0)]);
    let reply = call(&server, get("102", "")).await;
    assert_eq!(reply.error(), (400, "MISSING_PARAM".into()));
    assert_eq!(reply.json()["error"]["message"], "item_id is required");
    assert_eq!(
        call(&server, get("102", "item_id=100&location_id=9")).await.error(),
        (400, "INVALID_KEY_OR_REF".into())
    );
    assert_eq!(
        call(&server, get("102", "sku=NOPE")).await.error(),
        (400, "INVALID_KEY_OR_REF".into())
    );
}

#[tokio::test]
async fn purchase_order_partial_receipts() {
    let server = MockNetSuite::start().await;
    let po = call(&server, post("103", json!({"externalId":"po-1","location":1,"items":[{"itemId":200,"quantity":10,"rate":3.5}]}))).await.ok();
    let id = po["purchaseOrderId"].as_u64().unwrap();
    assert_eq!(po["status"], "Pending Receipt");
    assert_eq!(level(&server, 200, 1).await, "0/0/10/0/0 avail 0");
    let read = call(&server, get("103", &format!("id={id}"))).await.ok();
    assert_eq!(read["lines"][0]["rate"], json!(3.5));
    let r1 = call(
        &server,
        post(
            "104",
            json!({"externalId":"ir-1","purchaseOrderId":id,"items":[{"line":1,"quantity":4}]}),
        ),
    )
    .await
    .ok();
    assert_eq!(r1["orderStatus"], "Partially Received");
    assert_eq!(level(&server, 200, 1).await, "4/0/6/0/0 avail 4");
    let over = call(
        &server,
        post("104", json!({"purchaseOrderId":id,"items":[{"itemId":200,"quantity":7}]})),
    )
    .await;
    assert_eq!(over.error(), (400, "OVERAGE_DISALLWD".into()));
    call(&server, post("104", json!({"externalId":"ir-2","purchaseOrderId":id}))).await.ok();
    assert_eq!(level(&server, 200, 1).await, "10/0/0/0/0 avail 10");
    let again = call(&server, post("104", json!({"purchaseOrderId":id}))).await;
    assert_eq!(again.error(), (400, "INVALID_INITIALIZE_REF".into()));
    assert_eq!(call(&server, get("103", "id=1")).await.error(), (400, "RCRD_DSNT_EXIST".into()));
}

#[tokio::test]
async fn sales_order_commit_backorder_fulfil() {
    let server = MockNetSuite::start().await;
    let so = call(
        &server,
        post(
            "105",
            json!({"externalId":"so-1","items":[{"sku":"GADGET-BLUE","quantity":12,"location":1}]}),
        ),
    )
    .await
    .ok();
    let id = so["salesOrderId"].as_u64().unwrap();
    assert_eq!(so["lines"][0]["quantityCommitted"], 10);
    assert_eq!(so["lines"][0]["quantityBackOrdered"], 2);
    assert_eq!(level(&server, 4152, 1).await, "10/10/0/0/2 avail 0");
    let over =
        call(&server, post("106", json!({"salesOrderId":id,"items":[{"line":1,"quantity":11}]})))
            .await;
    assert_eq!(over.error(), (400, "USER_ERROR".into()));
    let f = call(&server, post("106", json!({"externalId":"if-1","salesOrderId":id}))).await.ok();
    assert_eq!(f["orderStatus"], "Partially Fulfilled");
    assert_eq!(level(&server, 4152, 1).await, "0/0/0/0/2 avail 0");
    call(
        &server,
        post("101", json!({"account":113,"items":[{"itemId":4152,"quantity":5,"location":1}]})),
    )
    .await
    .ok();
    assert_eq!(level(&server, 4152, 1).await, "5/2/0/0/0 avail 3");
    call(&server, post("106", json!({"salesOrderId":id}))).await.ok();
    let read = call(&server, get("105", &format!("id={id}"))).await.ok();
    assert_eq!(read["status"], "Pending Billing");
    assert_eq!(
        call(&server, post("106", json!({"salesOrderId":id}))).await.error(),
        (400, "INVALID_INITIALIZE_REF".into())
    );
}

#[tokio::test]
async fn transfer_and_transfer_order() {
    let server = MockNetSuite::start().await;
    let t = call(&server, post("107", json!({"externalId":"tr-1","fromLocation":103,"toLocation":3,"items":[{"itemId":100,"quantity":10}]}))).await.ok();
    assert!(t["transferId"].is_u64());
    assert_eq!(level(&server, 100, 103).await, "30/0/0/0/0 avail 30");
    assert_eq!(level(&server, 100, 3).await, "35/0/0/0/0 avail 35");
    assert_eq!(
        call(
            &server,
            post(
                "107",
                json!({"fromLocation":103,"toLocation":3,"items":[{"itemId":100,"quantity":31}]})
            )
        )
        .await
        .error(),
        (400, "USER_ERROR".into())
    );

    let created = call(&server, post("108", json!({"action":"create","fromLocation":103,"toLocation":1,"items":[{"itemId":100,"quantity":8}]}))).await.ok();
    let id = created["transferOrderId"].as_u64().unwrap();
    assert_eq!(level(&server, 100, 103).await, "30/8/0/0/0 avail 22");
    assert_eq!(level(&server, 100, 1).await, "0/0/8/0/0 avail 0");
    call(&server, post("108", json!({"action":"ship","transferOrderId":id}))).await.ok();
    assert_eq!(level(&server, 100, 103).await, "22/0/0/8/0 avail 22");
    let landed =
        call(&server, post("108", json!({"action":"receive","transferOrderId":id}))).await.ok();
    assert_eq!(landed["status"], "Received");
    assert_eq!(level(&server, 100, 103).await, "22/0/0/0/0 avail 22");
    assert_eq!(level(&server, 100, 1).await, "8/0/0/0/0 avail 8");
    assert_eq!(
        call(&server, post("108", json!({"action":"receive","transferOrderId":id}))).await.error(),
        (400, "INVALID_INITIALIZE_REF".into())
    );
}

#[tokio::test]
async fn count_reconcile_in_one_call_and_step_by_step() {
    let server = MockNetSuite::start().await;
    let r = call(&server, post("109", json!({"action":"reconcile","location":1,"items":[{"itemId":3569,"countQuantity":18},{"sku":"GADGET-BLUE","countQuantity":11}]}))).await.ok();
    assert_eq!(r["status"], "Approved");
    assert_eq!(r["adjustments"].as_array().unwrap().len(), 2);
    assert_eq!(level(&server, 3569, 1).await, "18/0/0/0/0 avail 18");
    assert_eq!(level(&server, 4152, 1).await, "11/0/0/0/0 avail 11");

    let started = call(&server, post("109", json!({"action":"start","location":3}))).await.ok();
    let id = started["countId"].as_u64().unwrap();
    call(&server, post("109", json!({"action":"count","countId":id,"complete":true,"items":[{"itemId":100,"countQuantity":26}]}))).await.ok();
    let approved = call(&server, post("109", json!({"action":"approve","countId":id}))).await.ok();
    assert_eq!(approved["adjustments"].as_array().unwrap().len(), 1);
    assert_eq!(level(&server, 100, 3).await, "26/0/0/0/0 avail 26");
    assert_eq!(
        call(&server, post("109", json!({"action":"approve","countId":id}))).await.error(),
        (400, "USER_ERROR".into())
    );
}

#[tokio::test]
async fn batch_atomic_partial_and_async() {
    let server = MockNetSuite::start().await;
    let mut operations: Vec<Value> = (0..50)
        .map(|i| json!({"type":"inventoryAdjustment","body":{"externalId":format!("b-{i}"),"account":113,"items":[{"itemId":3569,"quantity":1,"location":1}]}}))
        .collect();
    operations[17]["body"]["items"][0] = json!({"sku":"BAD-SKU","quantity":1,"location":1});
    let atomic =
        call(&server, post("110", json!({"mode":"atomic","operations":operations.clone()}))).await;
    assert_eq!(atomic.error(), (400, "INVALID_KEY_OR_REF".into()));
    assert_eq!(
        atomic.json()["error"]["message"],
        "operations[17]: Invalid item reference key BAD-SKU."
    );
    assert_eq!(level(&server, 3569, 1).await, "20/0/0/0/0 avail 20");

    let partial =
        call(&server, post("110", json!({"mode":"partial","operations":operations.clone()})))
            .await
            .ok();
    assert_eq!(partial["success"], false);
    assert_eq!(partial["results"][17]["error"]["code"], "INVALID_KEY_OR_REF");
    assert_eq!(level(&server, 3569, 1).await, "69/0/0/0/0 avail 69");

    let job =
        call(&server, post("110", json!({"mode":"partial","async":true,"operations":operations})))
            .await
            .ok();
    let job_id = job["jobId"].as_str().unwrap().to_string();
    assert_eq!(job["status"], "PENDING");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let status = loop {
        let status = call(&server, get("110", &format!("jobId={job_id}"))).await.ok();
        if status["status"] == "COMPLETE" || std::time::Instant::now() > deadline {
            break status;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    assert_eq!(status["status"], "COMPLETE");
    // Every operation repeats an external id already applied: all duplicates, nothing moves.
    assert_eq!(status["results"][0]["result"]["duplicate"], true);
    assert_eq!(level(&server, 3569, 1).await, "69/0/0/0/0 avail 69");
    assert_eq!(
        call(&server, get("110", "jobId=job-nope")).await.error(),
        (400, "RCRD_DSNT_EXIST".into())
    );
}

#[tokio::test]
async fn apply_then_drop_commits_and_the_retry_is_absorbed() {
    let server = MockNetSuite::start().await;
    admin(server.app(), Method::POST, "/__admin/faults", Some(json!({"script":"customscript_inventory_adjustment","action":"applyThenDrop","count":1}))).await;
    let body = json!({"externalId":"drop-1","account":113,"items":[{"itemId":3569,"quantity":3,"location":1}]});
    assert!(post("101", body.clone()).send_to(&server).await.is_err(), "the connection must drop");
    assert_eq!(level(&server, 3569, 1).await, "23/0/0/0/0 avail 23");
    let retry = call(&server, post("101", body)).await.ok();
    assert_eq!(retry["duplicate"], true);
    assert_eq!(level(&server, 3569, 1).await, "23/0/0/0/0 avail 23");
}
