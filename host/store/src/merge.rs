//! UpdateItem's top-level merge, without building the stored document.
//!
//! An update replaces or adds top-level fields. Parsing the stored text
//! into a `Value` would allocate every nested string, array and object
//! only to print them again unchanged; here the stored fields stay slices
//! of the stored text (`RawValue`) and only the changed ones are printed.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;

use serde::de::{Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use super::StoreError;

/// Applies `changes` to a stored document: a field already there keeps its
/// place with the new value, a new one goes last.
pub(crate) fn merge(existing: Option<&str>, changes: &Map<String, Value>) -> Result<String, StoreError> {
    let fields = match existing {
        Some(text) => top_level_fields(text)?,
        None => Vec::new(),
    };
    // Where each key is first and last: a key the document repeats counts
    // once, as a parse into a map counts it, at its first place with its
    // last value. (Maps, not scans: a document may have many fields.)
    let mut places: HashMap<&str, (usize, usize)> = HashMap::with_capacity(fields.len());
    for (i, (key, _)) in fields.iter().enumerate() {
        places
            .entry(key.as_ref())
            .and_modify(|(_, last)| *last = i)
            .or_insert((i, i));
    }
    let mut out = Vec::with_capacity(existing.map_or(0, str::len) + 64);
    out.push(b'{');
    let mut first = true;
    let mut separator = |out: &mut Vec<u8>| {
        if !std::mem::take(&mut first) {
            out.push(b',');
        }
    };
    for (i, (key, _)) in fields.iter().enumerate() {
        let (first_place, last_place) = places[key.as_ref()];
        if first_place != i {
            continue;
        }
        separator(&mut out);
        write_json(&mut out, key.as_ref());
        out.push(b':');
        match changes.get(key.as_ref()) {
            Some(value) => write_json(&mut out, value),
            None => out.extend_from_slice(fields[last_place].1.get().as_bytes()),
        }
    }
    for (key, value) in changes {
        if places.contains_key(key.as_str()) {
            continue;
        }
        separator(&mut out);
        write_json(&mut out, key);
        out.push(b':');
        write_json(&mut out, value);
    }
    out.push(b'}');
    // Only valid UTF-8 went in: the stored text's slices and serde_json's output.
    String::from_utf8(out).map_err(|e| StoreError::Io(format!("a merged item is not UTF-8: {e}")))
}

fn write_json(out: &mut Vec<u8>, value: &(impl serde::Serialize + ?Sized)) {
    // Writing to a Vec cannot fail, and these values serialize.
    let _ = serde_json::to_writer(out, value);
}

/// The stored document's top-level fields, in order, as slices of `text`.
fn top_level_fields(text: &str) -> Result<Vec<(Cow<'_, str>, &RawValue)>, StoreError> {
    let mut de = serde_json::Deserializer::from_str(text);
    let fields = match de.deserialize_any(FieldsVisitor) {
        Ok(Some(fields)) => fields,
        Ok(None) => {
            return Err(StoreError::Invalid(
                "the stored item is not a JSON object; it cannot be updated".into(),
            ));
        }
        Err(e) => return Err(StoreError::Io(format!("a stored item is not valid JSON: {e}"))),
    };
    de.end()
        .map_err(|e| StoreError::Io(format!("a stored item is not valid JSON: {e}")))?;
    Ok(fields)
}

/// Collects an object's fields; anything else is `None`.
struct FieldsVisitor;

type Fields<'de> = Vec<(Cow<'de, str>, &'de RawValue)>;

impl<'de> Visitor<'de> for FieldsVisitor {
    type Value = Option<Fields<'de>>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON document")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut fields = Vec::new();
        while let Some(Key(key)) = map.next_key()? {
            fields.push((key, map.next_value::<&RawValue>()?));
        }
        Ok(Some(fields))
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
        Ok(None)
    }

    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
}

/// An object key: borrowed from the text unless it has escapes.
struct Key<'de>(Cow<'de, str>);

impl<'de> serde::Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string key")
            }
            fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(s)))
            }
            fn visit_str<E>(self, s: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(s.to_owned())))
            }
            fn visit_string<E>(self, s: String) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(s)))
            }
        }
        d.deserialize_str(KeyVisitor)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// The merge as a parse into a map gives it (the reference).
    fn by_value(existing: Option<&str>, changes: &Value) -> Value {
        let mut doc = existing.map_or_else(Map::new, |t| match serde_json::from_str(t).unwrap() {
            Value::Object(m) => m,
            _ => unreachable!(),
        });
        for (k, v) in changes.as_object().unwrap() {
            doc.insert(k.clone(), v.clone());
        }
        Value::Object(doc)
    }

    fn check(existing: Option<&str>, changes: Value) {
        let merged = merge(existing, changes.as_object().unwrap()).unwrap();
        let parsed: Value = serde_json::from_str(&merged).unwrap();
        let expected = by_value(existing, &changes);
        assert_eq!(parsed, expected, "{existing:?} + {changes}");
        // Same order of fields, too.
        let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
        assert_eq!(keys(&parsed), keys(&expected), "{existing:?} + {changes}");
    }

    #[test]
    fn fields_keep_their_place_and_new_ones_go_last() {
        check(
            Some(r#"{"status":"PLACED","total":5,"items":[{"sku":"A","q":[1,2]}]}"#),
            json!({"status": "PAID", "paid_at": 7}),
        );
        check(None, json!({"a": 1, "b": {"c": [true, null]}}));
        check(Some("{}"), json!({}));
        check(Some(r#"{"a":1}"#), json!({}));
    }

    #[test]
    fn escaped_keys_and_values_survive() {
        check(
            Some(r#"{"qu\"ote":"x\ny","\u00e9":"é","plain":"\\"}"#),
            json!({"qu\"ote": "z", "new\tkey": "\u{1F600}"}),
        );
    }

    #[test]
    fn stored_fields_are_copied_as_they_are() {
        let merged = merge(Some(r#"{"n":1.50,"s":"a"}"#), json!({"s": "b"}).as_object().unwrap()).unwrap();
        assert_eq!(merged, r#"{"n":1.50,"s":"b"}"#);
    }

    #[test]
    fn a_repeated_key_counts_once_with_its_last_value() {
        check(Some(r#"{"a":1,"b":2,"a":3}"#), json!({"c": 4}));
        check(Some(r#"{"a":1,"b":2,"a":3}"#), json!({"a": 5}));
    }

    #[test]
    fn a_document_with_many_fields_merges() {
        let fields: Vec<String> = (0..50_000).map(|i| format!(r#""f{i}":{i}"#)).collect();
        let text = format!("{{{}}}", fields.join(","));
        let merged = merge(Some(&text), json!({"f7": "x", "new": 1}).as_object().unwrap()).unwrap();
        assert!(merged.starts_with(r#"{"f0":0,"f1":1,"#) && merged.ends_with(r#","new":1}"#));
        assert!(merged.contains(r#""f7":"x""#));
    }

    #[test]
    fn not_an_object_or_not_json_is_refused() {
        let changes = json!({"a": 1});
        for text in ["[1,2]", "\"s\"", "3", "null", "true"] {
            assert!(
                matches!(
                    merge(Some(text), changes.as_object().unwrap()),
                    Err(StoreError::Invalid(_))
                ),
                "{text}"
            );
        }
        for text in ["{", r#"{"a":}"#, r#"{"a":1} x"#, ""] {
            assert!(
                matches!(merge(Some(text), changes.as_object().unwrap()), Err(StoreError::Io(_))),
                "{text}"
            );
        }
    }
}
