//! The headers a `notify` operation carries: a JSON object of header name
//! to value, kept in the order the provider sent them (a map sorted by
//! name would reorder what the client is handed).

use std::fmt;

use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Header name and value pairs, in order; names in any letter case. A name
/// written twice keeps its first place and its last value, as a JSON
/// object read into a map does.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Headers(pub Vec<(String, String)>);

impl Headers {
    fn insert(&mut self, name: String, value: String) {
        match self.0.iter_mut().find(|(existing, _)| *existing == name) {
            Some((_, old)) => *old = value,
            None => self.0.push((name, value)),
        }
    }
}

impl FromIterator<(String, String)> for Headers {
    fn from_iter<I: IntoIterator<Item = (String, String)>>(pairs: I) -> Self {
        let mut headers = Headers::default();
        for (name, value) in pairs {
            headers.insert(name, value);
        }
        headers
    }
}

impl Serialize for Headers {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (name, value) in &self.0 {
            map.serialize_entry(name, value)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Headers {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Pairs;

        impl<'de> Visitor<'de> for Pairs {
            type Value = Headers;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object of header name to string value")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Headers, A::Error> {
                let mut headers = Headers::default();
                while let Some((name, value)) = map.next_entry::<String, String>()? {
                    headers.insert(name, value);
                }
                Ok(headers)
            }
        }

        deserializer.deserialize_map(Pairs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_keep_their_order_and_a_repeated_name_its_last_value() {
        let headers: Headers =
            serde_json::from_str(r#"{"Signature": "s", "client-id": "c", "Signature": "t"}"#)
                .expect("headers");
        assert_eq!(
            headers.0,
            vec![
                ("Signature".to_string(), "t".to_string()),
                ("client-id".to_string(), "c".to_string())
            ]
        );
        assert_eq!(
            serde_json::to_string(&headers).expect("serialized"),
            r#"{"Signature":"t","client-id":"c"}"#
        );
        assert!(serde_json::from_str::<Headers>(r#"{"a": 1}"#).is_err());
        assert!(serde_json::from_str::<Headers>("null").is_err());
    }
}
