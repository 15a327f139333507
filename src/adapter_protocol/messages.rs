//! The protocol's messages as data: the operations the runner sends, the
//! answers an adapter gives (these types generate
//! `spec/adapter-*.schema.json`), and an operation as an adapter reads it
//! ([`Received`]).

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::Headers;

/// One operation the runner sends to the adapter.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "op", rename_all = "lowercase")]
#[schemars(title = "AdapterOperation")]
pub enum Operation {
    /// Protocol 3: the first operation. Say who you are and what you
    /// implement. A protocol 2 adapter answers it with an error.
    Hello {
        id: u64,
        /// The protocol the runner speaks (`3`).
        protocol: u32,
    },
    /// Cancel a payment, retries included, and report the conclusion.
    Cancel {
        /// Echoed in the answer.
        id: u64,
        #[serde(rename = "paymentId", default, skip_serializing_if = "Option::is_none")]
        payment_id: Option<String>,
        #[serde(
            rename = "paymentRequestId",
            default,
            skip_serializing_if = "Option::is_none"
        )]
        payment_request_id: Option<String>,
    },
    /// Hand over a notification as the provider sends it.
    Notify {
        id: u64,
        /// The path the provider posted to.
        path: String,
        /// Header name to value; names in any letter case.
        #[schemars(with = "BTreeMap<String, String>")]
        headers: Headers,
        /// The exact body text (see the notification body schema).
        body: String,
    },
    /// Report the client's record of a payment.
    Status {
        id: u64,
        #[serde(rename = "paymentId")]
        payment_id: String,
        #[serde(rename = "paymentRequestId")]
        payment_request_id: String,
    },
}

/// The names of the operations, as `op` spells them: an adapter answers
/// any other name with `{"error": "unsupported"}`.
pub const OPERATIONS: [&str; 4] = ["hello", "cancel", "notify", "status"];

impl Operation {
    /// `hello`, announcing the runner's protocol version. Like every
    /// constructor here, its `id` is 0 until the runner numbers it
    /// ([`Operation::numbered`]).
    pub fn hello() -> Operation {
        Operation::Hello {
            id: 0,
            protocol: super::PROTOCOL_VERSION,
        }
    }

    /// `cancel`, naming the payment by either id or both.
    pub fn cancel(payment_id: Option<String>, payment_request_id: Option<String>) -> Operation {
        Operation::Cancel {
            id: 0,
            payment_id,
            payment_request_id,
        }
    }

    /// `notify`: a notification as the provider posts it.
    pub fn notify(path: String, headers: Headers, body: String) -> Operation {
        Operation::Notify {
            id: 0,
            path,
            headers,
            body,
        }
    }

    /// `status` of the payment both ids name.
    pub fn status(payment_id: String, payment_request_id: String) -> Operation {
        Operation::Status {
            id: 0,
            payment_id,
            payment_request_id,
        }
    }

    /// The operation's name, as `op` spells it.
    pub fn name(&self) -> &'static str {
        match self {
            Operation::Hello { .. } => "hello",
            Operation::Cancel { .. } => "cancel",
            Operation::Notify { .. } => "notify",
            Operation::Status { .. } => "status",
        }
    }

    /// The same operation carrying `number` as its `id`.
    pub fn numbered(mut self, number: u64) -> Operation {
        match &mut self {
            Operation::Hello { id, .. }
            | Operation::Cancel { id, .. }
            | Operation::Notify { id, .. }
            | Operation::Status { id, .. } => *id = number,
        }
        self
    }

    /// The operation as the JSON object written on the adapter's stdin:
    /// `op` first and `id` last, the fields between in the order the
    /// protocol lists them, absent ids left out.
    pub fn to_object(&self) -> Value {
        let mut object = serde_json::to_value(self).unwrap_or(Value::Null);
        // `id` goes last, where runners before these types wrote it: an
        // adapter reads fields by name, but a line that stays the same
        // byte for byte keeps recorded transcripts comparable.
        if let Some(map) = object.as_object_mut()
            && let Some(id) = map.shift_remove("id")
        {
            map.insert("id".to_string(), id);
        }
        object
    }
}

