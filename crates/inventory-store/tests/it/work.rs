//! Units of work: all-or-nothing, durable across reopen, idempotency rows, reset.

use inventory_store::{DbTarget, Remembered, TxQuery};
use rust_decimal::Decimal;

use crate::support::*;

#[test]
fn committed_work_survives_reopen_and_lands_in_the_audit_trail() {
    let dir = tempfile::tempdir().unwrap();
    let target = DbTarget::File(dir.path().join("state.db"));
    {
        let mut store = open(&target);
        let mut work = store.begin(ACCOUNT).unwrap();
        let applied =
            work.apply(adjust(&[(3569, 1, 5), (4152, 1, -2)]), meta(Some("wms-cc-0001"))).unwrap();
        assert_eq!(applied.id().0, 1000);
        work.remember(
            "inventoryadjustment",
            "wms-cc-0001",
            &Remembered { body_hash: "h".into(), response: "{}".into() },
        )
        .unwrap();
        work.commit().unwrap();
    }
    let store = open(&target);
    assert_eq!(on_hand(&store, 3569, 1), Decimal::from(25));
    assert_eq!(on_hand(&store, 4152, 1), Decimal::from(8));
    assert_eq!(store.inventory(ACCOUNT).unwrap().next_id(), 1001);
    let rows = store.transactions(ACCOUNT, &TxQuery::default()).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (
            rows[0].id,
            rows[0].record_type.as_str(),
            rows[0].external_id.as_deref(),
            rows[0].actor.as_str()
        ),
        (1000, "inventoryadjustment", Some("wms-cc-0001"), "wms")
    );
    let lines: Vec<(u64, u64, String)> =
        rows[0].lines.iter().map(|l| (l.item, l.location, l.quantity.to_string())).collect();
    assert_eq!(lines, vec![(3569, 1, "5".to_string()), (4152, 1, "-2".to_string())]);
}

#[test]
fn dropped_work_rolls_back_memory_and_database() {
    let dir = tempfile::tempdir().unwrap();
    let target = DbTarget::File(dir.path().join("state.db"));
    let mut store = open(&target);
    let before = snapshot(&store);
    {
        let mut work = store.begin(ACCOUNT).unwrap();
        work.apply(adjust(&[(3569, 1, 5)]), meta(Some("a"))).unwrap();
        work.apply(adjust(&[(100, 3, -1)]), meta(Some("b"))).unwrap();
        work.remember(
            "inventoryadjustment",
            "a",
            &Remembered { body_hash: "h".into(), response: "{}".into() },
        )
        .unwrap();
        // Dropped without commit.
    }
    assert_eq!(snapshot(&store), before);
    let work = store.begin(ACCOUNT).unwrap();
    assert_eq!(work.remembered("inventoryadjustment", "a").unwrap(), None);
    drop(work);
    assert!(store.transactions(ACCOUNT, &TxQuery::default()).unwrap().is_empty());
    drop(store);
    assert_eq!(snapshot(&open(&target)), before);
}

#[test]
fn refused_transaction_leaves_the_unit_intact() {
    let mut store = open(&DbTarget::Memory);
    let mut work = store.begin(ACCOUNT).unwrap();
    work.apply(adjust(&[(3569, 1, 5)]), meta(None)).unwrap();
    let err = work.apply(adjust(&[(3569, 1, 1), (3569, 1, -100)]), meta(None)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "Insufficient quantity for item 3569 at location 1: You only have 26 available. Please enter a different quantity."
    );
    work.commit().unwrap();
    assert_eq!(on_hand(&store, 3569, 1), Decimal::from(25));
    assert_eq!(store.transactions(ACCOUNT, &TxQuery::default()).unwrap().len(), 1);
}

#[test]
fn attempt_undoes_only_its_own_part() {
    let mut store = open(&DbTarget::Memory);
    let mut work = store.begin(ACCOUNT).unwrap();
    work.apply(adjust(&[(3569, 1, 1)]), meta(Some("keep"))).unwrap();
    let result: Result<(), inventory_store::ApplyError> = work.attempt(|work| {
        work.apply(adjust(&[(3569, 1, 2)]), meta(Some("undone")))?;
        work.apply(adjust(&[(3569, 1, -1000)]), meta(Some("refused")))?;
        Ok(())
    });
    assert!(result.is_err());
    work.apply(adjust(&[(3569, 1, 4)]), meta(Some("after"))).unwrap();
    work.commit().unwrap();
    assert_eq!(on_hand(&store, 3569, 1), Decimal::from(25));
    let ids: Vec<Option<String>> = store
        .transactions(ACCOUNT, &TxQuery::default())
        .unwrap()
        .into_iter()
        .map(|r| r.external_id)
        .collect();
    assert_eq!(ids, vec![Some("keep".to_string()), Some("after".to_string())]);
}

#[test]
fn remembered_responses_and_reset() {
    let dir = tempfile::tempdir().unwrap();
    let target = DbTarget::File(dir.path().join("state.db"));
    let mut store = open(&target);
    let fresh = snapshot(&store);
    let mut work = store.begin(ACCOUNT).unwrap();
    work.apply(adjust(&[(200, 103, 7)]), meta(Some("x"))).unwrap();
    let remembered = Remembered { body_hash: "abc".into(), response: "{\"success\":true}".into() };
    work.remember("inventoryadjustment", "x", &remembered).unwrap();
    work.commit().unwrap();
    let work = store.begin(ACCOUNT).unwrap();
    assert_eq!(work.remembered("inventoryadjustment", "x").unwrap(), Some(remembered));
    assert_eq!(work.remembered("purchaseorder", "x").unwrap(), None);
    drop(work);

    store.reset(Some(ACCOUNT)).unwrap();
    assert_eq!(snapshot(&store), fresh);
    assert!(store.transactions(ACCOUNT, &TxQuery::default()).unwrap().is_empty());
    let work = store.begin(ACCOUNT).unwrap();
    assert_eq!(work.remembered("inventoryadjustment", "x").unwrap(), None);
    drop(work);
    drop(store);
    assert_eq!(snapshot(&open(&target)), fresh);
}

#[test]
fn database_from_another_fixture_is_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let target = DbTarget::File(dir.path().join("state.db"));
    let mut store = open(&target);
    let mut work = store.begin(ACCOUNT).unwrap();
    work.apply(adjust(&[(200, 1, 1)]), meta(None)).unwrap();
    work.commit().unwrap();
    drop(store);
    let other = fixture::Fixture::parse(
        "accounts:\n  - id: \"1234567_SB1\"\n    locations: [{ id: 1, name: x }]\n    items: [{ id: 3569, sku: W }]\n",
        "other.yaml",
    )
    .unwrap();
    let err = inventory_store::Store::open(&target, other, inventory_store::Durability::Full)
        .err()
        .unwrap();
    assert!(
        err.to_string().starts_with(
            "the database does not match the fixture (account 1234567_SB1: unknown item"
        ),
        "{err}"
    );
}
