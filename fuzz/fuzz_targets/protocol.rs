//! The sync protocol's parsers. The first byte picks one, the rest is its input:
//!
//! - 0: the transfer stream reader (`StreamReader`, with small `Limits`) over a push or fetch body;
//! - 1: a push header (`PushHeader` JSON, then `parse_commands`);
//! - 2: a fetch or offer request (`WantJson`, then `WantJson::parse`);
//! - 3: a `GET /REPO/refs` response (`parse_refs` over `RefsJson`);
//! - 4: a push response (`parse_report` over `ReportJson`);
//! - 5: an error response (`error_of` over `ErrorJson`);
//! - 6: a remote URL (`RemoteUrl::parse`), a repository name and a remote name;
//! - 7: a token's grants (`Grant` JSON) and what they allow.
//!
//! Token strings of `hive serve` (`server::token`) need the `server` feature and are not fuzzed here.
//!
//! Besides "no panic", it checks: the objects a stream gives hash to their ids, and written again they read back
//! the same with the same header; parsed commands, wants and URLs give back what they were parsed from.
#![no_main]

use hive::fuzzing::{
    ErrorJson, PushHeader, StreamReader, StreamWriter, WantJson, error_of, parse_commands,
    parse_refs, parse_report,
};
use hive::refs::RefName;
use hive::sync::remote::{RemoteUrl, check_remote_name, check_repo_name};
use hive::sync::{Access, Grant, Level, Limits};
use libfuzzer_sys::fuzz_target;
use std::path::Path;

const PEER: &str = "the fuzzer";

const LIMITS: Limits = Limits {
    max_body: 1 << 20,
    max_stream: 8 << 20,
    max_object: 1 << 20,
    max_header: 64 << 10,
};

fuzz_target!(|data: &[u8]| {
    let Some((&which, input)) = data.split_first() else {
        return;
    };
    match which % 8 {
        0 => stream(input),
        1 => push_header(input),
        2 => wants(input),
        3 => {
            if let Ok(advertisement) = parse_refs(PEER, input) {
                for remote in &advertisement.refs {
                    assert_eq!(
                        RefName::parse(remote.name.as_str()).as_ref(),
                        Ok(&remote.name)
                    );
                }
            }
        }
        4 => {
            let _ = parse_report(PEER, input);
        }
        5 => {
            let status = u16::from(input.first().copied().unwrap_or(0)) + 400;
            let (code, message) = error_of(status, input);
            match serde_json::from_slice::<ErrorJson>(input) {
                Ok(error) => assert_eq!((code, message), (error.error, error.message)),
                Err(_) => {
                    assert_eq!(code, format!("http-{status}"));
                    assert!(message.chars().count() <= 300);
                }
            }
        }
        6 => {
            if let Ok(text) = std::str::from_utf8(input) {
                url(text);
            }
        }
        _ => grants(input),
    }
});

fn stream(input: &[u8]) {
    let mut wire = input;
    let Ok((mut reader, header)) = StreamReader::open(PEER, &mut wire, LIMITS) else {
        return;
    };
    let mut objects = Vec::new();
    while let Ok(Some(object)) = reader.next_object() {
        assert_eq!(
            object.raw().id(),
            object.id(),
            "a received object hashes to its id"
        );
        objects.push(object);
    }
    assert_eq!(reader.objects(), objects.len() as u64);
    // Written again, the objects read back the same, with the same header.
    let mut writer = StreamWriter::new(Vec::new(), &header).expect("write to memory");
    for object in &objects {
        writer
            .add(&object.id(), object.raw())
            .expect("write to memory");
    }
    let bytes = writer.finish().expect("write to memory");
    let mut wire = &bytes[..];
    let (mut reader, again) =
        StreamReader::open(PEER, &mut wire, LIMITS).expect("a written stream opens");
    assert_eq!(again, header);
    for object in &objects {
        let read = reader
            .next_object()
            .expect("a written stream reads")
            .expect("an object");
        assert_eq!(&read, object);
    }
    assert!(
        reader
            .next_object()
            .expect("a written stream ends")
            .is_none()
    );
}

fn push_header(input: &[u8]) {
    let Ok(header) = serde_json::from_slice::<PushHeader>(input) else {
        return;
    };
    let Ok(commands) = parse_commands(PEER, &header.commands) else {
        return;
    };
    assert_eq!(commands.len(), header.commands.len());
    for (command, json) in commands.iter().zip(&header.commands) {
        assert_eq!(
            RefName::parse(command.name.as_str()).as_ref(),
            Ok(&command.name)
        );
        assert_eq!(
            command.old.map(|id| id.to_hex()),
            json.old.as_ref().map(|hex| hex.to_ascii_lowercase())
        );
        assert_eq!(
            command.new.map(|id| id.to_hex()),
            json.new.as_ref().map(|hex| hex.to_ascii_lowercase())
        );
        assert_eq!(command.force, json.force);
    }
}

fn wants(input: &[u8]) {
    let Ok(json) = serde_json::from_slice::<WantJson>(input) else {
        return;
    };
    let Ok((request, select)) = json.parse(PEER) else {
        return;
    };
    assert_eq!(request.wants.len(), json.wants.len());
    assert_eq!(request.haves.len(), json.haves.len());
    if let Some(select) = &select {
        assert_eq!(
            select.len() * 2,
            json.select.as_ref().expect("a selection").len()
        );
    }
    let again = WantJson::new(&request, None);
    let (back, none) = again.parse(PEER).expect("a written request parses");
    assert_eq!(back, request);
    assert!(none.is_none());
}

fn url(text: &str) {
    let _ = check_repo_name(text);
    let _ = check_remote_name(text);
    let cwd = Path::new("/fuzz/cwd");
    if let Ok(parsed) = RemoteUrl::parse(text, cwd) {
        if let RemoteUrl::Http { repo, .. } = &parsed {
            assert!(check_repo_name(repo).is_ok());
        }
        let stored = parsed.to_url();
        let again = RemoteUrl::parse(&stored, cwd)
            .unwrap_or_else(|error| panic!("the stored URL '{stored}' does not parse: {error}"));
        assert_eq!(again, parsed, "a stored URL parses to the same remote");
    }
}

fn grants(input: &[u8]) {
    let Some((&level, input)) = input.split_first() else {
        return;
    };
    let Ok(grants) = serde_json::from_slice::<Vec<Grant>>(input) else {
        return;
    };
    let level = [Level::Read, Level::Write, Level::Admin][usize::from(level) % 3];
    let access = Access::Scoped(grants.clone());
    for grant in &grants {
        let _ = grant.covers_repo("team");
        if let Ok(name) = RefName::run(if grant.prefix.is_empty() {
            "r"
        } else {
            &grant.prefix
        }) {
            let allowed = access.allows(level, &name);
            if grant.level >= level
                && name
                    .run_name()
                    .is_some_and(|run| run.starts_with(&grant.prefix))
            {
                assert!(
                    allowed,
                    "a grant at {} on '{}' allows {name}",
                    grant.level, grant.prefix
                );
            }
        }
    }
    assert_eq!(
        access.any(level),
        grants.iter().any(|grant| grant.level >= level)
    );
}