/// An operation as an adapter reads it: what [`Operation`] sends, read
/// leniently, as the project's adapter always has. The `id` is read apart
/// (whatever it is, it is echoed), `null` counts as absent, `status` may
/// name the payment by one id, and `headers` may be left out. An unknown
/// `op` is not an error of the line but an unsupported operation
/// ([`OPERATIONS`]).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "op", rename_all = "lowercase")]
pub enum Received {
    Hello {},
    Cancel {
        #[serde(rename = "paymentId", default)]
        payment_id: Option<String>,
        #[serde(rename = "paymentRequestId", default)]
        payment_request_id: Option<String>,
    },
    Notify {
        path: String,
        #[serde(default)]
        headers: Headers,
        body: String,
    },
    Status {
        #[serde(rename = "paymentId", default)]
        payment_id: Option<String>,
        #[serde(rename = "paymentRequestId", default)]
        payment_request_id: Option<String>,
    },
}

/// An answer line as an adapter writes it: the `id` of the line it
/// answers, echoed as it came (the runner sends integers; a line too
/// broken to have one gets `null`), then the answer's own fields.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reply {
    pub id: Value,
    #[serde(flatten)]
    pub answer: Answer,
}

/// What an adapter answers, as [`Reply`] writes it: absent values are left
/// out, which every answer schema allows.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Answer {
    /// To `hello`: who the client is and what it implements.
    Introduced(Implementation),
    /// To `cancel`: the client's conclusion.
    Concluded {
        #[serde(skip_serializing_if = "Option::is_none")]
        outcome: Option<CancelConclusion>,
        #[serde(rename = "resultCode", skip_serializing_if = "Option::is_none")]
        result_code: Option<String>,
        #[serde(rename = "cancelTime", skip_serializing_if = "Option::is_none")]
        cancel_time: Option<String>,
    },
    /// To `notify`: whether the client accepted the notification.
    Handled { accepted: bool },
    /// To `status`: the client's record of the payment.
    Record { status: OrderStatus },
    /// An operation the adapter could not carry out, or a line it could
    /// not read.
    Error { error: String },
}

impl Reply {
    /// The reply as a JSON object.
    pub fn to_object(&self) -> Value {
        // Only strings, booleans and unit enums: serializing cannot fail.
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

// The values a cancel answer and a status answer carry are the
// domain's, shared with client cases and the project's client.
pub use crate::domain::{CancelConclusion, OrderStatus};

/// The answer to `cancel`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[schemars(title = "AdapterCancelAnswer")]
#[serde(untagged)]
pub enum CancelAnswer {
    Concluded {
        id: u64,
        outcome: CancelConclusion,
        /// The trusted answer's resultCode (required with `failed`).
        #[serde(rename = "resultCode", default)]
        #[schemars(schema_with = "nullable_string")]
        result_code: Option<String>,
        /// The S answer's cancelTime (required with `cancelled`).
        #[serde(rename = "cancelTime", default)]
        #[schemars(schema_with = "nullable_string")]
        cancel_time: Option<String>,
    },
    Error(ErrorAnswer),
}

/// The answer to `notify`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[schemars(title = "AdapterNotifyAnswer")]
#[serde(untagged)]
pub enum NotifyAnswer {
    Handled {
        id: u64,
        /// True when the client accepted the notification.
        accepted: bool,
    },
    Error(ErrorAnswer),
}

/// The answer to `status`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[schemars(title = "AdapterStatusAnswer")]
#[serde(untagged)]
pub enum StatusAnswer {
    Record { id: u64, status: OrderStatus },
    Error(ErrorAnswer),
}

/// The answer to `hello`: who the client under test is and which
/// capabilities it implements.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[schemars(title = "AdapterHelloAnswer")]
#[serde(untagged)]
pub enum HelloAnswer {
    Introduced {
        id: u64,
        #[serde(flatten)]
        implementation: Implementation,
    },
    Error(ErrorAnswer),
}

pub use crate::domain::{Capability, Implementation};

/// An operation the adapter could not carry out.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ErrorAnswer {
    #[schemars(schema_with = "nullable_integer")]
    pub id: Option<u64>,
    /// Why, for a person (e.g. `unsupported: ...`).
    pub error: String,
}

/// The body of a payment notification, as `notify` carries it.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schemars(title = "AdapterNotificationBody")]
pub struct NotificationBody {
    /// `PAYMENT_RESULT`.
    pub notify_type: String,
    pub result: NotificationResult,
    pub payment_request_id: String,
    pub payment_id: String,
    pub payment_amount: Amount,
    /// RFC 3339 with offset.
    pub payment_create_time: String,
    /// RFC 3339 with offset.
    pub payment_time: String,
}

/// The result object of a notification: `S` means the payment succeeded.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NotificationResult {
    pub result_code: String,
    pub result_status: String,
    pub result_message: String,
}

