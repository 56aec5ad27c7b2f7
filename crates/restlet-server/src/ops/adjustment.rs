//! Inventory adjustment (script 101, POST; contract 5, pinned shape).

use inventory_domain::{AdjustmentLine, AdjustmentTx, Applied, Inventory, Tx, TxError};
use serde_json::{Value, json};

use super::required_quantity;
use crate::error::RestletError;
use crate::wire::{Fields, dec};

/// `{"externalId","account","adjLocation","memo","allowPartial","items":[{"itemId"|"sku",
/// "quantity","location","rate"}]}`. A line that fails to decode keeps its error so that
/// `allowPartial` can report it by index.
pub(super) fn decode(fields: &Fields<'_>) -> Result<Tx, RestletError> {
    let lines = super::items(fields)?
        .iter()
        .map(|line| {
            decode_line(line).map_err(|err| match err {
                RestletError::Tx(err) => err,
                other => TxError::InvalidField { field: "items", value: other.to_string() },
            })
        })
        .collect();
    Ok(Tx::Adjustment(AdjustmentTx {
        account: fields.id("account")?,
        location: fields.location("adjLocation")?,
        lines,
        allow_partial: fields.bool("allowPartial")?,
    }))
}

fn decode_line(value: &Value) -> Result<AdjustmentLine, RestletError> {
    let fields = Fields::new(value)?;
    Ok(AdjustmentLine {
        item: super::required_item(&fields)?,
        location: fields.location("location")?,
        quantity: required_quantity(&fields, "quantity")?,
        rate: fields.quantity("rate")?,
    })
}

pub(super) fn render(inv: &Inventory, applied: &Applied) -> Value {
    let record = &applied.records[0];
    let lines: Vec<Value> = record
        .lines
        .iter()
        .map(|line| {
            let level = inv.level(line.item, line.location);
            json!({
                "index": line.index,
                "item": line.item.0,
                "location": line.location.0,
                "quantity": dec(line.quantity),
                "quantityOnHand": dec(level.on_hand),
                "quantityAvailable": dec(level.available()),
            })
        })
        .collect();
    let mut out = json!({"success": true, "adjustmentId": record.id.0, "lines": lines});
    if !applied.rejected.is_empty() {
        out["rejected"] = applied
            .rejected
            .iter()
            .map(|(index, err)| json!({"index": index, "error": {"code": err.code(), "message": err.to_string()}}))
            .collect();
    }
    out
}
