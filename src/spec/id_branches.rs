//! The request schemas' one rule that spans fields, "at least one of
//! `paymentId` and `paymentRequestId`, not null", written so that type
//! generators keep it: the schema is an `anyOf` of complete object shapes,
//! one per id, in which that id is a required string and every other field
//! is as in the struct.
//!
//! The plainer form (the struct's object plus an `anyOf` of `required`
//! clauses) means the same to a validator, but openapi-typescript turns it
//! into `unknown` and json-schema-to-typescript into an object open to any
//! field with both ids optional. A union of closed shapes is what they (and
//! a TypeScript reader) understand: `ByPaymentId | ByPaymentRequestId`.
//! `xlang/run.sh` compiles the generated types against code that must and
//! must not type-check.

use schemars::Schema;
use serde_json::{Map, Value, json};

/// The fields of which a request names at least one.
pub const ID_FIELDS: [&str; 2] = ["paymentId", "paymentRequestId"];

/// schemars `transform`: rewrites a request struct's object schema into an
/// `anyOf` with one complete shape per field of [`ID_FIELDS`]. Title,
/// description and examples stay at the top; `type`, `properties`,
/// `additionalProperties` (explicit, `true` when the struct is open) and
/// `required` move into every branch.
pub fn one_shape_per_id(schema: &mut Schema) {
    let Some(object) = schema.as_object_mut() else {
        return;
    };
    let Some(Value::Object(properties)) = object.remove("properties") else {
        return;
    };
    let title = object
        .get("title")
        .and_then(Value::as_str)
        .unwrap_or("Request")
        .to_string();
    let closed = object.remove("additionalProperties");
    let mut also_required: Vec<Value> = match object.remove("required") {
        Some(Value::Array(names)) => names,
        _ => Vec::new(),
    };
    also_required.retain(|name| !ID_FIELDS.iter().any(|id| name == id));
    object.remove("type");

    let branches: Vec<Value> = ID_FIELDS
        .iter()
        .filter(|id| properties.contains_key(**id))
        .map(|id| branch(&title, id, &properties, closed.as_ref(), &also_required))
        .collect();
    object.insert("anyOf".to_string(), Value::Array(branches));
}

/// The shape in which `id` is given: required, a string (its `null`, which
/// elsewhere means "absent", taken out), the other fields unchanged.
fn branch(
    title: &str,
    id: &str,
    properties: &Map<String, Value>,
    closed: Option<&Value>,
    also_required: &[Value],
) -> Value {
    let mut properties = properties.clone();
    if let Some(Value::Object(field)) = properties.get_mut(id) {
        // The marker keeps the null of optional request fields through
        // `no_nulls`; this one is required, so it loses both.
        field.remove("x-null-means-absent");
        if let Some(Value::Array(types)) = field.get_mut("type") {
            types.retain(|t| t != "null");
            if types.len() == 1 {
                let only = types.remove(0);
                field.insert("type".to_string(), only);
            }
        }
    }
    let mut required = vec![Value::String(id.to_string())];
    required.extend(also_required.iter().cloned());
    let mut shape = json!({
        "title": format!("{title}By{}", upper_first(id)),
        "description": format!("{title} that names the payment by `{id}` (present and not null); the other fields are as in {title}."),
        "type": "object",
        "properties": properties,
        "required": required,
    });
    // Said even when it is `true` (the struct's schema then omits it):
    // openapi-typescript reads a missing `additionalProperties` as closed.
    if let Some(shape) = shape.as_object_mut() {
        let open = Value::Bool(true);
        shape.insert(
            "additionalProperties".to_string(),
            closed.unwrap_or(&open).clone(),
        );
    }
    shape
}

fn upper_first(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request_schema(closed: bool) -> Schema {
        let mut schema = json!({
            "title": "CancelRequest",
            "type": "object",
            "properties": {
                "paymentId": {"type": ["string", "null"], "x-null-means-absent": true, "maxLength": 64},
                "paymentRequestId": {"type": ["string", "null"], "x-null-means-absent": true},
                "merchantAccountId": {"type": ["string", "null"], "x-null-means-absent": true}
            }
        });
        if closed {
            schema["additionalProperties"] = json!(false);
        }
        Schema::try_from(schema).expect("an object is a schema")
    }

    #[test]
    fn each_branch_requires_its_id_as_a_string_and_keeps_the_rest() {
        let mut schema = request_schema(true);
        one_shape_per_id(&mut schema);
        let value = schema.as_value();
        assert_eq!(value.get("type"), None);
        assert_eq!(value.get("properties"), None);
        let by_payment_id = &value["anyOf"][0];
        assert_eq!(by_payment_id["title"], "CancelRequestByPaymentId");
        assert_eq!(by_payment_id["required"], json!(["paymentId"]));
        assert_eq!(by_payment_id["additionalProperties"], json!(false));
        assert_eq!(
            by_payment_id["properties"]["paymentId"],
            json!({"type": "string", "maxLength": 64})
        );
        assert_eq!(
            by_payment_id["properties"]["paymentRequestId"]["type"],
            json!(["string", "null"])
        );
        let by_request_id = &value["anyOf"][1];
        assert_eq!(by_request_id["required"], json!(["paymentRequestId"]));
        assert_eq!(
            by_request_id["properties"]["paymentRequestId"]["type"],
            "string"
        );
        assert_eq!(
            by_request_id["properties"]["paymentId"]["x-null-means-absent"],
            true
        );
    }

    #[test]
    fn an_open_object_stays_open_and_says_so() {
        let mut schema = request_schema(false);
        one_shape_per_id(&mut schema);
        assert_eq!(
            schema.as_value()["anyOf"][0]["additionalProperties"],
            json!(true)
        );
    }
}
