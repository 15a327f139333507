//! Generates the checked-in spec documents from the Rust types: one JSON
//! Schema per message (2020-12, or draft-07 for older toolchains) and the
//! OpenAPI 3.1 document. `cancel-conformance schema --out spec` writes them;
//! a test regenerates them in memory and fails when `spec/` has drifted.

use std::collections::BTreeMap;

use schemars::generate::SchemaSettings;
use schemars::transform::transform_subschemas;
use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde_json::{Value, json};

use super::api::{
    CANCEL_PATH, CancelRequest, CancelResponse, INQUIRY_PATH, InquiryRequest, InquiryResponse,
    SANDBOX_CANCEL_PATH, SANDBOX_INQUIRY_PATH,
};
use super::catalog::Catalog;

/// The base of every `$id`: a reserved domain, so an id never resolves to
/// someone else's document; references inside a file resolve against it.
pub const ID_BASE: &str = "https://cancel-conformance.example/spec/";

/// The command that rewrites the checked-in files.
pub const REGENERATE_COMMAND: &str = "cargo run -- schema --out spec";

/// Which JSON Schema dialect to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Dialect {
    /// JSON Schema 2020-12 (the checked-in files).
    #[value(name = "2020-12")]
    Draft2020_12,
    /// JSON Schema draft-07, for older toolchains.
    #[value(name = "draft-07")]
    Draft07,
}

impl Dialect {
    fn settings(self) -> SchemaSettings {
        let settings = match self {
            Dialect::Draft2020_12 => SchemaSettings::draft2020_12(),
            Dialect::Draft07 => SchemaSettings::draft07(),
        };
        settings
            .with_transform(no_nulls)
            .with_transform(tidy_descriptions)
            .with_transform(standard_formats_only)
    }

    /// File-name infix: `cancel-request.schema.json` for 2020-12,
    /// `cancel-request.draft-07.schema.json` for draft-07.
    fn suffix(self) -> &'static str {
        match self {
            Dialect::Draft2020_12 => ".schema.json",
            Dialect::Draft07 => ".draft-07.schema.json",
        }
    }
}

/// The keyword a request field's schema carries (from `src/spec/api.rs`)
/// to keep its `null`; removed from every generated document.
const NULL_MEANS_ABSENT: &str = "x-null-means-absent";

/// One generated document: its file name under `spec/` and its content.
pub type Documents = BTreeMap<String, Value>;

/// The message schemas in `dialect`, plus (for 2020-12) the OpenAPI document.
pub fn generate(dialect: Dialect) -> Documents {
    let mut docs = Documents::new();
    add_root::<CancelRequest>(&mut docs, dialect, "cancel-request");
    add_root::<CancelResponse>(&mut docs, dialect, "cancel-response");
    add_root::<InquiryRequest>(&mut docs, dialect, "inquiry-request");
    add_root::<InquiryResponse>(&mut docs, dialect, "inquiry-response");
    add_root::<crate::suite::case::Case>(&mut docs, dialect, "case");
    add_root::<crate::suite::client_half::case::ClientCase>(&mut docs, dialect, "client-case");
    add_root::<crate::matrix::file::MatrixFile>(&mut docs, dialect, "matrix");
    {
        use crate::suite::client_half::adapter::messages as adapter;
        add_root::<adapter::Operation>(&mut docs, dialect, "adapter-operation");
        add_root::<adapter::CancelAnswer>(&mut docs, dialect, "adapter-cancel-answer");
        add_root::<adapter::NotifyAnswer>(&mut docs, dialect, "adapter-notify-answer");
        add_root::<adapter::StatusAnswer>(&mut docs, dialect, "adapter-status-answer");
        add_root::<adapter::NotificationBody>(&mut docs, dialect, "adapter-notification-body");
    }
    if dialect == Dialect::Draft2020_12 {
        docs.insert("openapi.json".to_string(), openapi());
    }
    docs
}

/// The JSON Schema of one message type, as a standalone 2020-12 document.
pub fn schema_of<T: JsonSchema>(name: &str) -> Value {
    root_schema::<T>(Dialect::Draft2020_12, name)
}

fn root_schema<T: JsonSchema>(dialect: Dialect, name: &str) -> Value {
    let mut schema = dialect
        .settings()
        .into_generator()
        .into_root_schema_for::<T>();
    schema.insert(
        "$id".to_string(),
        Value::String(format!("{ID_BASE}{name}{}", dialect.suffix())),
    );
    // `$schema` and `$id` first, so a reader sees what the file is.
    let mut ordered = serde_json::Map::new();
    let object = schema.ensure_object();
    for key in ["$schema", "$id", "title", "description"] {
        if let Some(value) = object.remove(key) {
            ordered.insert(key.to_string(), value);
        }
    }
    ordered.extend(std::mem::take(object));
    Value::Object(ordered)
}

fn add_root<T: JsonSchema>(docs: &mut Documents, dialect: Dialect, name: &str) {
    docs.insert(
        format!("{name}{}", dialect.suffix()),
        root_schema::<T>(dialect, name),
    );
}

