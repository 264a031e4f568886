//! JSON renderings: one object per key, arrays streamed element by element.

use serde::Serialize;
use serde_json::{Value, json};

use crate::error::Error;
use crate::model::{CheckOutcome, Key, KeyDetail, Rotation, UpdateOutcome};

/// A key with the secret shown once (`create`, `rotate`).
#[derive(Serialize)]
struct WithSecret<'a> {
    #[serde(flatten)]
    key: &'a Key,
    #[serde(skip_serializing_if = "Option::is_none")]
    secret: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    secret_file: Option<String>,
}

/// `create`: the key and its secret (or where the secret was written).
pub fn created(key: &Key, secret: Option<&str>, secret_file: Option<&std::path::Path>) -> String {
    to_string(&WithSecret {
        key,
        secret,
        secret_file: secret_file.map(|p| p.display().to_string()),
    })
}

/// `rotate`: the new key with its secret (or where it was written), and the old key as it is
/// now.
pub fn rotated(
    rotation: &Rotation,
    secret: Option<&str>,
    secret_file: Option<&std::path::Path>,
) -> String {
    let mut value = to_value(&WithSecret {
        key: &rotation.successor,
        secret,
        secret_file: secret_file.map(|p| p.display().to_string()),
    });
    value["rotated_from_key"] = to_value(&rotation.predecessor);
    value.to_string()
}

/// `show`: the key with `chain` and `events`.
pub fn detail(detail: &KeyDetail) -> String {
    let mut value = to_value(&detail.key);
    let chain: Vec<_> = detail.chain.iter().map(|key| key.id).collect();
    value["chain"] = to_value(&chain);
    value["events"] = to_value(&detail.events);
    value.to_string()
}

/// `update`: the key plus `"changes"` (old and new value of each changed field).
pub fn updated(outcome: &UpdateOutcome) -> String {
    let mut value = to_value(&outcome.key);
    value["changes"] = Value::Object(outcome.changes.clone());
    value.to_string()
}

/// One element of a streamed array, or a single object.
pub fn item<T: Serialize>(item: &T) -> String {
    to_string(item)
}

/// `check`: `{"valid":..,"reason":..,"key":..}`.
pub fn check(outcome: &CheckOutcome) -> String {
    to_string(outcome)
}

/// An error object for stderr.
pub fn error(err: &Error) -> String {
    let mut body = json!({ "code": err.code(), "message": err.to_string() });
    if let Some(hint) = err.hint() {
        body["hint"] = Value::String(hint);
    }
    if let Some(candidates) = err.candidates() {
        body["candidates"] = to_value(&candidates);
    }
    json!({ "error": body }).to_string()
}

fn to_value<T: Serialize + ?Sized>(value: &T) -> Value {
    serde_json::to_value(value).expect("keyadm's output types always serialise")
}

fn to_string<T: Serialize + ?Sized>(value: &T) -> String {
    serde_json::to_string(value).expect("keyadm's output types always serialise")
}
