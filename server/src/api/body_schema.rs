//! Request bodies checked against the API's own OpenAPI document: the schema each
//! operation publishes for its body is the one it enforces (JSON Schema 2020-12, by the
//! `jsonschema` crate), so a body the document calls invalid is a 400 naming where, and
//! one it calls valid is never refused for its shape. What a schema cannot say (a URL the
//! database refuses, a code taken) stays the database's to answer.

use std::collections::HashMap;

use jsonschema::Validator;
use serde_json::Value;

use crate::service::{Class, Error};

/// The body schemas of a document's operations, keyed `"POST /api/v1/links"`.
pub struct BodySchemas {
    by_operation: HashMap<String, Validator>,
}

impl BodySchemas {
    /// A validator for each operation of `doc` with a JSON request body. Its `$ref`s
    /// point into the document's components, which each validator carries.
    pub fn from_document(doc: &Value) -> Result<Self, String> {
        let mut by_operation = HashMap::new();
        let components = doc.get("components").cloned().unwrap_or(Value::Null);
        let paths = doc.get("paths").and_then(Value::as_object);
        for (path, item) in paths.into_iter().flatten() {
            for (method, op) in item.as_object().into_iter().flatten() {
                let Some(schema) = op.pointer("/requestBody/content/application~1json/schema")
                else {
                    continue;
                };
                let root = serde_json::json!({
                    "$schema": "https://json-schema.org/draft/2020-12/schema",
                    "components": components,
                    "allOf": [schema],
                });
                let operation = format!("{} {path}", method.to_ascii_uppercase());
                let validator = jsonschema::options()
                    .with_draft(jsonschema::Draft::Draft202012)
                    .build(&root)
                    .map_err(|e| format!("the body schema of {operation}: {e}"))?;
                by_operation.insert(operation, validator);
            }
        }
        Ok(BodySchemas { by_operation })
    }

    /// Whether `body` is what `operation` documents: a 400 saying where it is not (its
    /// first fault; `item 3: url: …` in an array).
    pub fn check(&self, operation: &str, body: &Value) -> Result<(), Error> {
        let validator = self.by_operation.get(operation).ok_or_else(|| {
            Error::internal(format!("no body schema for {operation} in the document"))
        })?;
        let Some(fault) = validator.iter_errors(body).next() else {
            return Ok(());
        };
        let (item, field) = where_in(fault.instance_path().as_str());
        let mut detail = String::new();
        if let Some(i) = item {
            detail.push_str(&format!("item {i}: "));
        }
        if let Some(f) = &field {
            detail.push_str(&format!("{f}: "));
        }
        detail.push_str(&fault.to_string());
        let error = Error::new(Class::BadRequest, detail);
        Err(match field {
            Some(f) => error.with_field(f),
            None => error,
        })
    }
}

/// (the index of the array item, the first field name) of a JSON pointer into a body:
/// `/3/url` → (3, url); `/maxClicks` → (none, maxClicks); `/ids/2` → (none, ids).
fn where_in(pointer: &str) -> (Option<usize>, Option<String>) {
    let mut segments = pointer
        .split('/')
        .skip(1)
        .map(|s| s.replace("~1", "/").replace("~0", "~"));
    let first = segments.next();
    match first {
        None => (None, None),
        Some(s) => match s.parse::<usize>() {
            Ok(i) => (Some(i), segments.next()),
            Err(_) => (None, Some(s)),
        },
    }
}

/// Explicit bounds for the integer formats of OpenAPI (`int32`, `int64`), which JSON
/// Schema does not know: every tool reading the document then agrees on the range.
pub fn bound_integer_formats(node: &mut Value) {
    match node {
        Value::Object(obj) => {
            let is_integer = match obj.get("type") {
                Some(Value::String(t)) => t == "integer",
                Some(Value::Array(ts)) => ts.iter().any(|t| t == "integer"),
                _ => false,
            };
            let range = match obj.get("format").and_then(Value::as_str) {
                Some("int32") => Some((i64::from(i32::MIN), i64::from(i32::MAX))),
                Some("int64") => Some((i64::MIN, i64::MAX)),
                _ => None,
            };
            if let (true, Some((min, max))) = (is_integer, range) {
                obj.entry("minimum").or_insert(Value::from(min));
                obj.entry("maximum").or_insert(Value::from(max));
            }
            obj.values_mut().for_each(bound_integer_formats);
        }
        Value::Array(items) => items.iter_mut().for_each(bound_integer_formats),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn document() -> Value {
        let mut doc = json!({
            "openapi": "3.1.0",
            "paths": {
                "/things": {"post": {"requestBody": {"content": {"application/json": {"schema": {
                    "type": "array", "minItems": 1, "maxItems": 2,
                    "items": {"$ref": "#/components/schemas/Thing"}}}}}}},
                "/thing": {"patch": {"requestBody": {"content": {"application/json": {"schema": {
                    "$ref": "#/components/schemas/Thing"}}}}}},
            },
            "components": {"schemas": {"Thing": {"type": "object", "additionalProperties": false,
                "properties": {"url": {"type": ["string", "null"]},
                               "length": {"type": ["integer", "null"], "format": "int32"}}}}}
        });
        bound_integer_formats(&mut doc);
        doc
    }

    #[test]
    fn a_body_is_checked_against_its_operations_schema() {
        let schemas = BodySchemas::from_document(&document()).unwrap();
        assert!(schemas
            .check("PATCH /thing", &json!({"url": "a", "length": 5}))
            .is_ok());
        assert!(schemas.check("PATCH /thing", &json!({"url": null})).is_ok());
        let e = schemas
            .check("PATCH /thing", &json!({"url": 5}))
            .unwrap_err();
        assert_eq!(
            (e.class, e.field.as_deref()),
            (Class::BadRequest, Some("url"))
        );
        assert!(e.detail.starts_with("url: "), "{}", e.detail);
        // int32's range, from the format.
        let e = schemas
            .check("PATCH /thing", &json!({"length": 412155631622038_i64}))
            .unwrap_err();
        assert_eq!(e.field.as_deref(), Some("length"));
        assert!(schemas
            .check("PATCH /thing", &json!({"length": 2147483647}))
            .is_ok());
        // A field the schema does not know.
        let e = schemas
            .check("PATCH /thing", &json!({"bogus": 1}))
            .unwrap_err();
        assert!(e.detail.contains("bogus"), "{}", e.detail);
        // Items of an array are named by their index.
        let e = schemas
            .check("POST /things", &json!([{"url": "a"}, [null]]))
            .unwrap_err();
        assert!(e.detail.starts_with("item 1: "), "{}", e.detail);
        assert!(schemas.check("POST /things", &json!([])).is_err());
        assert!(schemas.check("POST /things", &json!([{}, {}, {}])).is_err());
        // An operation the document does not have is a bug, not the client's.
        assert_eq!(
            schemas.check("GET /thing", &json!({})).unwrap_err().class,
            Class::Internal
        );
    }

    #[test]
    fn pointers_name_the_item_and_field() {
        assert_eq!(where_in(""), (None, None));
        assert_eq!(where_in("/3/url"), (Some(3), Some("url".to_owned())));
        assert_eq!(where_in("/maxClicks"), (None, Some("maxClicks".to_owned())));
        assert_eq!(where_in("/ids/2"), (None, Some("ids".to_owned())));
        assert_eq!(where_in("/a~1b"), (None, Some("a/b".to_owned())));
    }
}
