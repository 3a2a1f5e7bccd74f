//! Large payloads: fields over a threshold move into blobs, and blobs over 1 MiB into content-defined chunks.
//!
//! [`externalize`] replaces every large value of an event with `null` and records a typed reference under the
//! event's `$refs` field; [`resolve`] puts the values back. References name their place with a JSON Pointer
//! (RFC 6901), so they work at any depth. See docs/FORMAT.md, "Payload references".

use crate::canonical;
use crate::event::REFS_FIELD;
use crate::id::{ObjectId, ObjectKind};
use crate::object::{Chunks, DecodeError, HashedObject, RawObject};
use serde_json::{Map, Value};

/// Default size above which a field becomes a blob reference.
pub const DEFAULT_THRESHOLD: usize = 4096;

/// Payloads larger than this are split into chunks.
pub const CHUNKING_THRESHOLD: usize = 1 << 20;

/// Smallest chunk the content-defined chunker cuts.
pub const CHUNK_MIN: usize = 64 * 1024;
/// Average chunk the content-defined chunker aims for.
pub const CHUNK_AVERAGE: usize = 256 * 1024;
/// Largest chunk the content-defined chunker cuts.
pub const CHUNK_MAX: usize = 1024 * 1024;

/// Media type of a string payload.
pub const TEXT: &str = "text/plain; charset=utf-8";
/// Media type of a JSON payload (an object or array).
pub const JSON: &str = "application/json";

/// Fields that are never moved out of an event.
const PINNED: [&str; 4] = ["kind", "seq", "ts", REFS_FIELD];

/// Stores `bytes` as one blob, or as chunk blobs plus a chunk list when larger than 1 MiB.
/// New objects go to `out`; returns the id to reference.
pub fn store_bytes(bytes: &[u8], out: &mut Vec<HashedObject>) -> ObjectId {
    if bytes.len() <= CHUNKING_THRESHOLD {
        let object = RawObject::new(ObjectKind::Blob, bytes.to_vec()).hashed();
        let id = object.id();
        out.push(object);
        return id;
    }
    let chunker = fastcdc::v2020::FastCDC::new(bytes, CHUNK_MIN, CHUNK_AVERAGE, CHUNK_MAX);
    let mut chunks = Vec::new();
    for chunk in chunker {
        let piece = &bytes[chunk.offset..chunk.offset + chunk.length];
        let object = RawObject::new(ObjectKind::Blob, piece.to_vec()).hashed();
        chunks.push((chunk.length as u32, object.id()));
        out.push(object);
    }
    let list = Chunks {
        total: bytes.len() as u64,
        chunks,
    }
    .encode()
    .hashed();
    let id = list.id();
    out.push(list);
    id
}

/// Moves every value whose canonical size exceeds `threshold` into blobs (pushed to `out`), leaving `null`
/// in its place and a reference in `$refs`. Strings are stored as their UTF-8 bytes, other values as
/// canonical JSON. Nested values are moved first, so a large object keeps its small fields inline.
pub fn externalize(event: &mut Map<String, Value>, threshold: usize, out: &mut Vec<HashedObject>) {
    let mut refs = Vec::new();
    let mut keys: Vec<String> = event
        .keys()
        .filter(|key| !PINNED.contains(&key.as_str()))
        .cloned()
        .collect();
    keys.sort();
    for key in keys {
        let value = event.get_mut(&key).expect("key listed from the map");
        let mut path = String::from("/");
        path.push_str(&escape_pointer(&key));
        walk(value, &mut path, threshold, out, &mut refs);
    }
    if !refs.is_empty() {
        event.insert(REFS_FIELD.into(), Value::Array(refs));
    }
}

/// Externalizes the large parts of `value` and returns the size of its canonical form afterwards. One pass: each
/// value's size is computed once, from its children's sizes after their own large parts moved out.
fn walk(
    value: &mut Value,
    path: &mut String,
    threshold: usize,
    out: &mut Vec<HashedObject>,
    refs: &mut Vec<Value>,
) -> usize {
    let length = match value {
        Value::Null | Value::Bool(true) => return 4,
        Value::Bool(false) => return 5,
        Value::Number(number) => return canonical::number_len(number),
        Value::String(text) => {
            let length = canonical::string_len(text);
            if length > threshold {
                let id = store_bytes(text.as_bytes(), out);
                refs.push(reference(path, id, text.len(), TEXT));
                *value = Value::Null;
                return 4;
            }
            return length;
        }
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort_unstable_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
            let keys: Vec<String> = keys.into_iter().cloned().collect();
            let mut total = 2 + keys.len().saturating_sub(1);
            for key in keys {
                let length = path.len();
                path.push('/');
                path.push_str(&escape_pointer(&key));
                total += canonical::string_len(&key)
                    + 1
                    + walk(
                        map.get_mut(&key).expect("listed key"),
                        path,
                        threshold,
                        out,
                        refs,
                    );
                path.truncate(length);
            }
            total
        }
        Value::Array(items) => {
            let mut total = 2 + items.len().saturating_sub(1);
            for (index, item) in items.iter_mut().enumerate() {
                let length = path.len();
                path.push('/');
                path.push_str(&index.to_string());
                total += walk(item, path, threshold, out, refs);
                path.truncate(length);
            }
            total
        }
    };
    if length > threshold {
        // Still large after its large parts moved out: move the rest too. References recorded above point
        // inside this value; resolve() restores outer values before inner ones.
        let bytes = canonical::to_vec(value);
        let id = store_bytes(&bytes, out);
        refs.push(reference(path, id, bytes.len(), JSON));
        *value = Value::Null;
        return 4;
    }
    length
}

