//! Every importer of `src/formats/` (hive, claude-code, codex, openhands, swe-agent, mini-swe-agent, tau-bench,
//! openai-chat): the input is a session file, read with `formats::read` in each format in turn, after format
//! detection (`detect`, `detect_start`) and `Context::results_summary`.
//!
//! Besides "no panic", it checks, for the format the file is detected as: every event an importer makes is a
//! valid hive event, and exporting the sessions (branches aside) gives back the file's records, JSON-equal, as
//! `hive export` promises.
#![no_main]

use hive::event::Event;
use hive::formats::{self, Context, Format, Layout};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use std::sync::Arc;

fuzz_target!(|data: &[u8]| {
    let detected = formats::detect(data).ok();
    if let Some(Ok(format)) = formats::detect_start(data) {
        assert_eq!(detected, Some(format), "detect agrees with detect_start");
    }
    let context = Context {
        resolved: Context::results_summary(data).map(Arc::new),
    };
    for format in Format::ALL {
        let Ok(sessions) = formats::read(format, data, &context) else {
            continue;
        };
        // Only the format a file is detected as promises valid events and a round trip (hive's own format
        // passes its lines through as they are, to be checked as events later).
        if format == Format::Hive || Some(format) != detected {
            continue;
        }
        for session in &sessions {
            for (index, event) in session.events.iter().enumerate() {
                if let Err(error) = Event::from_json(Value::Object(event.clone())) {
                    panic!("{format}: event {index} is invalid: {error}: {event:?}");
                }
            }
        }
        let mut exported = Vec::new();
        let whole: Vec<_> = sessions
            .iter()
            .filter(|session| session.branch.is_none())
            .collect();
        for session in &whole {
            let values = formats::export(format, session.events.clone())
                .unwrap_or_else(|error| panic!("{format}: export fails: {error}"));
            exported.extend(values);
        }
        let mut original = Layout::read(data).expect("read above").into_values();
        // A file of many sessions in one JSON list (tau-bench): each session, named by its key, gives back its
        // element, even when the list holds only one.
        let keyed = whole.iter().all(|session| session.key.is_some());
        if keyed && original.len() == 1 && original[0].is_array() {
            original = original.remove(0).as_array().expect("an array").clone();
        }
        assert_eq!(
            exported, original,
            "{format}: export gives back the records"
        );
    }
});
