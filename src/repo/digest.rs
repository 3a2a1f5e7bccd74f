//! Event digests for `diff`: per event, its signature (a hash of the event as stored without its volatile fields)
//! and what pairs it (kind, tool, call id). Computed from the events of an event list and kept in
//! `.hive/cache/diff/<list id>`, a derived file that is checked on read and rebuilt when absent or damaged, so a
//! diff reads event lists and digests, and only the events it shows.

use super::RepoError;
use super::history::read_event;
use crate::id::ObjectId;
use crate::object::EventList;
use crate::store::ObjectStore;
use rayon::prelude::*;
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};

/// What a diff needs of one event without reading it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Digest {
    /// The first 16 bytes of blake3 over the canonical JSON of the event as stored, volatile fields left out.
    pub signature: [u8; 16],
    /// The event's kind.
    pub kind: String,
    /// Its own `tool` field (a tool call's).
    pub tool: Option<String>,
    /// Its `call_id` (to find a result's tool from its call).
    pub call: Option<String>,
}

const MAGIC: &[u8; 6] = b"HVDG1\n";

/// The digest of one event as stored.
pub(super) fn digest_of(event: &Map<String, Value>) -> Digest {
    let bytes = crate::canonical::to_vec(&Value::Object(super::diff::stored_essence(event)));
    let mut signature = [0u8; 16];
    signature.copy_from_slice(&blake3::hash(&bytes).as_bytes()[..16]);
    let text = |field: &str| event.get(field).and_then(Value::as_str).map(str::to_string);
    Digest {
        signature,
        kind: text("kind").unwrap_or_default(),
        tool: text("tool"),
        call: text("call_id"),
    }
}

fn put_text(out: &mut Vec<u8>, text: Option<&str>) {
    match text {
        // Longer texts are cut: the digest only pairs events, and a tool name or call id is never that long.
        Some(text) => {
            let bytes = &text.as_bytes()[..text.len().min(u16::MAX as usize - 1)];
            out.extend_from_slice(&(bytes.len() as u16).to_le_bytes());
            out.extend_from_slice(bytes);
        }
        None => out.extend_from_slice(&u16::MAX.to_le_bytes()),
    }
}

fn encode(list: ObjectId, digests: &[Digest]) -> Vec<u8> {
    let mut out = MAGIC.to_vec();
    out.extend_from_slice(&(digests.len() as u32).to_le_bytes());
    for digest in digests {
        out.extend_from_slice(&digest.signature);
        put_text(&mut out, Some(&digest.kind));
        put_text(&mut out, digest.tool.as_deref());
        put_text(&mut out, digest.call.as_deref());
    }
    let check = blake3::Hasher::new()
        .update(list.as_bytes())
        .update(&out)
        .finalize();
    out.extend_from_slice(&check.as_bytes()[..16]);
    out
}

/// Decodes a digest file of list `list` with `count` events; `None` when it is not exactly that.
fn decode(list: ObjectId, count: usize, bytes: &[u8]) -> Option<Vec<Digest>> {
    let (body, check) = bytes.split_at_checked(bytes.len().checked_sub(16)?)?;
    let expected = blake3::Hasher::new()
        .update(list.as_bytes())
        .update(body)
        .finalize();
    if check != &expected.as_bytes()[..16] || !body.starts_with(MAGIC) {
        return None;
    }
    let mut rest = &body[MAGIC.len()..];
    let mut take = |length: usize| -> Option<&[u8]> {
        let (head, tail) = rest.split_at_checked(length)?;
        rest = tail;
        Some(head)
    };
    let stored = u32::from_le_bytes(take(4)?.try_into().ok()?) as usize;
    if stored != count {
        return None;
    }
    let mut digests = Vec::with_capacity(count);
    for _ in 0..count {
        let signature: [u8; 16] = take(16)?.try_into().ok()?;
        let mut text = || -> Option<Option<String>> {
            let length = u16::from_le_bytes(take(2)?.try_into().ok()?);
            if length == u16::MAX {
                return Some(None);
            }
            Some(Some(
                String::from_utf8(take(length as usize)?.to_vec()).ok()?,
            ))
        };
        let kind = text()??;
        let tool = text()?;
        let call = text()?;
        digests.push(Digest {
            signature,
            kind,
            tool,
            call,
        });
    }
    Some(digests)
}