fn reference(path: &str, id: ObjectId, size: usize, media_type: &str) -> Value {
    let mut map = Map::new();
    map.insert("path".into(), path.into());
    map.insert("blob".into(), id.to_hex().into());
    map.insert("size".into(), size.into());
    map.insert("media_type".into(), media_type.into());
    Value::Object(map)
}

fn escape_pointer(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

fn unescape_pointer(token: &str) -> String {
    token.replace("~1", "/").replace("~0", "~")
}

/// One reference in an event's `$refs`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PayloadRef {
    /// JSON Pointer to the value's place in the event.
    pub path: String,
    /// The blob or chunk list holding the bytes.
    pub blob: ObjectId,
    /// Size of the payload in bytes.
    pub size: u64,
    /// `text/plain; charset=utf-8` or `application/json`.
    pub media_type: String,
}

/// Why an event's references cannot be resolved.
#[derive(Debug, thiserror::Error)]
pub enum PayloadError {
    /// `$refs` is not shaped as documented.
    #[error("malformed payload reference: {0}")]
    Malformed(String),
    /// The referenced object is absent.
    #[error("payload object {0} is missing")]
    Missing(ObjectId),
    /// The referenced object does not decode.
    #[error("payload object {id} is damaged: {source}")]
    Decode {
        /// The object.
        id: ObjectId,
        /// Why.
        source: DecodeError,
    },
    /// The payload bytes are not what the media type says.
    #[error("payload object {id} does not hold {media_type}")]
    Content {
        /// The object.
        id: ObjectId,
        /// The declared media type.
        media_type: String,
    },
    /// Reading the store failed.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

/// The references an event carries.
pub fn refs_of(event: &Map<String, Value>) -> Result<Vec<PayloadRef>, PayloadError> {
    let Some(value) = event.get(REFS_FIELD) else {
        return Ok(Vec::new());
    };
    let items = value
        .as_array()
        .ok_or_else(|| PayloadError::Malformed("$refs is not an array".into()))?;
    items
        .iter()
        .map(|item| {
            let field = |name: &str| {
                item.get(name)
                    .ok_or_else(|| PayloadError::Malformed(format!("a reference has no {name}")))
            };
            let text = |name: &str| {
                field(name)?.as_str().map(str::to_string).ok_or_else(|| {
                    PayloadError::Malformed(format!("a reference's {name} is not a string"))
                })
            };
            let blob = ObjectId::from_hex(&text("blob")?)
                .map_err(|error| PayloadError::Malformed(format!("a reference's blob: {error}")))?;
            Ok(PayloadRef {
                path: text("path")?,
                blob,
                size: field("size")?.as_u64().unwrap_or(0),
                media_type: text("media_type")?,
            })
        })
        .collect()
}

/// The blobs an event's canonical JSON references, read without building the event: the `$refs` entries are
/// checked as [`refs_of`] checks them, every other field is only skipped over.
pub fn blob_refs(event_json: &[u8]) -> Result<Vec<ObjectId>, PayloadError> {
    use serde::Deserialize;
    use serde::de::IgnoredAny;
    use std::borrow::Cow;

    #[derive(Deserialize)]
    struct Event<'a> {
        #[serde(rename = "$refs", default, borrow)]
        refs: Vec<Reference<'a>>,
    }
    #[derive(Deserialize)]
    struct Reference<'a> {
        #[serde(borrow)]
        blob: Cow<'a, str>,
        #[serde(rename = "path", borrow)]
        _path: Cow<'a, str>,
        #[serde(rename = "size")]
        _size: IgnoredAny,
        #[serde(rename = "media_type", borrow)]
        _media_type: Cow<'a, str>,
    }

    let event: Event = serde_json::from_slice(event_json)
        .map_err(|error| PayloadError::Malformed(format!("an event's $refs: {error}")))?;
    event
        .refs
        .iter()
        .map(|reference| {
            ObjectId::from_hex(&reference.blob)
                .map_err(|error| PayloadError::Malformed(format!("a reference's blob: {error}")))
        })
        .collect()
}