/// Renders a document as it is checked in: two-space indent, final newline.
pub fn render(doc: &Value) -> String {
    let mut text = serde_json::to_string_pretty(doc).unwrap_or_default();
    text.push('\n');
    text
}

/// Answers never carry JSON `null`: an absent value is an absent key.
/// schemars describes `Option<T>` as "T or null"; this takes the null back
/// out so other languages' validators reject it too. The optional request
/// fields are the exception: they are marked [`NULL_MEANS_ABSENT`] because
/// official SDKs send unset fields as `null` (rule ident.null-means-absent),
/// so their null stays and the marker goes.
fn no_nulls(schema: &mut Schema) {
    transform_subschemas(&mut no_nulls, schema);
    let Some(object) = schema.as_object_mut() else {
        return;
    };
    if object.remove(NULL_MEANS_ABSENT).is_some() {
        return;
    }
    if object.get("default") == Some(&Value::Null) {
        object.remove("default");
    }
    if let Some(Value::Array(types)) = object.get_mut("type") {
        types.retain(|t| t != "null");
        if types.len() == 1 {
            let only = types.remove(0);
            object.insert("type".to_string(), only);
        }
    }
    if let Some(Value::Array(choices)) = object.get("anyOf") {
        let kept: Vec<Value> = choices
            .iter()
            .filter(|choice| choice.get("type") != Some(&json!("null")))
            .cloned()
            .collect();
        if kept.len() == 1 && choices.len() == 2 {
            object.remove("anyOf");
            if let Some(Value::Object(only)) = kept.into_iter().next() {
                for (key, value) in only {
                    object.entry(key).or_insert(value);
                }
            }
        }
    }
}

/// schemars marks integers with Rust formats (`uint32`, `uint64`) that no
/// other validator knows; strict ones (ajv) reject them. The bounds say
/// what matters, as `minimum` / `maximum`.
fn standard_formats_only(schema: &mut Schema) {
    transform_subschemas(&mut standard_formats_only, schema);
    let is_rust_format = matches!(
        schema.get("format").and_then(Value::as_str),
        Some(format) if format.starts_with("int") || format.starts_with("uint")
    );
    if is_rust_format {
        schema.remove("format");
    }
}

