//! Inventory count and reconcile (script 109): start (snapshot), count, approve (up to two
//! adjustments), reject; or `reconcile` to do all of it in one call (facts 6.2).

use inventory_domain::{
    Applied, CountEnterTx, CountReconcileTx, CountStartTx, DocId, Inventory, ItemRef, Quantity, Tx,
    TxError,
};
use serde_json::{Value, json};

use super::{required_item, required_quantity};
use crate::error::{RestletError, invalid_field};
use crate::wire::{Fields, dec};

fn count_id(fields: &Fields<'_>) -> Result<DocId, RestletError> {
    Ok(DocId(fields.id("countId")?.ok_or(TxError::MissingField("countId"))?))
}

fn counts(fields: &Fields<'_>) -> Result<Vec<(ItemRef, Quantity)>, RestletError> {
    super::items(fields)?
        .iter()
        .map(|line| {
            let line = Fields::new(line)?;
            Ok((required_item(&line)?, required_quantity(&line, "countQuantity")?))
        })
        .collect()
}

/// `{"action":"start","location","items"?:[{"itemId"|"sku"}]}`,
/// `{"action":"count","countId","items":[{"itemId"|"sku","countQuantity"}],"complete"?}`,
/// `{"action":"approve"|"reject","countId"}`,
/// `{"action":"reconcile","location","items":[{"itemId"|"sku","countQuantity"}]}`.
pub(super) fn decode(fields: &Fields<'_>) -> Result<Vec<Tx>, RestletError> {
    let action = fields.string("action")?.ok_or(TxError::MissingField("action"))?;
    Ok(match action {
        "start" => {
            let items = match fields.array("items")? {
                None => None,
                Some(items) => Some(
                    items
                        .iter()
                        .map(|i| required_item(&Fields::new(i)?))
                        .collect::<Result<_, _>>()?,
                ),
            };
            vec![Tx::CountStart(CountStartTx { location: fields.location("location")?, items })]
        }
        "count" => vec![Tx::CountEnter(CountEnterTx {
            count: count_id(fields)?,
            counts: counts(fields)?,
            complete: fields.bool("complete")?,
        })],
        "approve" => vec![Tx::CountApprove(count_id(fields)?)],
        "reject" => vec![Tx::CountReject(count_id(fields)?)],
        "reconcile" => {
            vec![Tx::CountReconcile(CountReconcileTx {
                location: fields.location("location")?,
                counts: counts(fields)?,
            })]
        }
        other => return Err(invalid_field("action", other)),
    })
}

pub(super) fn render(inv: &Inventory, applied: &[Applied]) -> Value {
    let records: Vec<_> = applied.iter().flat_map(|a| &a.records).collect();
    let count = records[0].id;
    let action =
        records.iter().rev().find(|r| r.record_type == "inventorycount").map_or("", |r| r.action);
    let mut out = json!({"success": true, "countId": count.0, "action": action});
    if let Some(document) = super::document_after(inv, applied, count) {
        out["status"] = json!(document.status());
        out["location"] = match document {
            inventory_domain::Document::Count { location, .. } => json!(location.0),
            _ => Value::Null,
        };
        out["lines"] = super::orders::lines(document);
    }
    if action == "approve" {
        out["adjustments"] = records
            .iter()
            .filter(|r| r.record_type == "inventoryadjustment")
            .map(|r| {
                let lines: Vec<Value> =
                    r.lines.iter().map(|l| json!({"item": l.item.0, "location": l.location.0, "quantity": dec(l.quantity)})).collect();
                json!({"adjustmentId": r.id.0, "lines": lines})
            })
            .collect();
    }
    out
}
