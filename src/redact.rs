//! Redaction: secrets are masked in events before they are hashed and stored, on every capture path.
//!
//! Built-in detectors find private keys, providers' tokens by their prefixes, Authorization and Bearer headers,
//! passwords in URLs, `NAME=value` assignments whose name says secret, and, as a backstop, long random-looking
//! tokens. User rules (regular expressions, from `.hivemind` or `.hive/config`) add to them, and `allow` patterns
//! exempt what must stay. Each secret becomes `[REDACTED:<detector>]` inside its string, so the event stays valid
//! JSON and says which detector fired. Masking is deterministic: the same input always gives the same events.

use regex::{Regex, RegexSet};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// How many distinct secrets each detector masked.
pub type Counts = BTreeMap<String, u64>;

/// What has been masked so far, so that a secret seen again (a tool's output is both an event's field and part of
/// its source record) is counted once.
#[derive(Debug, Default)]
pub struct Tally {
    seen: std::collections::HashSet<(String, blake3::Hash)>,
    counts: Counts,
    /// Masks made, repeats included.
    masked: u64,
}

impl Tally {
    fn add(&mut self, detector: &str, secret: &str) {
        self.masked += 1;
        if self
            .seen
            .insert((detector.to_string(), blake3::hash(secret.as_bytes())))
        {
            *self.counts.entry(detector.to_string()).or_default() += 1;
        }
    }

    /// Distinct secrets masked, by detector.
    pub fn counts(&self) -> &Counts {
        &self.counts
    }

    /// Adds the counts to `total`.
    pub fn add_to(&self, total: &mut Counts) {
        for (detector, count) in &self.counts {
            *total.entry(detector.clone()).or_default() += count;
        }
    }
}

/// A user's redaction rule.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Rule {
    /// The detector name shown in the mask.
    pub name: String,
    /// A regular expression; the whole match is masked, or only its group named `secret` when it has one.
    pub pattern: String,
}

/// A rule that does not compile.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("redaction rule '{name}' is not a valid regular expression: {message}")]
pub struct RedactError {
    /// The rule's name (or `allow` for an allow pattern).
    pub name: String,
    /// The compiler's complaint.
    pub message: String,
}

struct Detector {
    name: String,
    regex: Regex,
}

/// The built-in detectors, in the order they win over each other for the same text. ASCII word boundaries and
/// spaces keep them within what the regex engine runs as a DFA (a Unicode `\b` would force its slowest engine).
const BUILT_IN: [(&str, &str); 10] = [
    (
        "private_key",
        r"-----BEGIN[A-Z ]{0,20} PRIVATE KEY-----(?s:.*?)(?:-----END[A-Z ]{0,20} PRIVATE KEY-----|\z)",
    ),
    ("anthropic_key", r"(?-u:\b)sk-ant-[A-Za-z0-9_\-]{20,}"),
    (
        "openai_key",
        r"(?-u:\b)sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{20,}",
    ),
    (
        "github_token",
        r"(?-u:\b)(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})",
    ),
    (
        "aws_access_key",
        r"(?-u:\b)(?:AKIA|ASIA)[0-9A-Z]{16}(?-u:\b)",
    ),
    ("slack_token", r"(?-u:\b)xox[abposr]-[A-Za-z0-9\-]{10,}"),
    ("huggingface_token", r"(?-u:\b)hf_[A-Za-z0-9]{30,}"),
    (
        "authorization",
        r#"(?i:authorization["']?[ \t\r\n]*[:=][ \t\r\n]*["']?(?:bearer|basic|token)?[ \t\r\n]*|(?-u:\b)bearer[ \t\r\n]+)(?P<secret>[A-Za-z0-9._~+/\-]{12,}=*)"#,
    ),
    (
        "url_credentials",
        r"(?-u:\b)[a-zA-Z][a-zA-Z0-9+.\-]*://[^[ \t\r\n]/:@\\]+:(?P<secret>[^[ \t\r\n]/@\\]{3,})@",
    ),
    (
        "secret_assignment",
        r#"(?-u:\b)[A-Z][A-Z0-9_]*(?:SECRET|PASSWORD|PASSWD|TOKEN|API_KEY|APIKEY|ACCESS_KEY|PRIVATE_KEY|CREDENTIALS?)[A-Z0-9_]*\\?["']?[ \t\r\n]*[:=][ \t\r\n]*\\?["']?(?P<secret>[^[ \t\r\n]"'`,;&)}\]<*\\]{8,})"#,
    ),
];

/// Name of the high-entropy backstop, which is not a regular expression (see `random_tokens`).
const HIGH_ENTROPY: &str = "high_entropy";

