//! Every way a RESTlet call can fail, and the one mapping from a failure to NetSuite's
//! (HTTP status, error code, message) (contract 4; facts 3).

use http::StatusCode;
use inventory_domain::TxError;

/// A failed RESTlet call. `parts` is the only place that decides what the client sees.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RestletError {
    /// A business rule refused the operation (facts 3.4).
    #[error(transparent)]
    Tx(#[from] TxError),
    /// Unknown, undeployed or not-Released script/deployment (facts 1.12).
    #[error("invalid scriptlet")]
    InvalidScriptlet,
    /// The handler has no entry point for the method (facts 1.14).
    #[error("method not allowed")]
    MethodNotAllowed,
    /// Every authentication failure looks the same to the client (facts 4.1.10).
    #[error("login failed: {0}")]
    Login(&'static str),
    /// The account's (or integration's) concurrency limit is reached (facts 5.1.5).
    #[error("request limit exceeded")]
    RequestLimit { status: u16 },
    /// The execution used more than its usage units (facts 5.2.1).
    #[error("usage limit exceeded")]
    UsageLimit,
    /// A body without a supported Content-Type (facts 2.1-2.4).
    #[error("invalid content type")]
    InvalidContentType,
    /// A request the platform cannot read: GET (or DELETE) with a body (facts 1.10), or a
    /// query string with a broken escape.
    #[error("malformed request")]
    MalformedRequest,
    /// An object returned to a request that did not ask for JSON (facts 2.6).
    #[error("invalid return data format")]
    InvalidReturnFormat,
    /// More than the 10 MB RESTlet limit (facts 2.8).
    #[error("request body too large")]
    BodyTooLarge,
    /// A JSON body that does not parse: surfaces as the JavaScript `SyntaxError` the
    /// script's `JSON.parse` would throw (facts 2.9, 3.3.4).
    #[error("malformed JSON: {0}")]
    Syntax(String),
    /// A required query parameter is absent (contract 5, stock query).
    #[error("missing parameter {0}")]
    MissingParam(&'static str),
    /// An error response injected by a fault rule (contract 8).
    #[error("injected fault {code}")]
    Injected { status: u16, code: String, message: String },
    /// An operation of an atomic batch failed; the whole batch was rolled back.
    #[error("operation {index} failed: {inner}")]
    Batch { index: usize, inner: Box<RestletError> },
    /// Something broke inside the emulator; the details are logged, not sent.
    #[error("internal error {id}: {detail}")]
    Internal { id: String, detail: String },
}

impl RestletError {
    /// A fault of our own, with a fresh opaque error id (facts 3.3.3).
    pub fn internal(detail: impl std::fmt::Display) -> RestletError {
        let id: String = (0..20)
            .map(|_| {
                char::from(b"abcdefghijklmnopqrstuvwxyz0123456789"[rand::random::<usize>() % 36])
            })
            .collect();
        RestletError::Internal { id, detail: detail.to_string() }
    }

    /// (status, code, message) as NetSuite sends them.
    pub fn parts(&self) -> (StatusCode, String, String) {
        let (status, code, message): (u16, &str, String) = match self {
            RestletError::Tx(err) => (400, err.code(), err.to_string()),
            RestletError::InvalidScriptlet => {
                (404, "SSS_INVALID_SCRIPTLET_ID", "That Suitelet is invalid, disabled, or no longer exists.".into())
            }
            RestletError::MethodNotAllowed => (405, "METHOD_NOT_ALLOWED", "The request method used is not valid.".into()),
            RestletError::Login(_) => (401, "INVALID_LOGIN_ATTEMPT", "Invalid login attempt.".into()),
            RestletError::RequestLimit { status } => (*status, "SSS_REQUEST_LIMIT_EXCEEDED", "Request Limit Exceeded!".into()),
            RestletError::UsageLimit => (400, "SSS_USAGE_LIMIT_EXCEEDED", "Script Execution Usage Limit Exceeded".into()),
            RestletError::InvalidContentType => (
                415,
                "INVALID_CONTENT_TYPE",
                "Invalid content type. You can only use application/json, application/xml or text/plain with RESTlets.".into(),
            ),
            RestletError::MalformedRequest => (
                400,
                "INVALID_REQUEST",
                "The request could not be understood by the server due to malformed syntax.".into(),
            ),
            RestletError::InvalidReturnFormat => {
                (400, "INVALID_RETURN_DATA_FORMAT", "Invalid data format. You should return text.".into())
            }
            RestletError::BodyTooLarge => {
                (413, "INVALID_REQUEST", "The request body exceeds the 10 MB RESTlet limit.".into())
            }
            RestletError::Syntax(detail) => (400, "SyntaxError", detail.clone()),
            RestletError::MissingParam(name) => (400, "MISSING_PARAM", format!("{name} is required")),
            RestletError::Injected { status, code, message } => (*status, code.as_str(), message.clone()),
            RestletError::Batch { index, inner } => {
                let (status, code, message) = inner.parts();
                return (status, code, format!("operations[{index}]: {message}"));
            }
            RestletError::Internal { id, .. } => {
                (500, "UNEXPECTED_ERROR", format!("An unexpected error occurred. Error ID: {id}"))
            }
        };
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
        (status, code.to_string(), message)
    }
}

impl From<inventory_store::StoreError> for RestletError {
    fn from(err: inventory_store::StoreError) -> RestletError {
        RestletError::internal(err)
    }
}

/// `INVALID_FLD_VALUE` for a request field of the wrong type or range.
pub(crate) fn invalid_field(field: &'static str, value: impl std::fmt::Display) -> RestletError {
    RestletError::Tx(TxError::InvalidField { field, value: value.to_string() })
}
