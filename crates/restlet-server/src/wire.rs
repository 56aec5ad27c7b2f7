//! NetSuite's wire format: reading request fields leniently as a SuiteScript RESTlet would
//! (ids as numbers or numeric strings), exact decimals in and out of JSON, content-type
//! negotiation, and the error envelope in JSON, XML and text (facts 2, 3.1).

use std::str::FromStr;

use inventory_domain::{ItemId, ItemRef, LocationId, Quantity};
use rust_decimal::Decimal;
use serde_json::{Map, Number, Value};

use crate::error::{RestletError, invalid_field};

/// The three request content types RESTlets accept (facts 2.1), compared exactly as
/// documented ("type them exactly as shown"); parameters such as `; charset=utf-8` are allowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ContentType {
    Json,
    Text,
    Xml,
}

impl ContentType {
    /// `None` for a missing header; `Err` for an unsupported one.
    pub(crate) fn from_header(value: Option<&str>) -> Result<Option<ContentType>, ()> {
        let Some(value) = value else { return Ok(None) };
        match value.split(';').next().unwrap_or("").trim() {
            "application/json" => Ok(Some(ContentType::Json)),
            "text/plain" => Ok(Some(ContentType::Text)),
            "application/xml" => Ok(Some(ContentType::Xml)),
            _ => Err(()),
        }
    }

    pub(crate) fn mime(self) -> &'static str {
        match self {
            ContentType::Json => "application/json;charset=utf-8",
            ContentType::Text => "text/plain;charset=utf-8",
            ContentType::Xml => "application/xml;charset=utf-8",
        }
    }
}

/// The error envelope in the response's format (facts 3.1.1-3.1.3).
pub(crate) fn error_body(format: ContentType, code: &str, message: &str) -> String {
    match format {
        ContentType::Json => {
            serde_json::json!({"error": {"code": code, "message": message}}).to_string()
        }
        ContentType::Xml => format!(
            "<error><code>{}</code><message>{}</message></error>",
            xml_escape(code),
            xml_escape(message)
        ),
        ContentType::Text => format!("error code: {code} error message: {message}"),
    }
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// An exact decimal as a JSON number (`25`, `2.5`), never through `f64`.
pub(crate) fn dec(value: Decimal) -> Value {
    Value::Number(
        Number::from_str(&value.normalize().to_string())
            .expect("a decimal's text is a JSON number"),
    )
}

/// A request body or query, read as an object of fields.
pub(crate) struct Fields<'a> {
    map: &'a Map<String, Value>,
}

impl<'a> Fields<'a> {
    pub(crate) fn new(value: &'a Value) -> Result<Fields<'a>, RestletError> {
        match value {
            Value::Object(map) => Ok(Fields { map }),
            other => Err(invalid_field("body", kind(other))),
        }
    }

    pub(crate) fn get(&self, name: &str) -> Option<&'a Value> {
        self.map.get(name).filter(|v| !v.is_null())
    }

    /// An internal id: a non-negative integer, or a string of digits.
    pub(crate) fn id(&self, name: &'static str) -> Result<Option<u64>, RestletError> {
        self.get(name).map(|v| id_value(v, name)).transpose()
    }

    pub(crate) fn string(&self, name: &'static str) -> Result<Option<&'a str>, RestletError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.as_str())),
            Some(other) => Err(invalid_field(name, kind(other))),
        }
    }

    /// A string or number rendered as text (external ids are often sent as numbers).
    pub(crate) fn text(&self, name: &'static str) -> Result<Option<String>, RestletError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::String(s)) if s.len() <= 255 => Ok(Some(s.clone())),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(other) => Err(invalid_field(name, kind(other))),
        }
    }

    pub(crate) fn bool(&self, name: &'static str) -> Result<bool, RestletError> {
        match self.get(name) {
            None => Ok(false),
            Some(Value::Bool(b)) => Ok(*b),
            Some(Value::String(s)) if s == "T" || s == "true" => Ok(true),
            Some(Value::String(s)) if s == "F" || s == "false" => Ok(false),
            Some(other) => Err(invalid_field(name, kind(other))),
        }
    }

    pub(crate) fn quantity(&self, name: &'static str) -> Result<Option<Quantity>, RestletError> {
        self.get(name).map(|v| quantity_value(v, name)).transpose()
    }

    pub(crate) fn array(&self, name: &'static str) -> Result<Option<&'a Vec<Value>>, RestletError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Array(items)) => Ok(Some(items)),
            Some(other) => Err(invalid_field(name, kind(other))),
        }
    }

    pub(crate) fn location(&self, name: &'static str) -> Result<Option<LocationId>, RestletError> {
        Ok(self.id(name)?.map(LocationId))
    }

    /// The item of a line: `itemId` (or `item` as a number) or `sku` (or `item` as text).
    pub(crate) fn item(&self) -> Result<Option<ItemRef>, RestletError> {
        if let Some(id) = self.id("itemId")? {
            return Ok(Some(ItemRef::Id(ItemId(id))));
        }
        if let Some(sku) = self.string("sku")? {
            return Ok(Some(ItemRef::Sku(sku.to_string())));
        }
        match self.get("item") {
            None => Ok(None),
            Some(Value::Number(_)) => Ok(Some(ItemRef::Id(ItemId(id_value(
                self.map.get("item").expect("present"),
                "item",
            )?)))),
            Some(Value::String(s)) => Ok(Some(ItemRef::Sku(s.clone()))),
            Some(other) => Err(invalid_field("item", kind(other))),
        }
    }
}

pub(crate) fn id_value(value: &Value, name: &'static str) -> Result<u64, RestletError> {
    match value {
        Value::Number(n) => n.as_u64().ok_or_else(|| invalid_field(name, n)),
        Value::String(s) => s.trim().parse().map_err(|_| invalid_field(name, s)),
        other => Err(invalid_field(name, kind(other))),
    }
}

/// A quantity from a JSON number or numeric string, kept exact.
pub(crate) fn quantity_value(value: &Value, name: &'static str) -> Result<Quantity, RestletError> {
    let text = match value {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        other => return Err(invalid_field(name, kind(other))),
    };
    // JSON allows exponents (1e2); Decimal's parser does not, so try scientific notation too.
    let parsed = Decimal::from_str(text.trim()).or_else(|_| Decimal::from_scientific(text.trim()));
    match parsed {
        Ok(value) => Ok(Quantity::new(value, name)?),
        Err(_) => Err(invalid_field(name, text)),
    }
}

fn kind(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        Value::Array(_) => "[array]".into(),
        Value::Object(_) => "[object]".into(),
    }
}