/// Masks secrets.
pub struct Redactor {
    /// Strings shorter than this are not searched: 12 bytes, or 0 with user rules.
    shortest: usize,
    set: RegexSet,
    detectors: Vec<Detector>,
    allow: Vec<Regex>,
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Redactor")
            .field(
                "detectors",
                &self.detectors.iter().map(|d| &d.name).collect::<Vec<_>>(),
            )
            .field("allow", &self.allow.len())
            .finish()
    }
}

impl Redactor {
    /// The built-in detectors, then `rules`; text matching an `allow` pattern is never masked.
    pub fn new(rules: &[Rule], allow: &[String]) -> Result<Redactor, RedactError> {
        let compile = |name: &str, pattern: &str| {
            Regex::new(pattern).map_err(|error| RedactError {
                name: name.to_string(),
                message: error.to_string(),
            })
        };
        let mut detectors = Vec::new();
        for (name, pattern) in BUILT_IN {
            detectors.push(Detector {
                name: name.to_string(),
                regex: compile(name, pattern)?,
            });
        }
        for rule in rules {
            detectors.push(Detector {
                name: rule.name.clone(),
                regex: compile(&rule.name, &rule.pattern)?,
            });
        }
        let set = RegexSet::new(detectors.iter().map(|detector| detector.regex.as_str())).map_err(
            |error| RedactError {
                name: "rules".into(),
                message: error.to_string(),
            },
        )?;
        let allow = allow
            .iter()
            .map(|pattern| compile("allow", pattern))
            .collect::<Result<_, _>>()?;
        Ok(Redactor {
            shortest: if rules.is_empty() { 12 } else { 0 },
            set,
            detectors,
            allow,
        })
    }

    /// Checks that user rules and allow patterns compile, without building the detectors.
    pub fn check(rules: &[Rule], allow: &[String]) -> Result<(), RedactError> {
        let patterns = rules
            .iter()
            .map(|rule| (rule.name.as_str(), rule.pattern.as_str()))
            .chain(allow.iter().map(|pattern| ("allow", pattern.as_str())));
        for (name, pattern) in patterns {
            Regex::new(pattern).map_err(|error| RedactError {
                name: name.to_string(),
                message: error.to_string(),
            })?;
        }
        Ok(())
    }

    /// The built-in detectors alone.
    pub fn built_in() -> Redactor {
        Redactor::new(&[], &[]).expect("the built-in detectors compile")
    }

    /// The names of the detectors, built-in first.
    pub fn detector_names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.detectors.iter().map(|d| d.name.as_str()).collect();
        names.push(HIGH_ENTROPY);
        names
    }

    /// `text` with its secrets masked, or `None` when it has none.
    pub fn redact_str(&self, text: &str, tally: &mut Tally) -> Option<String> {
        // Shorter than any secret the built-in detectors find (kinds, names, small numbers), unless a user rule
        // may match anything.
        if text.len() < self.shortest {
            return None;
        }
        let mut spans: Vec<(usize, usize, &str)> = Vec::new();
        for index in self.set.matches(text).iter() {
            let detector = &self.detectors[index];
            for captures in detector.regex.captures_iter(text) {
                let found = captures
                    .name("secret")
                    .or_else(|| captures.get(0))
                    .expect("a match has group 0");
                // A value found by its context (a header, an assignment, a URL) that is a reference or a
                // name rather than a secret is left alone.
                let reference = captures.name("secret").is_some() && is_reference(found.as_str());
                if !found.is_empty() && !reference {
                    spans.push((found.start(), found.end(), &detector.name));
                }
            }
        }
        for (start, end) in random_tokens(text) {
            spans.push((start, end, HIGH_ENTROPY));
        }
        if spans.is_empty() {
            return None;
        }
        // Earlier spans first, and of two starting together the detector listed first; overlaps go to the first.
        spans.sort_by_key(|&(start, end, _)| (start, std::cmp::Reverse(end)));
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        let mut masked = false;
        for (start, end, name) in spans {
            if start < at {
                // Overlapping an earlier mask: the mask covers this one's tail too.
                if masked && end > at {
                    tally.add(name, &text[start..end]);
                    at = end;
                }
                continue;
            }
            let secret = &text[start..end];
            if self.allow.iter().any(|allow| allow.is_match(secret)) {
                continue;
            }
            out.push_str(&text[at..start]);
            out.push_str("[REDACTED:");
            out.push_str(name);
            out.push(']');
            tally.add(name, secret);
            at = end;
            masked = true;
        }
        if !masked {
            return None;
        }
        out.push_str(&text[at..]);
        Some(out)
    }

    /// Masks the secrets in every string of `value`, and the whole string under a key that names a secret
    /// (`password`, `api_key`, `client_secret`, `GITHUB_TOKEN`, ...). A string that holds JSON (a tool call's
    /// arguments) is masked through its parsed form, so escapes cannot hide a secret and the JSON stays valid.
    pub fn redact_value(&self, value: &mut Value, tally: &mut Tally) {
        match value {
            Value::String(text) => {
                let trimmed = text.trim_start();
                if (trimmed.starts_with('{') || trimmed.starts_with('['))
                    && let Ok(mut inner) = serde_json::from_str::<Value>(text)
                    && inner.is_object() | inner.is_array()
                {
                    let before = tally.masked;
                    self.redact_value(&mut inner, tally);
                    if tally.masked != before {
                        *text = serde_json::to_string(&inner).expect("JSON serializes");
                    }
                    return;
                }
                if let Some(masked) = self.redact_str(text, tally) {
                    *text = masked;
                }
            }
            Value::Array(items) => {
                for item in items {
                    self.redact_value(item, tally);
                }
            }
            Value::Object(fields) => self.redact_map(fields, tally),
            _ => {}
        }
    }

    /// Masks the secrets in every string of an event.
    pub fn redact_map(&self, fields: &mut Map<String, Value>, tally: &mut Tally) {
        for (key, value) in fields.iter_mut() {
            if let Value::String(text) = value
                && names_secret(key)
                && text.len() >= 8
                && !is_reference(text)
                && !text.starts_with("[REDACTED:")
            {
                tally.add(SECRET_FIELD, text);
                *text = format!("[REDACTED:{SECRET_FIELD}]");
                continue;
            }
            self.redact_value(value, tally);
        }
    }
}

