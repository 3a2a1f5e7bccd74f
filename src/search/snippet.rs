//! Snippets: the passage of an event's text where the query's words are densest, with each word marked.

/// A passage and where the query's words are in it.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Snippet {
    /// The passage, on one line (white space runs are one space); `…` where it is cut.
    pub text: String,
    /// Byte ranges of `text` that match a word of the query.
    pub highlights: Vec<(usize, usize)>,
}

/// The window of about `width` characters of `text` holding the most matches of `words` (each a lowercase word,
/// and whether a longer word starting with it matches too).
pub fn snippet(text: &str, words: &[(String, bool)], width: usize) -> Snippet {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    // Words of the text with their byte ranges, and which match.
    let mut tokens: Vec<(usize, usize, bool)> = Vec::new();
    let mut start = None;
    for (index, c) in flat
        .char_indices()
        .chain(std::iter::once((flat.len(), ' ')))
    {
        match (c.is_alphanumeric(), start) {
            (true, None) => start = Some(index),
            (false, Some(begin)) => {
                let word = flat[begin..index].to_lowercase();
                let hit = words.iter().any(|(wanted, prefix)| {
                    if *prefix {
                        word.starts_with(wanted.as_str())
                    } else {
                        &word == wanted
                    }
                });
                tokens.push((begin, index, hit));
                start = None;
            }
            _ => {}
        }
    }
    let hits: Vec<(usize, usize)> = tokens
        .iter()
        .filter(|token| token.2)
        .map(|token| (token.0, token.1))
        .collect();
    // The window (in bytes, about `width` characters) that starts at a hit and covers the most hits.
    let span = width * 4;
    let mut best = (0usize, 0usize);
    for (index, &(begin, _)) in hits.iter().enumerate() {
        let covered = hits[index..]
            .iter()
            .take_while(|(_, end)| *end <= begin + span)
            .count();
        if covered > best.1 {
            best = (begin, covered);
        }
    }
    // Start a little before the first hit, on a character boundary, and keep `width` characters.
    let lead = width / 4;
    let mut from = best.0;
    for _ in 0..lead {
        match flat[..from].char_indices().next_back() {
            Some((index, _)) => from = index,
            None => break,
        }
    }
    let to = flat[from..]
        .char_indices()
        .nth(width)
        .map_or(flat.len(), |(index, _)| from + index);
    let mut text = String::new();
    let cut_before = from > 0;
    if cut_before {
        text.push('…');
    }
    let offset = text.len();
    text.push_str(&flat[from..to]);
    if to < flat.len() {
        text.push('…');
    }
    let highlights = hits
        .into_iter()
        .filter(|(begin, end)| *begin >= from && *end <= to)
        .map(|(begin, end)| (begin - from + offset, end - from + offset))
        .collect();
    Snippet { text, highlights }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_the_passage_with_the_words_and_marks_them() {
        let text = format!(
            "{}\nerror: linker `cc` failed\n  = note: ld returned 1 exit status\n{}",
            "compiling crate\n".repeat(40),
            "done\n".repeat(40)
        );
        let found = snippet(
            &text,
            &[("linker".into(), false), ("fail".into(), true)],
            60,
        );
        assert!(
            found.text.contains("error: linker `cc` failed"),
            "{found:?}"
        );
        let marked: Vec<&str> = found
            .highlights
            .iter()
            .map(|(begin, end)| &found.text[*begin..*end])
            .collect();
        assert_eq!(marked, ["linker", "failed"]);
        assert!(found.text.starts_with('…') && found.text.ends_with('…'));
        // No match: the start of the text.
        let plain = snippet("short text", &[("absent".into(), false)], 60);
        assert_eq!(
            plain,
            Snippet {
                text: "short text".into(),
                highlights: vec![]
            }
        );
    }
}