/// Doc comments are wrapped at a fixed width; a description reads better
/// when a single line break is a space and only a blank line starts a new
/// paragraph.
fn tidy_descriptions(schema: &mut Schema) {
    transform_subschemas(&mut tidy_descriptions, schema);
    if let Some(Value::String(text)) = schema.get_mut("description") {
        *text = text
            .split("\n\n")
            .map(|paragraph| {
                paragraph
                    .split('\n')
                    .map(str::trim)
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect::<Vec<_>>()
            .join("\n\n");
    }
}

/// Adds to the `Result` schema one `if`/`then` per known result code, so
/// that each known code is only valid with its one status. The pairing is
/// read from `spec/result-codes.yaml`; unknown codes stay unconstrained.
pub fn pair_codes_with_statuses(schema: &mut Schema) {
    // The catalog is compiled in and checked by its own tests; if it were
    // broken, the schema drift test and the catalog test would both say so.
    let Ok(catalog) = Catalog::embedded() else {
        return;
    };
    let pairs: Vec<Value> = catalog
        .codes
        .iter()
        .map(|entry| {
            json!({
                "if": {
                    "properties": {"resultCode": {"const": entry.code.value}},
                    "required": ["resultCode"]
                },
                "then": {
                    "properties": {"resultStatus": {"const": entry.status.as_str()}}
                }
            })
        })
        .collect();
    schema.insert("allOf".to_string(), Value::Array(pairs));
}

/// JSON Schema for the `Signature` header: the grammar every SDK emits,
/// with optional spaces after commas as the docs show them.
const SIGNATURE_HEADER_PATTERN: &str =
    r"^algorithm=RSA256, ?keyVersion=[0-9A-Za-z]+, ?signature=[A-Za-z0-9%._*-]+$";

fn header(name: &str, description: &str, schema: Value, example: &str) -> Value {
    json!({
        "name": name,
        "in": "header",
        "required": true,
        "description": description,
        "schema": schema,
        "example": example
    })
}

fn openapi() -> Value {
    let mut generator = SchemaGenerator::new(
        SchemaSettings::draft2020_12()
            .with(|s| s.definitions_path = "/components/schemas".into())
            .with_transform(no_nulls)
            .with_transform(tidy_descriptions)
            .with_transform(standard_formats_only),
    );
    let cancel_request = generator.subschema_for::<CancelRequest>();
    let cancel_response = generator.subschema_for::<CancelResponse>();
    let inquiry_request = generator.subschema_for::<InquiryRequest>();
    let inquiry_response = generator.subschema_for::<InquiryResponse>();
    let schemas = generator.take_definitions(true);

    let request_headers = json!([
        {"$ref": "#/components/parameters/ClientId"},
        {"$ref": "#/components/parameters/RequestTime"},
        {"$ref": "#/components/parameters/Signature"}
    ]);
    let response_headers = json!({
        "signature": {
            "description": "The provider's signature over `POST <path>\\n<client-id>.<response-time>.<body>`, same grammar as the request's `Signature` header.",
            "required": true,
            "schema": {"type": "string", "pattern": SIGNATURE_HEADER_PATTERN}
        },
        "response-time": {
            "description": "When the provider answered; part of the signed content.",
            "required": true,
            "schema": {"type": "string", "minLength": 1}
        },
        "client-id": {
            "description": "The client id of the request being answered (empty when the request had none); part of the signed content.",
            "required": true,
            "schema": {"type": "string"}
        }
    });
    let operation = |summary: &str,
                     id: &str,
                     request: &Schema,
                     response: &Schema,
                     request_example: Value,
                     response_example: Value| {
        json!({
            "summary": summary,
            "operationId": id,
            "parameters": request_headers,
            "requestBody": {
                "required": true,
                "content": {"application/json": {"schema": request, "example": request_example}}
            },
            "responses": {
                "200": {
                    "description": "Every business result (S, F and U) is answered with HTTP 200; any other status is a transport error to every official SDK.",
                    "headers": response_headers,
                    "content": {"application/json": {"schema": response, "example": response_example}}
                }
            }
        })
    };
    let cancel_example_request = json!({"paymentId": "2019061218401080010018882020035XXXX"});
    let cancel_example_response = json!({
        "cancelTime": "2019-06-12T19:07:11+08:00",
        "paymentId": "2019061218401080010018882020035XXXX",
        "paymentRequestId": "pay_2089760038715669_20277574507XXXX",
        "result": {"resultCode": "SUCCESS", "resultMessage": "Success", "resultStatus": "S"}
    });
    let inquiry_example_response = json!({
        "paymentId": "2019061218401080010018882020035XXXX",
        "paymentRequestId": "pay_2089760038715669_20277574507XXXX",
        "paymentStatus": "CANCELLED",
        "result": {"resultCode": "SUCCESS", "resultMessage": "Success", "resultStatus": "S"}
    });
    let cancel = operation(
        "Cancel a payment in full",
        "cancel",
        &cancel_request,
        &cancel_response,
        cancel_example_request.clone(),
        cancel_example_response.clone(),
    );
    let sandbox_cancel = operation(
        "Cancel a payment in full (sandbox: client ids starting with SANDBOX_)",
        "cancelSandbox",
        &cancel_request,
        &cancel_response,
        cancel_example_request.clone(),
        cancel_example_response,
    );
    let inquiry = operation(
        "Observe a payment's status",
        "inquiryPayment",
        &inquiry_request,
        &inquiry_response,
        cancel_example_request.clone(),
        inquiry_example_response.clone(),
    );
    let sandbox_inquiry = operation(
        "Observe a payment's status (sandbox)",
        "inquiryPaymentSandbox",
        &inquiry_request,
        &inquiry_response,
        cancel_example_request,
        inquiry_example_response,
    );
    json!({
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": {
            "title": "Payment cancel API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Cancel a payment in full by paymentId or paymentRequestId; the answer's result.resultStatus is S, F or U. Generated by cancel-conformance from its Rust types; see spec/rules.yaml for the rules and spec/result-codes.yaml for the codes.",
            "license": {"name": "Apache-2.0", "identifier": "Apache-2.0"}
        },
        "servers": [
            {"url": "http://127.0.0.1:8080", "description": "cancel-conformance serve (reference server)"}
        ],
        "security": [],
        "tags": [{"name": "cancel", "description": "Cancellation of a payment"}],
        "paths": {
            CANCEL_PATH: {"post": with_tag(cancel)},
            SANDBOX_CANCEL_PATH: {"post": with_tag(sandbox_cancel)},
            INQUIRY_PATH: {"post": with_tag(inquiry)},
            SANDBOX_INQUIRY_PATH: {"post": with_tag(sandbox_inquiry)}
        },
        "components": {
            "schemas": schemas,
            "parameters": {
                "ClientId": header("Client-Id", "The merchant's client id; part of the signed content. Ids starting with SANDBOX_ use the /ams/sandbox/api paths.", json!({"type": "string", "minLength": 1}), "SANDBOX_5YC2BP2ZCONFORMANCE"),
                "RequestTime": header("Request-Time", "When the request was made, as an opaque string (SDKs send epoch milliseconds or ISO 8601); part of the signed content.", json!({"type": "string", "minLength": 1}), "2019-06-12T19:07:11+08:00"),
                "Signature": header("Signature", "`algorithm=RSA256,keyVersion=<n>,signature=<value>`: SHA256withRSA over `<METHOD> <path>\\n<client-id>.<request-time>.<body>` (exact body bytes); the value is standard base64, then URL-encoded.", json!({"type": "string", "pattern": SIGNATURE_HEADER_PATTERN}), "algorithm=RSA256,keyVersion=1,signature=bXVzdC1iZS1hLXJlYWwtc2lnbmF0dXJl%3D")
            }
        }
    })
}

fn with_tag(mut operation: Value) -> Value {
    if let Some(object) = operation.as_object_mut() {
        object.insert("tags".to_string(), json!(["cancel"]));
    }
    operation
}
