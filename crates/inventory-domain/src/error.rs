//! Business-rule violations, each carrying NetSuite's error code and message.
//! `Display` is the exact message a RESTlet client sees (facts 3.4), so it follows NetSuite's
//! capitalisation and punctuation rather than Rust's convention.

use rust_decimal::Decimal;

use crate::{DocId, ItemId, LocationId};

/// Why a transaction (or one of its lines) was refused. A refused transaction changes nothing.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TxError {
    #[error("You must enter at least one line item for this transaction.")]
    NoLines,
    #[error("Please enter value(s) for: {0}")]
    MissingField(&'static str),
    #[error("Invalid item reference key {0}.")]
    UnknownItem(String),
    #[error("Invalid location reference key {0}.")]
    UnknownLocation(u64),
    #[error("That record does not exist.")]
    UnknownRecord { record_type: &'static str, id: u64 },
    #[error("You have entered an Invalid Field Value {value} for the following field: {field}")]
    InvalidField { field: &'static str, value: String },
    #[error("You have exceeded the maximum number of lines ({max}) allowed on this transaction.")]
    TooManyLines { max: usize },
    #[error(
        "Insufficient quantity for item {item} at location {location}: You only have {available} available. Please enter a different quantity."
    )]
    Insufficient { item: ItemId, location: LocationId, available: Decimal },
    #[error("You can not initialize {record_type}: invalid reference {id}.")]
    InvalidInitializeRef { record_type: &'static str, id: DocId },
    #[error(
        "Overage is not allowed. Line {line} of purchase order {order} has {remaining} remaining to receive."
    )]
    OverReceipt { order: DocId, line: usize, remaining: Decimal },
    #[error(
        "You can not over-fulfill an item unless you have selected the 'Allow Overage on Item Fulfillments' preference."
    )]
    OverFulfill { order: DocId, line: usize, remaining: Decimal },
    #[error(
        "You can not fulfill more than the committed quantity: line {line} of order {order} has {committed} committed."
    )]
    BeyondCommitted { order: DocId, line: usize, committed: Decimal },
    #[error(
        "Lines on transfer orders cannot be partially fulfilled or partially received; line {line} must be processed in full ({quantity})."
    )]
    PartialTransferLine { line: usize, quantity: Decimal },
    #[error("You can not fulfill or receive more than the quantity of line {line} ({quantity}).")]
    OverTransferLine { line: usize, quantity: Decimal },
    #[error("You can not recieve more from a transfer order than you have shipped")]
    ReceiveMoreThanShipped { line: usize },
    #[error("The order has no line {line}.")]
    UnknownLine { line: usize },
    #[error("{0}")]
    InvalidState(String),
    /// An external id already used, for this record type, by a request with another body
    /// (facts 7.1).
    #[error("This record already exists")]
    DuplicateRecord { record_type: &'static str, external_id: String },
    #[error(
        "You cannot approve a count that results in negative inventory: item {item} at location {location} would be {result}."
    )]
    CountWouldGoNegative { item: ItemId, location: LocationId, result: Decimal },
}

impl TxError {
    /// NetSuite's error code for this refusal.
    pub fn code(&self) -> &'static str {
        match self {
            TxError::NoLines
            | TxError::MissingField(_)
            | TxError::Insufficient { .. }
            | TxError::BeyondCommitted { .. }
            | TxError::InvalidState(_)
            | TxError::CountWouldGoNegative { .. } => "USER_ERROR",
            TxError::UnknownItem(_) | TxError::UnknownLocation(_) => "INVALID_KEY_OR_REF",
            TxError::UnknownRecord { .. } => "RCRD_DSNT_EXIST",
            TxError::InvalidField { .. } => "INVALID_FLD_VALUE",
            TxError::TooManyLines { .. } => "EXCEEDED_MAX_TRANS_LINES",
            TxError::InvalidInitializeRef { .. } => "INVALID_INITIALIZE_REF",
            TxError::OverReceipt { .. } => "OVERAGE_DISALLWD",
            TxError::OverFulfill { .. } => "OVER_FULFILL_DISALLWD",
            TxError::PartialTransferLine { .. } => "PARTIAL_FULFILL_RCEIV_DISALLWD",
            TxError::OverTransferLine { .. } => "OVER_FULFILL_RECEIV_DISALLWD",
            TxError::ReceiveMoreThanShipped { .. } => "TRANSORD_SHIP_REC_MISMATCH",
            TxError::UnknownLine { .. } => "INVALID_FLD_VALUE",
            TxError::DuplicateRecord { .. } => "DUP_RCRD",
        }
    }
}