/// An amount: ISO 4217 currency and the value in minor units, as text.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Amount {
    pub currency: String,
    pub value: String,
}

/// A string that may also be `null` (an adapter may write an absent
/// value either way). Spelled with `const` so that the schema
/// generator's rule against nulls in API messages leaves it alone.
fn nullable_string(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({"anyOf": [{"type": "string"}, {"const": null}]})
}

fn nullable_integer(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({"anyOf": [{"type": "integer", "minimum": 0}, {"const": null}]})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_are_written_op_first_and_id_last() {
        let line = |operation: Operation| operation.numbered(7).to_object().to_string();
        assert_eq!(
            line(Operation::hello()),
            r#"{"op":"hello","protocol":3,"id":7}"#
        );
        assert_eq!(
            line(Operation::cancel(None, Some("R".into()))),
            r#"{"op":"cancel","paymentRequestId":"R","id":7}"#
        );
        assert_eq!(
            line(Operation::status("P".into(), "R".into())),
            r#"{"op":"status","paymentId":"P","paymentRequestId":"R","id":7}"#
        );
        let headers = Headers(vec![("z".into(), "1".into()), ("a".into(), "2".into())]);
        assert_eq!(
            line(Operation::notify("/n".into(), headers, "{}".into())),
            r#"{"op":"notify","path":"/n","headers":{"z":"1","a":"2"},"body":"{}","id":7}"#
        );
    }

    #[test]
    fn replies_echo_the_id_and_leave_absent_values_out() {
        let reply = Reply {
            id: Value::from(5),
            answer: Answer::Concluded {
                outcome: Some(CancelConclusion::Failed),
                result_code: Some("PROCESS_FAIL".into()),
                cancel_time: None,
            },
        };
        assert_eq!(
            reply.to_object().to_string(),
            r#"{"id":5,"outcome":"failed","resultCode":"PROCESS_FAIL"}"#
        );
        let error = Reply {
            id: Value::Null,
            answer: Answer::Error {
                error: "no `op`".into(),
            },
        };
        assert_eq!(
            error.to_object().to_string(),
            r#"{"id":null,"error":"no `op`"}"#
        );
    }

    #[test]
    fn an_adapter_reads_what_the_runner_writes() {
        let read = |operation: Operation| {
            serde_json::from_value::<Received>(operation.numbered(1).to_object())
                .expect("read back")
        };
        assert_eq!(read(Operation::hello()), Received::Hello {});
        assert_eq!(
            read(Operation::status("P".into(), "R".into())),
            Received::Status {
                payment_id: Some("P".into()),
                payment_request_id: Some("R".into())
            }
        );
        let lenient: Received =
            serde_json::from_str(r#"{"op": "cancel", "id": "x", "paymentId": null}"#)
                .expect("null is absent");
        assert_eq!(
            lenient,
            Received::Cancel {
                payment_id: None,
                payment_request_id: None
            }
        );
    }
}
