//! Stock query (script 102, GET; contract 5, pinned shape).

use inventory_domain::{ItemId, ItemRef, Level, LocationId, TxError};
use rust_decimal::Decimal;
use serde_json::{Map, Value, json};

use crate::error::{RestletError, invalid_field};
use crate::wire::{Fields, dec};

/// At most this many items in one `item_ids` query.
const MAX_ITEMS: usize = 1000;

/// `?item_id=100&location_id=3`, or `sku=`, or `item_ids=1,2,3`; `location_id` optional.
pub(super) fn query(
    inv: &inventory_domain::Inventory,
    input: &Value,
) -> Result<Value, RestletError> {
    let fields = Fields::new(input)?;
    let location = fields.id("location_id")?.map(LocationId);
    if let Some(location) = location
        && inv.location(location).is_none()
    {
        return Err(TxError::UnknownLocation(location.0).into());
    }
    let one = |item: ItemRef| -> Result<Value, RestletError> {
        let item = inv.resolve_item(&item)?;
        Ok(match location {
            Some(location) => at_location(item, location, &inv.level(item, location)),
            None => totals(inv, item),
        })
    };
    if let Some(ids) = fields.text("item_ids")? {
        let ids: Vec<&str> = ids.split(',').map(str::trim).filter(|s| !s.is_empty()).collect();
        if ids.is_empty() {
            return Err(RestletError::MissingParam("item_id"));
        }
        if ids.len() > MAX_ITEMS {
            return Err(invalid_field(
                "item_ids",
                format!("{} ids (at most {MAX_ITEMS})", ids.len()),
            ));
        }
        let items = ids
            .iter()
            .map(|id| {
                id.parse()
                    .map_err(|_| invalid_field("item_ids", id))
                    .and_then(|id| one(ItemRef::Id(ItemId(id))))
            })
            .collect::<Result<Vec<_>, _>>()?;
        return Ok(json!({"items": items}));
    }
    if let Some(id) = fields.id("item_id")? {
        return one(ItemRef::Id(ItemId(id)));
    }
    if let Some(sku) = fields.string("sku")? {
        return one(ItemRef::Sku(sku.to_string()));
    }
    Err(RestletError::MissingParam("item_id"))
}

fn quantities(map: &mut Map<String, Value>, level: &Level) {
    map.insert("quantityOnHand".into(), dec(level.on_hand));
    map.insert("quantityAvailable".into(), dec(level.available()));
    map.insert("quantityCommitted".into(), dec(level.committed));
    map.insert("quantityOnOrder".into(), dec(level.on_order));
    map.insert("quantityInTransit".into(), dec(level.in_transit));
    map.insert("quantityBackOrdered".into(), dec(level.back_ordered));
}

fn at_location(item: ItemId, location: LocationId, level: &Level) -> Value {
    let mut map = Map::new();
    map.insert("item".into(), json!(item.0));
    map.insert("location".into(), json!(location.0));
    quantities(&mut map, level);
    Value::Object(map)
}

/// Item totals (available summed per location, as NetSuite's item-level field) and one entry
/// per location with any non-zero quantity.
fn totals(inv: &inventory_domain::Inventory, item: ItemId) -> Value {
    let mut total = Level::default();
    let mut available = Decimal::ZERO;
    let mut locations = Vec::new();
    for (location, level) in inv.levels_of(item) {
        total.on_hand += level.on_hand;
        total.committed += level.committed;
        total.on_order += level.on_order;
        total.in_transit += level.in_transit;
        total.back_ordered += level.back_ordered;
        available += level.available();
        let mut entry = Map::new();
        entry.insert("location".into(), json!(location.0));
        quantities(&mut entry, level);
        locations.push(Value::Object(entry));
    }
    let mut map = Map::new();
    map.insert("item".into(), json!(item.0));
    quantities(&mut map, &total);
    map.insert("quantityAvailable".into(), dec(available));
    map.insert("locations".into(), Value::Array(locations));
    Value::Object(map)
}
