//! The event JSON Lines parser of `hive append`, `hive commit FILE` and `hive import` of hive's own format
//! (`Repository::parse_event_lines_as_given`, over `Event::from_map`), and the staging journal's reader
//! (`journal::scan_bytes`), both over the input as it is and over journal records made from the parsed events.
//!
//! Besides "no panic", it checks: every parsed event parses again to itself, its canonical JSON parses back to
//! the same value, the events written as journal records scan back as the same events with their seqs, and a
//! scan's valid prefix and torn tail cover the bytes and scan again to the same records.
#![no_main]

use hive::Repository;
use hive::canonical;
use hive::event::Event;
use hive::journal::{JournalScan, scan_bytes};
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value};
use std::path::Path;
use std::sync::OnceLock;

const JOURNAL_MAGIC: &[u8; 8] = b"hivejnl\x01";

fn repo() -> &'static Repository {
    static REPO: OnceLock<(tempfile::TempDir, Repository)> = OnceLock::new();
    &REPO
        .get_or_init(|| {
            let temp = tempfile::tempdir().expect("temporary directory");
            let (repo, _) = Repository::init_bare(&temp.path().join("repo")).expect("init");
            (temp, repo)
        })
        .1
}

fuzz_target!(|data: &[u8]| {
    if let Ok(events) = repo().parse_event_lines_as_given(data) {
        for event in &events {
            let parsed = Event::from_map(event.clone()).expect("a parsed event parses again");
            assert_eq!(&parsed.into_map(), event, "a parsed event is its own map");
            let value = Value::Object(event.clone());
            let encoded = canonical::to_vec(&value);
            assert_eq!(canonical::encoded_len(&value), encoded.len(), "encoded_len");
            let back: Value = serde_json::from_slice(&encoded).expect("canonical JSON parses");
            assert_eq!(back, value, "canonical JSON round trip");
        }
        journal_round_trip(events);
    }
    scanned(data);
    let mut journal = JOURNAL_MAGIC.to_vec();
    journal.extend_from_slice(data);
    scanned(&journal);
});

/// Writes events as the journal does (seq from 0, canonical JSON, length and checksum) and scans them back.
fn journal_round_trip(events: Vec<Map<String, Value>>) {
    let mut bytes = JOURNAL_MAGIC.to_vec();
    let mut expected = Vec::with_capacity(events.len());
    for (seq, mut event) in events.into_iter().enumerate() {
        event.insert("seq".into(), Value::from(seq as u64));
        let payload = canonical::to_vec(&Value::Object(event.clone()));
        bytes.extend_from_slice(&(payload.len() as u32).to_le_bytes());
        bytes.extend_from_slice(&blake3::hash(&payload).as_bytes()[..8]);
        bytes.extend_from_slice(&payload);
        expected.push((seq as u64, event));
    }
    let scan = scan_bytes(&bytes, Path::new("fuzz.jnl")).expect("written records scan");
    assert!(scan.torn.is_none());
    assert_eq!(scan.valid_len, bytes.len() as u64);
    let found: Vec<(u64, Map<String, Value>)> = scan
        .events
        .into_iter()
        .map(|staged| (staged.seq, staged.event))
        .collect();
    assert_eq!(found, expected, "journal round trip");
}

fn scanned(bytes: &[u8]) {
    let Ok(scan) = scan_bytes(bytes, Path::new("fuzz.jnl")) else {
        return;
    };
    let JournalScan {
        events,
        valid_len,
        torn,
    } = scan;
    assert!(valid_len <= bytes.len() as u64);
    match torn {
        Some(tail) => {
            assert_eq!(
                tail.offset, valid_len,
                "the torn tail starts where the valid part ends"
            );
            assert_eq!(
                tail.offset + tail.bytes,
                bytes.len() as u64,
                "the torn tail runs to the end"
            );
        }
        None => assert!(valid_len == bytes.len() as u64 || bytes.is_empty()),
    }
    let again = scan_bytes(&bytes[..valid_len as usize], Path::new("fuzz.jnl"))
        .expect("the valid prefix scans");
    assert_eq!(
        again.events, events,
        "the valid prefix holds the same records"
    );
    assert!(again.torn.is_none());
}
