//! Shared helpers: the demo store and small transaction builders.

use fixture::Fixture;
use inventory_domain::{AdjustmentLine, AdjustmentTx, ItemId, ItemRef, LocationId, Quantity, Tx};
use inventory_store::{DbTarget, Durability, Store, TxMeta};
use rust_decimal::Decimal;

pub(crate) const ACCOUNT: &str = "1234567_SB1";

pub(crate) fn open(target: &DbTarget) -> Store {
    Store::open(target, Fixture::demo(), Durability::Full).expect("open store")
}

pub(crate) fn meta(external_id: Option<&str>) -> TxMeta<'_> {
    TxMeta { external_id, actor: "wms", now: 1_700_000_000_000 }
}

pub(crate) fn adjust(lines: &[(u64, u64, i64)]) -> Tx {
    Tx::Adjustment(AdjustmentTx {
        account: Some(113),
        location: None,
        lines: lines
            .iter()
            .map(|(item, location, quantity)| {
                Ok(AdjustmentLine {
                    item: ItemRef::Id(ItemId(*item)),
                    location: Some(LocationId(*location)),
                    quantity: Quantity::new(Decimal::from(*quantity), "adjustqtyby").unwrap(),
                    rate: None,
                })
            })
            .collect(),
        allow_partial: false,
    })
}

pub(crate) fn on_hand(store: &Store, item: u64, location: u64) -> Decimal {
    store.inventory(ACCOUNT).unwrap().level(ItemId(item), LocationId(location)).on_hand
}

/// The whole observable state of the account, rendered for equality checks.
pub(crate) fn snapshot(store: &Store) -> String {
    let inv = store.inventory(ACCOUNT).unwrap();
    let mut out = format!("next {}\n", inv.next_id());
    for ((item, location), level) in inv.levels() {
        out += &format!("{item}@{location} {level:?}\n");
    }
    for (id, document) in inv.documents() {
        out += &format!("{id} {document:?}\n");
    }
    out
}
