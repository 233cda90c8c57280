//! JSON text → `serde_json::Value`, remembering duplicated state names.
//!
//! `serde_json` keeps the last of two equal keys silently; AWS reports a
//! duplicated state name, so the definition parser needs to see them.

use std::cell::RefCell;
use std::fmt;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

/// A key that appeared twice in one object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DuplicateKey {
    /// Location of the object holding the key (`/States`).
    pub object: String,
    /// The repeated key: a state name, when `object` is a `States`.
    pub key: String,
}

/// Parses `text`, returning the value and every duplicated key of an object
/// whose location ends in `/States` (the only place where AWS cares).
pub(crate) fn parse(text: &str) -> Result<(Value, Vec<DuplicateKey>), serde_json::Error> {
    let duplicates = RefCell::new(Vec::new());
    let mut de = serde_json::Deserializer::from_str(text);
    let value = ValueSeed {
        location: String::new(),
        duplicates: &duplicates,
    }
    .deserialize(&mut de)?;
    de.end()?;
    Ok((value, duplicates.into_inner()))
}

struct ValueSeed<'d> {
    location: String,
    duplicates: &'d RefCell<Vec<DuplicateKey>>,
}

impl<'de> DeserializeSeed<'de> for ValueSeed<'_> {
    type Value = Value;
    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ValueSeed<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(ValueSeed {
            location: format!("{}/{}", self.location, items.len()),
            duplicates: self.duplicates,
        })? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        let mut map = Map::new();
        let track = self.location.ends_with("/States");
        while let Some(key) = access.next_key::<String>()? {
            let value = access.next_value_seed(ValueSeed {
                location: format!("{}/{}", self.location, key),
                duplicates: self.duplicates,
            })?;
            if map.insert(key.clone(), value).is_some() && track {
                self.duplicates.borrow_mut().push(DuplicateKey {
                    object: self.location.clone(),
                    key,
                });
            }
        }
        Ok(Value::Object(map))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicated_state_names_are_reported_with_their_object() {
        let text = r#"{"StartAt":"A","States":{"A":{"Type":"Pass","End":true},"A":{"Type":"Succeed"}}}"#;
        let (value, dups) = parse(text).unwrap();
        assert_eq!(
            dups,
            vec![DuplicateKey {
                object: "/States".into(),
                key: "A".into()
            }]
        );
        assert_eq!(value["States"]["A"]["Type"], "Succeed");
    }

    #[test]
    fn duplicates_outside_states_are_ignored() {
        let (_, dups) = parse(r#"{"a":{"b":1,"b":2}}"#).unwrap();
        assert!(dups.is_empty());
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let text = "[".repeat(10_000) + &"]".repeat(10_000);
        assert!(parse(&text).is_err());
    }

    #[test]
    fn trailing_garbage_is_an_error() {
        assert!(parse("{} x").is_err());
    }
}
