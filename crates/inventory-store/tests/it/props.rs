//! Property tests through the store: random operation sequences (valid and invalid, with and
//! without repeated external ids) leave the in-memory state equal to what a reopened file
//! database holds, and replays change nothing.

use inventory_domain::{
    CountEnterTx, CountStartTx, DocId, ItemId, ItemRef, LinePick, LineSel, LocationId, OrderLine,
    OrderStepTx, OrderTx, Quantity, TransferLine, TransferTx, Tx, TxError,
};
use inventory_store::{ApplyError, DbTarget, Outcome, TxMeta};
use proptest::prelude::*;
use rust_decimal::Decimal;

use crate::support::*;

const ITEMS: [u64; 4] = [3569, 4152, 100, 200];
const LOCATIONS: [u64; 3] = [1, 3, 103];

fn q(n: i64) -> Quantity {
    Quantity::new(Decimal::from(n), "quantity").unwrap()
}

fn item(i: usize) -> ItemRef {
    ItemRef::Id(ItemId(ITEMS[i]))
}

fn loc(l: usize) -> Option<LocationId> {
    Some(LocationId(LOCATIONS[l]))
}

fn order(lines: Vec<(usize, usize, i64)>) -> OrderTx {
    OrderTx {
        location: None,
        lines: lines
            .into_iter()
            .map(|(i, l, n)| OrderLine {
                item: item(i),
                location: loc(l),
                quantity: q(n),
                rate: None,
            })
            .collect(),
    }
}

fn step(doc: u64, picks: Option<(usize, i64)>) -> OrderStepTx {
    OrderStepTx {
        order: DocId(1000 + doc),
        lines: picks.map(|(line, n)| {
            vec![LinePick { line: LineSel::Line(line + 1), quantity: Some(q(n)) }]
        }),
    }
}

fn tx_strategy() -> impl Strategy<Value = Tx> {
    let line = (0..4usize, 0..3usize, -6i64..10);
    let pos = (0..4usize, 0..3usize, 1i64..10);
    let pick = prop::option::of((0..2usize, 1i64..10));
    prop_oneof![
        prop::collection::vec(line, 1..4).prop_map(|v| adjust(
            &v.iter().map(|(i, l, n)| (ITEMS[*i], LOCATIONS[*l], *n)).collect::<Vec<_>>()
        )),
        prop::collection::vec(pos.clone(), 1..3).prop_map(|v| Tx::PurchaseOrder(order(v))),
        prop::collection::vec(pos, 1..3).prop_map(|v| Tx::SalesOrder(order(v))),
        (0..12u64, pick.clone()).prop_map(|(d, p)| Tx::ItemReceipt(step(d, p))),
        (0..12u64, pick).prop_map(|(d, p)| Tx::ItemFulfillment(step(d, p))),
        (0..4usize, 0..3usize, 0..3usize, 1i64..10).prop_map(|(i, a, b, n)| Tx::Transfer(
            TransferTx {
                from: loc(a),
                to: loc(b),
                lines: vec![TransferLine { item: item(i), quantity: q(n) }]
            }
        )),
        (0..4usize, 0..3usize, 0..3usize, 1i64..10).prop_map(|(i, a, b, n)| Tx::TransferOrder(
            TransferTx {
                from: loc(a),
                to: loc(b),
                lines: vec![TransferLine { item: item(i), quantity: q(n) }]
            }
        )),
        (0..12u64).prop_map(|d| Tx::TransferOrderShip(step(d, None))),
        (0..12u64).prop_map(|d| Tx::TransferOrderReceive(step(d, None))),
        (0..3usize).prop_map(|l| Tx::CountStart(CountStartTx { location: loc(l), items: None })),
        (0..12u64, 0..4usize, 0i64..30).prop_map(|(d, i, n)| Tx::CountEnter(CountEnterTx {
            count: DocId(1000 + d),
            counts: vec![(item(i), q(n))],
            complete: true
        })),
        (0..12u64).prop_map(|d| Tx::CountApprove(DocId(1000 + d))),
    ]
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(256)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn state_survives_reopen_and_replays_change_nothing(
        ops in prop::collection::vec((tx_strategy(), prop::option::of(0..4u8), any::<bool>()), 1..30),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let target = DbTarget::File(dir.path().join("state.db"));
        let mut store = open(&target);
        let mut remembered: std::collections::HashMap<(String, String), String> = Default::default();
        for (tx, external, commit) in ops {
            let external_id = external.map(|n| format!("ext-{n}"));
            let body_hash = format!("{tx:?}");
            let record_type = tx.record_type();
            let before = snapshot(&store);
            let key = external_id.clone().map(|e| (record_type.to_string(), e));
            let mut work = store.begin(ACCOUNT).unwrap();
            let meta = TxMeta { external_id: external_id.as_deref(), actor: "wms", now: 0 };
            let result = work.apply_once(vec![tx], meta, &body_hash, |_, applied| format!("{}", applied[0].id()));
            match (&result, key.as_ref().and_then(|k| remembered.get(k))) {
                (Ok(Outcome::Replayed { response }), Some(_)) => {
                    drop(work);
                    prop_assert_eq!(snapshot(&store), before.clone(), "a replay changed state");
                    let _ = response;
                }
                (Err(ApplyError::Refused(TxError::DuplicateRecord { .. })), Some(_)) => {
                    drop(work);
                    prop_assert_eq!(snapshot(&store), before.clone(), "a conflicting replay changed state");
                }
                (Ok(Outcome::Applied { response }), None) => {
                    if commit {
                        work.commit().unwrap();
                        if let Some(key) = key { remembered.insert(key, response.clone()); }
                    } else {
                        // Dropping the unit rolls it back, memory and database alike.
                        drop(work);
                        prop_assert_eq!(snapshot(&store), before.clone(), "a dropped unit left changes");
                    }
                }
                (Err(ApplyError::Refused(_)), None) => {
                    drop(work);
                    prop_assert_eq!(snapshot(&store), before.clone(), "a refused transaction changed state");
                }
                (other, seen) => prop_assert!(false, "unexpected {:?} with remembered {:?}", other, seen),
            }
        }
        let live = snapshot(&store);
        drop(store);
        prop_assert_eq!(snapshot(&open(&target)), live);
    }
}
