//! The protocol's first exchange (protocol 3, INTERPRETING.md §8): the
//! runner asks the adapter who it is, and a case judging a capability the
//! client does not declare is not applicable to it. A protocol 2 adapter
//! answers `hello` with an error (every adapter answers an operation it
//! does not know so); it is then judged on everything, as before.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;

use super::adapter::Adapter;
use super::capability::{self, Capability};
use super::case::ClientCase;
use crate::adapter_protocol::messages::{HelloAnswer, Implementation, Operation};
use crate::suite::failure::Failure;

/// What the adapter said to `hello`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Greeting {
    /// A protocol 3 adapter: who it is and what it implements.
    Introduced(Implementation),
    /// An adapter that does not know `hello` (protocol 2): it claims
    /// everything.
    Anonymous,
}

impl Greeting {
    /// The capabilities the client is judged on.
    pub fn declared(&self) -> BTreeSet<Capability> {
        match self {
            Greeting::Introduced(implementation) => {
                implementation.capabilities.iter().copied().collect()
            }
            Greeting::Anonymous => Capability::ALL.into_iter().collect(),
        }
    }
}

/// The first `hello` answer of a run, kept for the reports: every case
/// starts its own adapter, and the first to be introduced speaks for all.
#[derive(Debug, Clone, Default)]
pub struct Introductions(Arc<Mutex<Option<Implementation>>>);

impl Introductions {
    fn keep(&self, implementation: &Implementation) {
        if let Ok(mut first) = self.0.lock()
            && first.is_none()
        {
            *first = Some(implementation.clone());
        }
    }

    /// The implementation the adapter introduced, if any did.
    pub fn first(&self) -> Option<Implementation> {
        self.0.lock().ok().and_then(|first| first.clone())
    }
}

/// Asks the adapter who it is. An answer that breaks the hello schema is
/// the adapter's failure, like any other answer (see `Adapter::call`).
pub async fn greet(
    adapter: &mut Adapter,
    deadline: Duration,
    introductions: &Introductions,
) -> Result<Greeting, super::adapter::AdapterError> {
    let answer = adapter.send(Operation::hello(), deadline).await?;
    Ok(match greeting_of(answer) {
        Greeting::Introduced(implementation) => {
            introductions.keep(&implementation);
            Greeting::Introduced(implementation)
        }
        Greeting::Anonymous => Greeting::Anonymous,
    })
}

/// A hello answer, already valid against its schema, as a greeting.
fn greeting_of(answer: Value) -> Greeting {
    match serde_json::from_value::<HelloAnswer>(answer) {
        Ok(HelloAnswer::Introduced { implementation, .. }) => Greeting::Introduced(implementation),
        _ => Greeting::Anonymous,
    }
}

/// `Some(failure)` when `case` judges a capability the client does not
/// declare: the case is not applicable to it.
pub fn not_applicable(case: &ClientCase, greeting: &Greeting) -> Option<Failure> {
    let missing = capability::missing(&capability::judged_by(case), &greeting.declared());
    if missing.is_empty() {
        return None;
    }
    let name = match greeting {
        Greeting::Introduced(implementation) => implementation.name.clone(),
        Greeting::Anonymous => "the client".to_string(),
    };
    Some(Failure::NotApplicable { name, missing })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_error_answer_is_a_protocol_2_adapter_judged_on_everything() {
        let greeting = greeting_of(json!({"id": 1, "error": "unsupported"}));
        assert_eq!(greeting, Greeting::Anonymous);
        assert_eq!(greeting.declared().len(), Capability::ALL.len());
        let introduced = greeting_of(json!({"id": 1, "name": "sdk", "version": "1.0",
            "language": "Python", "homepage": "https://example.com",
            "capabilities": ["sign", "tls"]}));
        let Greeting::Introduced(implementation) = &introduced else {
            panic!("not introduced: {introduced:?}");
        };
        assert_eq!(implementation.name, "sdk");
        assert_eq!(
            introduced.declared(),
            BTreeSet::from([Capability::Sign, Capability::Tls])
        );
    }
}
