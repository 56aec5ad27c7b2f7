//! Identifiers, exact quantities and the per-location stock level.
//! Pure value types: no clock, no I/O, no serialization.

use std::fmt;

use rust_decimal::Decimal;

use crate::TxError;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub u64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id_type!(
    /// An item's NetSuite internal id (e.g. `3569`).
    ItemId
);
id_type!(
    /// A location's NetSuite internal id (e.g. `1` "Main Warehouse").
    LocationId
);
id_type!(
    /// A transaction's internal id; one sequence per account, shared by every record type,
    /// as NetSuite's transaction ids are.
    DocId
);

/// An item as a request names it: by internal id or by SKU (item name/number).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ItemRef {
    Id(ItemId),
    Sku(String),
}

impl fmt::Display for ItemRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ItemRef::Id(id) => id.fmt(f),
            ItemRef::Sku(sku) => f.write_str(sku),
        }
    }
}

/// An exact decimal quantity as a transaction line carries it.
///
/// Bounded so that sums over any realistic history cannot overflow `Decimal`'s 28 digits:
/// magnitude at most [`Quantity::MAX`], at most [`Quantity::MAX_SCALE`] decimal places.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Quantity(Decimal);

impl Quantity {
    /// Largest magnitude accepted on one line (one trillion units).
    pub const MAX: Decimal = Decimal::from_parts(3567587328, 232, 0, false, 0);
    /// Most decimal places accepted (NetSuite stores quantities with at most 8).
    pub const MAX_SCALE: u32 = 8;

    /// Checks the bounds; `field` names the NetSuite field in the error.
    pub fn new(value: Decimal, field: &'static str) -> Result<Quantity, TxError> {
        let value = value.normalize();
        if value.abs() > Self::MAX || value.scale() > Self::MAX_SCALE {
            return Err(TxError::InvalidField { field, value: value.to_string() });
        }
        Ok(Quantity(value))
    }

    /// Parses a decimal literal such as `"12.5"` or `"-3"`.
    pub fn parse(text: &str, field: &'static str) -> Result<Quantity, TxError> {
        let value: Decimal = text
            .trim()
            .parse()
            .map_err(|_| TxError::InvalidField { field, value: text.to_string() })?;
        Quantity::new(value, field)
    }

    pub fn get(self) -> Decimal {
        self.0
    }

    pub fn is_positive(self) -> bool {
        self.0 > Decimal::ZERO
    }
}

impl From<u32> for Quantity {
    fn from(value: u32) -> Quantity {
        Quantity(Decimal::from(value))
    }
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// What NetSuite tracks for one item at one location (facts 6.1.1).
///
/// `available` is derived, never stored. Each stored field equals the sum of the open documents
/// behind it: `committed` and `back_ordered` over open sales and transfer order lines at this
/// location, `on_order` over purchase order remainders and transfer orders inbound here,
/// `in_transit` over transfer order quantities shipped from here and not yet received.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Level {
    /// May go below zero only when the account allows negative inventory.
    pub on_hand: Decimal,
    /// Never negative.
    pub committed: Decimal,
    /// Never negative.
    pub on_order: Decimal,
    /// Never negative.
    pub in_transit: Decimal,
    /// Never negative.
    pub back_ordered: Decimal,
}

impl Level {
    /// On hand less committed, never negative: "never tracked as a negative quantity" (facts 6.1.1).
    pub fn available(&self) -> Decimal {
        (self.on_hand - self.committed).max(Decimal::ZERO)
    }

    pub fn is_zero(&self) -> bool {
        *self == Level::default()
    }
}

/// Whether an operation may take on hand below zero at a location (contract 5; facts 6.3.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NegativeInventory {
    /// Reject with `USER_ERROR` naming the item, location and quantity there.
    Block,
    /// Let on hand go negative, as NetSuite does for ordinary inventory items (facts 6.3.1).
    Allow,
}

/// Per-account inventory preferences.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Settings {
    pub negative_inventory: NegativeInventory,
    /// NetSuite's "Perform Item Commitment After Transaction Entry" (`AUTOMATICITEMCOMMITMENT`):
    /// stock that becomes available is committed to back-ordered lines, oldest order first.
    pub auto_commit: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    pub id: ItemId,
    /// Item name/number; unique within an account.
    pub sku: String,
    pub name: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    pub id: LocationId,
    pub name: String,
}