/// Name of the detector that masks values under keys naming a secret.
const SECRET_FIELD: &str = "secret_field";

/// Whether an object key names a secret: it ends (case aside) in `password`, `passwd`, `secret`, `token`,
/// `api_key`/`apikey`, `access_key`, `private_key` or `credential(s)`. `max_tokens` and `token_type` do not.
fn names_secret(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    [
        "password",
        "passwd",
        "secret",
        "token",
        "api_key",
        "apikey",
        "api-key",
        "access_key",
        "private_key",
        "credential",
        "credentials",
    ]
    .iter()
    .any(|end| key.ends_with(end))
}

/// Whether a value in a secret's place is not one: a variable or template reference (`$TOKEN`, `${{ … }}`,
/// `<token>`, `%s`), or a name or expression with no digit (`undefined`, `apiKeyValue`, `os.environ`,
/// `REDACTED_TOKEN`).
fn is_reference(value: &str) -> bool {
    value.starts_with(['$', '<', '{', '%', '['])
        || value
            .bytes()
            .all(|byte| byte.is_ascii_alphabetic() || byte == b'.' || byte == b'_')
        // Already masked by its producer: `********`, `xxxxxxxx`.
        || value.bytes().all(|byte| matches!(byte, b'*' | b'x' | b'X' | b'.' | b'-'))
}

/// Runs of token characters (letters, digits, `+/=_-`) 32 to 128 long with a part that looks random: a stretch
/// between `-` and `_` of at least 32 characters with upper and lower case letters and digits, at least 4.5 bits
/// of entropy per character, fewer than three `/`, and that is not base64 of text. So hex (hashes, ids: at most 4
/// bits per character), words, identifiers, paths, prefixed ids (`toolu_01…`, `gen-1763…-…`) and encoded text are
/// left alone, and so are longer runs (encoded images, encrypted blobs), which are data rather than credentials.
fn random_tokens(text: &str) -> Vec<(usize, usize)> {
    let bytes = text.as_bytes();
    // `=` ends a run (an assignment's name is not part of its value); base64's trailing padding is left out.
    let is_token = |byte: u8| byte.is_ascii_alphanumeric() || b"+/_-".contains(&byte);
    let mut found = Vec::new();
    let mut index = 0;
    while index < bytes.len() {
        if !is_token(bytes[index]) {
            index += 1;
            continue;
        }
        let start = index;
        while index < bytes.len() && is_token(bytes[index]) {
            index += 1;
        }
        let token = &bytes[start..index];
        if (32..=128).contains(&token.len())
            && token
                .split(|&byte| byte == b'-' || byte == b'_')
                .any(|part| part.len() >= 32 && looks_random(part))
        {
            found.push((start, index));
        }
    }
    found
}

