//! The benchmark workload generator: deterministic, exact in size, and valid in both formats.

#[path = "../../benches/workload/mod.rs"]
mod generator;

use hive::event::Event;
use serde_json::Value;
use std::collections::HashMap;

#[test]
fn sessions_are_deterministic_and_exactly_sized() {
    for events in [3, 10, 200] {
        let first = generator::session(7, events);
        assert_eq!(first.len(), events);
        assert_eq!(first, generator::session(7, events));
        assert_ne!(first, generator::session(8, events));
    }
    assert_eq!(
        generator::claude_records(7, 200),
        generator::claude_records(7, 200)
    );
}

#[test]
fn hive_events_are_valid_and_varied() {
    let mut kinds: HashMap<String, usize> = HashMap::new();
    for session in 0..5 {
        for event in generator::session(session, 200) {
            let parsed = Event::from_map(event).expect("every generated event is valid");
            *kinds.entry(parsed.kind().name().to_string()).or_default() += 1;
        }
    }
    for kind in [
        "session_start",
        "user_message",
        "assistant_message",
        "reasoning",
        "tool_call",
        "tool_result",
        "file_op",
        "session_end",
    ] {
        assert!(
            kinds.get(kind).is_some_and(|count| *count > 0),
            "{kind} appears: {kinds:?}"
        );
    }
}

#[test]
fn claude_transcripts_chain_and_join_tool_calls() {
    let records = generator::claude_records(3, 200);
    let mut parent = Value::Null;
    let mut open_calls = HashMap::new();
    for record in &records {
        assert_eq!(record["parentUuid"], parent, "records chain by parentUuid");
        parent = record["uuid"].clone();
        for block in record["message"]["content"]
            .as_array()
            .into_iter()
            .flatten()
        {
            match block["type"].as_str() {
                Some("tool_use") => {
                    open_calls.insert(block["id"].as_str().unwrap().to_string(), ());
                }
                Some("tool_result") => {
                    assert!(
                        open_calls
                            .remove(block["tool_use_id"].as_str().unwrap())
                            .is_some(),
                        "a result answers an open call"
                    );
                }
                _ => {}
            }
        }
    }
    assert!(open_calls.is_empty(), "every tool call has its result");
    // Popular files are read in many sessions, in near-identical versions.
    let reads = |session| {
        generator::session(session, 200)
            .into_iter()
            .filter(|event| event["kind"] == "tool_call" && event["tool"] == "Read")
            .map(|event| event["input"]["file_path"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    let shared = reads(1)
        .iter()
        .filter(|path| reads(2).contains(path))
        .count();
    assert!(shared > 0, "sessions re-read the same files");
}