/// Reads and keeps digests: from the cache folder when given, else from the events.
pub(super) struct Digests<'a> {
    pub store: &'a dyn ObjectStore,
    pub cache: Option<&'a Path>,
}

impl Digests<'_> {
    fn path(&self, list: ObjectId) -> Option<PathBuf> {
        let hex = list.to_hex();
        Some(self.cache?.join(&hex[..2]).join(&hex[2..]))
    }

    /// The digests of event list `id` (`list`), one per event in order.
    pub fn of_list(&self, id: ObjectId, list: &EventList) -> Result<Vec<Digest>, RepoError> {
        let path = self.path(id);
        if let Some(digests) = path
            .as_ref()
            .and_then(|path| std::fs::read(path).ok())
            .and_then(|bytes| decode(id, list.events.len(), &bytes))
        {
            return Ok(digests);
        }
        let digests: Vec<Digest> = list
            .events
            .par_iter()
            .with_min_len(64)
            .map(|event| Ok(digest_of(&read_event(self.store, *event)?)))
            .collect::<Result<_, RepoError>>()?;
        // Best effort: a cache that cannot be written costs the next diff a read, nothing else.
        if let Some(path) = path
            && let Some(parent) = path.parent()
            && std::fs::create_dir_all(parent).is_ok()
        {
            let _ = crate::fsutil::write_atomic(&path, &encode(id, &digests), false);
        }
        Ok(digests)
    }
}

/// Deletes the digest files in `cache` whose event list is not in `live`. Best effort.
pub(super) fn prune_cache(cache: &Path, live: &std::collections::HashSet<ObjectId>) {
    let Ok(folders) = std::fs::read_dir(cache) else {
        return;
    };
    for folder in folders.filter_map(Result::ok) {
        let prefix = folder.file_name().to_string_lossy().into_owned();
        let Ok(files) = std::fs::read_dir(folder.path()) else {
            continue;
        };
        for file in files.filter_map(Result::ok) {
            let name = format!("{prefix}{}", file.file_name().to_string_lossy());
            let keep = ObjectId::from_hex(&name).is_ok_and(|id| live.contains(&id));
            if !keep {
                let _ = std::fs::remove_file(file.path());
            }
        }
        let _ = std::fs::remove_dir(folder.path());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_round_trip_and_refuse_damage() {
        let list = ObjectId::from_bytes([7; 32]);
        let digests = vec![
            Digest {
                signature: [1; 16],
                kind: "tool_call".into(),
                tool: Some("Bash".into()),
                call: Some("c1".into()),
            },
            Digest {
                signature: [2; 16],
                kind: "tool_result".into(),
                tool: None,
                call: Some("c1".into()),
            },
            Digest {
                signature: [3; 16],
                kind: "user_message".into(),
                tool: None,
                call: None,
            },
        ];
        let bytes = encode(list, &digests);
        assert_eq!(decode(list, 3, &bytes), Some(digests.clone()));
        // Another list, another count, a flipped bit or a cut file: not these digests.
        assert_eq!(decode(ObjectId::from_bytes([8; 32]), 3, &bytes), None);
        assert_eq!(decode(list, 2, &bytes), None);
        for index in 0..bytes.len() {
            let mut damaged = bytes.clone();
            damaged[index] ^= 0x10;
            assert_eq!(decode(list, 3, &damaged), None, "byte {index}");
        }
        for length in 0..bytes.len() {
            assert_eq!(decode(list, 3, &bytes[..length]), None, "{length} bytes");
        }
    }
}