/// Reads a payload's bytes: a blob, or the concatenation of a chunk list's blobs.
pub fn read_bytes(
    store: &dyn crate::store::ObjectStore,
    id: ObjectId,
) -> Result<Vec<u8>, PayloadError> {
    let raw = store.read(&id)?.ok_or(PayloadError::Missing(id))?;
    match raw.kind {
        ObjectKind::Blob => Ok(raw.body),
        ObjectKind::Chunks => {
            let list =
                Chunks::decode(&raw).map_err(|source| PayloadError::Decode { id, source })?;
            let mut bytes = Vec::with_capacity(list.total as usize);
            for (_, chunk) in list.chunks {
                let piece = store.read(&chunk)?.ok_or(PayloadError::Missing(chunk))?;
                if piece.kind != ObjectKind::Blob {
                    return Err(PayloadError::Content {
                        id: chunk,
                        media_type: "a blob chunk".into(),
                    });
                }
                bytes.extend_from_slice(&piece.body);
            }
            Ok(bytes)
        }
        _ => Err(PayloadError::Content {
            id,
            media_type: "a blob or chunk list".into(),
        }),
    }
}

/// Puts every referenced value back into `event` and removes `$refs`.
pub fn resolve(
    event: &mut Map<String, Value>,
    store: &dyn crate::store::ObjectStore,
) -> Result<(), PayloadError> {
    let mut refs = refs_of(event)?;
    event.remove(REFS_FIELD);
    // A value moved out whole may hold places of values moved out before it: restore outer ones first.
    refs.sort_by_key(|reference| reference.path.len());
    for reference in refs {
        let bytes = read_bytes(store, reference.blob)?;
        let value = if reference.media_type == TEXT {
            Value::String(String::from_utf8(bytes).map_err(|_| PayloadError::Content {
                id: reference.blob,
                media_type: reference.media_type.clone(),
            })?)
        } else {
            serde_json::from_slice(&bytes).map_err(|_| PayloadError::Content {
                id: reference.blob,
                media_type: reference.media_type.clone(),
            })?
        };
        let slot = pointer_slot(event, &reference.path).ok_or_else(|| {
            PayloadError::Malformed(format!("no place {} in the event", reference.path))
        })?;
        *slot = value;
    }
    Ok(())
}

fn pointer_slot<'a>(event: &'a mut Map<String, Value>, path: &str) -> Option<&'a mut Value> {
    let mut tokens = path.strip_prefix('/')?.split('/').map(unescape_pointer);
    let first = tokens.next()?;
    let mut slot = event.get_mut(&first)?;
    for token in tokens {
        slot = match slot {
            Value::Object(map) => map.get_mut(&token)?,
            Value::Array(items) => items.get_mut(token.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(slot)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blob_refs_reads_what_refs_of_reads() {
        let mut event: Map<String, Value> = serde_json::from_str(&format!(
            r#"{{"kind":"tool_result","output":"{}","input":{{"path":"a.rs","content":"{}"}}}}"#,
            "o".repeat(5000),
            "c\\n\\\"".repeat(3000)
        ))
        .unwrap();
        let mut blobs = Vec::new();
        externalize(&mut event, DEFAULT_THRESHOLD, &mut blobs);
        let canonical = crate::canonical::to_vec(&Value::Object(event.clone()));
        let expected: Vec<ObjectId> = refs_of(&event)
            .unwrap()
            .into_iter()
            .map(|reference| reference.blob)
            .collect();
        assert_eq!(expected.len(), 2);
        assert_eq!(blob_refs(&canonical).unwrap(), expected);
        assert!(
            blob_refs(br#"{"kind":"user_message","text":"hi"}"#)
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn blob_refs_rejects_malformed_references() {
        let id = ObjectId::hash_canonical(b"x").to_hex();
        for bad in [
            r#"{"$refs":{}}"#.to_string(),
            r#"{"$refs":null}"#.to_string(),
            format!(r#"{{"$refs":[{{"blob":"{id}","path":"/a","size":1}}]}}"#),
            r#"{"$refs":[{"blob":"abc","media_type":"t","path":"/a","size":1}]}"#.to_string(),
            r#"{"$refs":[],"kind":"x""#.to_string(),
            "[1]".to_string(),
        ] {
            assert!(blob_refs(bad.as_bytes()).is_err(), "{bad}");
        }
    }
}