fn looks_random(token: &[u8]) -> bool {
    let (mut upper, mut lower, mut digit, mut slashes) = (0, 0, 0, 0);
    let mut histogram = [0u32; 256];
    for &byte in token {
        upper += usize::from(byte.is_ascii_uppercase());
        lower += usize::from(byte.is_ascii_lowercase());
        digit += usize::from(byte.is_ascii_digit());
        slashes += usize::from(byte == b'/');
        histogram[usize::from(byte)] += 1;
    }
    // Random base62/base64 text of this length has several of each, and rarely three slashes (a path has).
    if upper < 3 || lower < 3 || digit < 2 || slashes >= 3 {
        return false;
    }
    let length = token.len() as f64;
    let entropy: f64 = histogram
        .iter()
        .filter(|&&count| count > 0)
        .map(|&count| {
            let p = f64::from(count) / length;
            -p * p.log2()
        })
        .sum();
    // Base64 cut out of a longer text may start off its 4-character grid: try each start.
    entropy >= 4.5 && !(0..4).any(|skip| encoded_text(&token[skip..]))
}

/// Whether `token` is base64 whose bytes are mostly printable text (a message, not a key).
fn encoded_text(token: &[u8]) -> bool {
    let value = |byte: u8| match byte {
        b'A'..=b'Z' => Some(byte - b'A'),
        b'a'..=b'z' => Some(byte - b'a' + 26),
        b'0'..=b'9' => Some(byte - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    };
    let mut decoded = Vec::with_capacity(token.len() * 3 / 4);
    let (mut bits, mut count) = (0u32, 0);
    for &byte in token.iter().take_while(|&&byte| byte != b'=') {
        let Some(six) = value(byte) else {
            return false;
        };
        bits = (bits << 6) | u32::from(six);
        count += 6;
        if count >= 8 {
            count -= 8;
            decoded.push((bits >> count) as u8);
        }
    }
    let printable = decoded
        .iter()
        .filter(|&&byte| byte.is_ascii_graphic() || byte == b' ' || byte == b'\n')
        .count();
    !decoded.is_empty() && printable * 10 >= decoded.len() * 9
}

#[cfg(test)]
mod tests {
    use super::*;

    fn redact(text: &str) -> (String, Counts) {
        let mut tally = Tally::default();
        let out = Redactor::built_in()
            .redact_str(text, &mut tally)
            .unwrap_or_else(|| text.to_string());
        (out, tally.counts().clone())
    }

    #[test]
    fn each_detector_masks_its_secret() {
        let cases = [
            (
                "key: -----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY----- done",
                "key: [REDACTED:private_key] done",
            ),
            (
                "ANTHROPIC sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWx ok",
                "ANTHROPIC [REDACTED:anthropic_key] ok",
            ),
            (
                "use sk-proj-AbCdEfGhIjKlMnOpQrStUvWx1234",
                "use [REDACTED:openai_key]",
            ),
            (
                "token ghp_abcdefghijklmnopqrstuvwxyz0123456789",
                "token [REDACTED:github_token]",
            ),
            ("AKIAIOSFODNN7EXAMPLE.", "[REDACTED:aws_access_key]."),
            ("xoxb-123456789012-abcdefgh", "[REDACTED:slack_token]"),
            (
                "hf_abcdefghijklmnopqrstuvwxyzABCDEF",
                "[REDACTED:huggingface_token]",
            ),
            (
                "curl -H 'Authorization: Bearer abc.def-ghi_jkl012'",
                "curl -H 'Authorization: Bearer [REDACTED:authorization]'",
            ),
            (
                "git clone https://me:hunter2secret@example.com/r.git",
                "git clone https://me:[REDACTED:url_credentials]@example.com/r.git",
            ),
            (
                "export DB_PASSWORD=correct-horse-battery",
                "export DB_PASSWORD=[REDACTED:secret_assignment]",
            ),
            (
                r#"{"STRIPE_SECRET_KEY": "rk_live_51Habcdefgh"}"#,
                r#"{"STRIPE_SECRET_KEY": "[REDACTED:secret_assignment]"}"#,
            ),
            (
                "random Zx8Kq2LmN5vB7wR1tY4uI9oP3aS6dF0gH2jK",
                "random [REDACTED:high_entropy]",
            ),
            (
                "DB_PASSWORD=P@ss$w0rd!2024xyz",
                "DB_PASSWORD=[REDACTED:secret_assignment]",
            ),
            (
                "SEED=Zx8Kq2LmN5vB7wR1tY4uI9oP3aS6dF0gH2jK",
                "SEED=[REDACTED:high_entropy]",
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(redact(input).0, expected, "{input}");
        }
    }

    #[test]
    fn code_hashes_and_references_are_left_alone() {
        for text in [
            "let token = self.next_token(); password = input()",
            "commit 3f2a9c1e8b7d6a5f4e3d2c1b0a9f8e7d6c5b4a39 and blake3 af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262",
            "id 019e1625-789d-76c0-80ab-3724b5ddb799",
            "export API_TOKEN=$API_TOKEN; GITHUB_TOKEN=${{ secrets.GITHUB_TOKEN }}",
            "env.CODEMIE_API_KEY = apiKeyValue; CODEMIE_API_KEY : undefined",
            "git remote set-url origin https://oauth2:${GITLAB_TOKEN}@gitlab.com/x.git",
            "'authorization': 'Bearer REDACTED_TOKEN'",
            "src/components/AuthenticationProvider.tsx handles useAuthenticationContextValue",
            "https://example.com/path?query=1",
            "The quick brown fox jumps over the lazy dog",
            "ids toolu_bdrk_01M6PWVSrj68MBb6U3u8oDCX gen-1763509061-eRzCLMWow0RnuXI94duV",
            "cache/openai-curated/superpowers/63976030/skills/brainstorming/SKILL.md",
            "echo IHJlcGVhdCB0aGVzZSB3b3JkczogImZsYWd7V2UgYXJlIGZzb2NpZXR5LCB3ZSBhcmUgZmluYWxs | base64 -d",
        ] {
            let (out, counts) = redact(text);
            assert_eq!(out, text, "{counts:?}");
        }
    }

    #[test]
    fn masks_keep_json_valid_and_count_by_detector() {
        let mut event = serde_json::json!({
            "kind": "tool_call",
            "input": {"command": "OPENAI_API_KEY=sk-AbCdEfGhIjKlMnOpQrStUvWx12 python x.py", "n": 3},
            "list": ["ghp_abcdefghijklmnopqrstuvwxyz0123456789", "again ghp_abcdefghijklmnopqrstuvwxyz0123456789"]
        });
        let mut tally = Tally::default();
        Redactor::built_in().redact_value(&mut event, &mut tally);
        let counts = tally.counts();
        let text = serde_json::to_string(&event).unwrap();
        assert!(
            !text.contains("sk-AbCd") && !text.contains("ghp_abc"),
            "{text}"
        );
        // The same secret twice is one secret.
        assert_eq!(counts["github_token"], 1);
        assert_eq!(counts.values().sum::<u64>(), 2, "{counts:?}");
        serde_json::from_str::<Value>(&text).unwrap();
    }

    #[test]
    fn json_inside_strings_and_secret_keys_are_masked() {
        let redactor = Redactor::built_in();
        let mut tally = Tally::default();
        let mut call = serde_json::json!({
            "arguments": "{\"cmd\": \"export API_TOKEN=\\\"abcd1234efgh\\\" && echo \\\"DB_PASSWORD=hunter2hunter2\\\"\"}",
            "env": {"OPENAI_API_KEY": "abcd1234efgh", "max_tokens": "12345678", "token_type": "bearer-token"},
            "password": "hunter2hunter2",
            "api_key": "**********"
        });
        redactor.redact_value(&mut call, &mut tally);
        let text = serde_json::to_string(&call).unwrap();
        assert!(
            !text.contains("abcd1234efgh") && !text.contains("hunter2hunter2"),
            "{text}"
        );
        let arguments: Value = serde_json::from_str(call["arguments"].as_str().unwrap()).unwrap();
        assert!(
            arguments["cmd"].as_str().unwrap().contains("[REDACTED:"),
            "{arguments}"
        );
        assert_eq!(call["env"]["max_tokens"], "12345678");
        assert_eq!(call["env"]["token_type"], "bearer-token");
        assert_eq!(call["api_key"], "**********");
    }

    #[test]
    fn user_rules_add_and_allow_exempts() {
        let redactor = Redactor::new(
            &[Rule {
                name: "employee_id".into(),
                pattern: r"\bEMP-(?P<secret>\d{6})\b".into(),
            }],
            &["^sk-test-".into()],
        )
        .unwrap();
        let mut tally = Tally::default();
        assert_eq!(
            redactor.redact_str("badge EMP-123456", &mut tally).unwrap(),
            "badge EMP-[REDACTED:employee_id]"
        );
        assert_eq!(
            redactor.redact_str("sk-test-AbCdEfGhIjKlMnOpQrStUvWx", &mut tally),
            None
        );
        let bad = Redactor::new(
            &[Rule {
                name: "broken".into(),
                pattern: "(".into(),
            }],
            &[],
        )
        .unwrap_err();
        assert_eq!(bad.name, "broken");
    }
}
