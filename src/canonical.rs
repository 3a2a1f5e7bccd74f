//! Canonical JSON: the byte form hashed for events and commits.
//!
//! Rules (docs/FORMAT.md): object keys sorted by their UTF-8 bytes, no whitespace, strings escaped as JSON
//! requires and nothing more (`"`, `\`, and control characters; everything else is literal UTF-8), integers in
//! plain decimal, other numbers in the shortest form that reads back to the same binary64 value.
//! The writer sorts keys itself, so the output never depends on how a map was built.

use serde_json::Value;

/// Appends the canonical form of `value` to `out`.
pub fn write(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(number) => {
            use std::io::Write;
            write!(out, "{number}").expect("writing to a Vec cannot fail");
        }
        Value::String(text) => write_string(text, out),
        Value::Array(items) => {
            out.push(b'[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(b',');
                }
                write(item, out);
            }
            out.push(b']');
        }
        Value::Object(map) => {
            out.push(b'{');
            if is_sorted(map) {
                write_entries(map.iter(), out);
            } else {
                let mut entries: Vec<(&String, &Value)> = map.iter().collect();
                entries.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
                write_entries(entries.into_iter(), out);
            }
            out.push(b'}');
        }
    }
}

/// Whether the map iterates in byte order of its keys already (it does unless serde_json keeps insertion order).
fn is_sorted(map: &serde_json::Map<String, Value>) -> bool {
    let mut keys = map.keys();
    let Some(mut previous) = keys.next() else {
        return true;
    };
    for key in keys {
        if previous.as_bytes() >= key.as_bytes() {
            return false;
        }
        previous = key;
    }
    true
}

fn write_entries<'a>(entries: impl Iterator<Item = (&'a String, &'a Value)>, out: &mut Vec<u8>) {
    for (index, (key, item)) in entries.enumerate() {
        if index > 0 {
            out.push(b',');
        }
        write_string(key, out);
        out.push(b':');
        write(item, out);
    }
}

/// The canonical form of `value` as a new buffer.
pub fn to_vec(value: &Value) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    write(value, &mut out);
    out
}

/// Appends `text` as a JSON string literal.
pub fn write_string(text: &str, out: &mut Vec<u8>) {
    out.reserve(text.len() + 2);
    out.push(b'"');
    let bytes = text.as_bytes();
    let mut start = 0;
    for (index, &byte) in bytes.iter().enumerate() {
        if byte >= 0x20 && byte != b'"' && byte != b'\\' {
            continue;
        }
        let escape: &[u8] = match byte {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0c => b"\\f",
            0x00..=0x1f => {
                out.extend_from_slice(&bytes[start..index]);
                out.extend_from_slice(format!("\\u{byte:04x}").as_bytes());
                start = index + 1;
                continue;
            }
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..index]);
        out.extend_from_slice(escape);
        start = index + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// The size of `value`'s canonical form, without building it.
pub fn encoded_len(value: &Value) -> usize {
    match value {
        Value::Null => 4,
        Value::Bool(true) => 4,
        Value::Bool(false) => 5,
        Value::Number(number) => number_len(number),
        Value::String(text) => string_len(text),
        Value::Array(items) => {
            2 + items.len().saturating_sub(1) + items.iter().map(encoded_len).sum::<usize>()
        }
        Value::Object(map) => {
            2 + map.len().saturating_sub(1)
                + map
                    .iter()
                    .map(|(key, item)| string_len(key) + 1 + encoded_len(item))
                    .sum::<usize>()
        }
    }
}

/// The length of a number's canonical form, without allocating.
pub fn number_len(number: &serde_json::Number) -> usize {
    struct Count(usize);
    impl std::fmt::Write for Count {
        fn write_str(&mut self, text: &str) -> std::fmt::Result {
            self.0 += text.len();
            Ok(())
        }
    }
    let mut count = Count(0);
    std::fmt::Write::write_fmt(&mut count, format_args!("{number}")).expect("counting cannot fail");
    count.0
}

/// The length of a string's canonical literal, quotes included.
pub fn string_len(text: &str) -> usize {
    let mut extra = 0;
    for &byte in text.as_bytes() {
        extra += ESCAPE_EXTRA[byte as usize] as usize;
    }
    2 + text.len() + extra
}

/// Bytes a character adds when escaped: 1 for `"`, `\`, and control characters with a short escape, 5 for other
/// control characters (`\u00XX`), 0 for everything else.
const ESCAPE_EXTRA: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut byte = 0;
    while byte < 0x20 {
        table[byte] = 5;
        byte += 1;
    }
    table[b'"' as usize] = 1;
    table[b'\\' as usize] = 1;
    table[b'\n' as usize] = 1;
    table[b'\r' as usize] = 1;
    table[b'\t' as usize] = 1;
    table[0x08] = 1;
    table[0x0c] = 1;
    table
};

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sorts_keys_and_drops_whitespace() {
        let value = json!({"b": 1, "a": [true, null, "x"], "é": 1.5, "A": {"z": 0, "y": -2}});
        let text = String::from_utf8(to_vec(&value)).unwrap();
        assert_eq!(
            text,
            r#"{"A":{"y":-2,"z":0},"a":[true,null,"x"],"b":1,"é":1.5}"#
        );
        assert_eq!(encoded_len(&value), text.len());
    }

    #[test]
    fn escapes_only_what_json_requires() {
        let value = json!("q\"\\\n\u{1}\u{7f}/ü");
        let text = String::from_utf8(to_vec(&value)).unwrap();
        assert_eq!(text, "\"q\\\"\\\\\\n\\u0001\u{7f}/ü\"");
        assert_eq!(encoded_len(&value), text.len());
        let back: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back, value);
    }
}
