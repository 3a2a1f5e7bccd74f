//! The search query language: words, `"exact phrases"`, `prefix*`, field filters (`tool:Bash`, `kind:error`,
//! `file:src/auth.rs`), `AND`, `OR`, `NOT` (or `-word`) and parentheses; words side by side must all match.
//! Parsed into a tree, then built as the search engine's query objects, so nothing a user types is read as the
//! engine's own syntax.

use super::SearchError;

/// A parsed query.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Query {
    /// Text that must appear: one word, or several in this order (a phrase).
    Text {
        /// The words, lowercased.
        words: Vec<String>,
        /// Whether the last word may be the start of a longer one (`auth*`).
        prefix: bool,
        /// The field it must be in; none for the event's text.
        field: Option<Field>,
    },
    /// All of them.
    And(Vec<Query>),
    /// Any of them.
    Or(Vec<Query>),
    /// The first without the second.
    Not(Box<Query>, Box<Query>),
}

/// A field a term can be limited to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    /// The tool of a tool call or result.
    Tool,
    /// The event's kind.
    Kind,
    /// A file path the event names.
    File,
}

/// Splits text into the words the index holds: runs of letters and digits, lowercased (as the index's tokenizer
/// does).
pub fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(str::to_lowercase)
        .collect()
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Token {
    Term { text: String, quoted: bool },
    And,
    Or,
    Not,
    Open,
    Close,
}

fn tokenize(input: &str) -> Result<Vec<Token>, SearchError> {
    let mut tokens = Vec::new();
    let mut chars = input.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
        } else if c == '(' {
            chars.next();
            tokens.push(Token::Open);
        } else if c == ')' {
            chars.next();
            tokens.push(Token::Close);
        } else if c == '-' {
            chars.next();
            tokens.push(Token::Not);
        } else {
            // A term: up to white space or a parenthesis, with "quoted" parts kept whole (`file:"my dir/a.rs"`).
            let mut text = String::new();
            let mut quoted = false;
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() || c == '(' || c == ')' {
                    break;
                }
                chars.next();
                if c == '"' {
                    quoted = true;
                    let mut closed = false;
                    for inner in chars.by_ref() {
                        if inner == '"' {
                            closed = true;
                            break;
                        }
                        text.push(inner);
                    }
                    if !closed {
                        return Err(SearchError::Query(format!(
                            "a phrase is not closed: {input}"
                        )));
                    }
                } else {
                    text.push(c);
                }
            }
            tokens.push(match (text.as_str(), quoted) {
                ("AND", false) => Token::And,
                ("OR", false) => Token::Or,
                ("NOT", false) => Token::Not,
                _ => Token::Term { text, quoted },
            });
        }
    }
    Ok(tokens)
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.at).cloned();
        self.at += 1;
        token
    }

    /// or := and ("OR" and)*
    fn or(&mut self) -> Result<Clause, SearchError> {
        let mut parts = vec![self.and()?];
        while self.peek() == Some(&Token::Or) {
            self.next();
            parts.push(self.and()?);
        }
        if parts.len() == 1 {
            return Ok(parts.pop().expect("one part"));
        }
        let mut queries = Vec::new();
        for part in parts {
            match part {
                Clause::Positive(query) => queries.push(query),
                Clause::Negative(_) => {
                    return Err(SearchError::Query(
                        "OR needs a term on each side that is not negated".into(),
                    ));
                }
            }
        }
        Ok(Clause::Positive(Query::Or(queries)))
    }

    /// and := unary (("AND")? unary)*
    fn and(&mut self) -> Result<Clause, SearchError> {
        let mut positive = Vec::new();
        let mut negative: Vec<Query> = Vec::new();
        loop {
            match self.peek() {
                None | Some(Token::Or) | Some(Token::Close) => break,
                Some(Token::And) => {
                    self.next();
                    continue;
                }
                _ => {}
            }
            match self.unary()? {
                Clause::Positive(query) => positive.push(query),
                Clause::Negative(query) => negative.push(query),
            }
        }
        if positive.is_empty() && negative.is_empty() {
            return Err(SearchError::Query(
                "an operator has nothing after it".into(),
            ));
        }
        let combine = |mut parts: Vec<Query>| {
            if parts.len() == 1 {
                parts.pop().expect("one part")
            } else {
                Query::And(parts)
            }
        };
        if positive.is_empty() {
            return Ok(Clause::Negative(combine(negative)));
        }
        let positive = combine(positive);
        Ok(Clause::Positive(if negative.is_empty() {
            positive
        } else {
            let negative = if negative.len() == 1 {
                negative.pop().expect("one part")
            } else {
                Query::Or(negative)
            };
            Query::Not(Box::new(positive), Box::new(negative))
        }))
    }

    /// unary := "NOT" unary | "(" or ")" | term
    fn unary(&mut self) -> Result<Clause, SearchError> {
        match self.next() {
            Some(Token::Not) => match self.unary()? {
                Clause::Positive(query) => Ok(Clause::Negative(query)),
                Clause::Negative(_) => Err(SearchError::Query("NOT NOT is not a query".into())),
            },
            Some(Token::Open) => {
                let inner = self.or()?;
                match self.next() {
                    Some(Token::Close) => Ok(inner),
                    _ => Err(SearchError::Query("a parenthesis is not closed".into())),
                }
            }
            Some(Token::Term { text, quoted }) => term(&text, quoted).map(Clause::Positive),
            Some(Token::Close) => Err(SearchError::Query("a ')' has no '(' before it".into())),
            Some(Token::And) | Some(Token::Or) | None => Err(SearchError::Query(
                "an operator has nothing after it".into(),
            )),
        }
    }
}

enum Clause {
    Positive(Query),
    Negative(Query),
}

fn term(text: &str, quoted: bool) -> Result<Query, SearchError> {
    let (field, rest) = match text.split_once(':') {
        Some((name, rest)) if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphabetic()) => {
            let field = match name.to_ascii_lowercase().as_str() {
                "tool" => Field::Tool,
                "kind" => Field::Kind,
                "file" | "path" => Field::File,
                other => {
                    return Err(SearchError::Query(format!(
                        "'{other}:' is not a field (tool:, kind:, file:)"
                    )));
                }
            };
            (Some(field), rest)
        }
        _ => (None, text),
    };
    let prefix = !quoted && rest.ends_with('*');
    let words = words(rest.trim_end_matches('*'));
    if words.is_empty() {
        return Err(SearchError::Query(format!(
            "'{text}' has no letters or digits to search for"
        )));
    }
    Ok(Query::Text {
        words,
        prefix,
        field,
    })
}

impl Query {
    /// Parses a query.
    pub fn parse(input: &str) -> Result<Query, SearchError> {
        let mut parser = Parser {
            tokens: tokenize(input)?,
            at: 0,
        };
        if parser.tokens.is_empty() {
            return Err(SearchError::Query("the query is empty".into()));
        }
        let clause = parser.or()?;
        if parser.at < parser.tokens.len() {
            return Err(SearchError::Query("a ')' has no '(' before it".into()));
        }
        match clause {
            Clause::Positive(query) => Ok(query),
            Clause::Negative(_) => Err(SearchError::Query(
                "a query needs at least one term that is not negated".into(),
            )),
        }
    }

    /// The query for tantivy: each term searched in the fields `fields` gives for it (with their boosts), all
    /// alternatives of a term counting as one match.
    pub fn to_tantivy(
        &self,
        fields: &dyn Fn(Option<Field>) -> Vec<(tantivy::schema::Field, f32)>,
    ) -> Box<dyn tantivy::query::Query> {
        use tantivy::Term;
        use tantivy::query::{
            BooleanQuery, BoostQuery, Occur, PhrasePrefixQuery, PhraseQuery, RegexQuery, TermQuery,
        };
        use tantivy::schema::IndexRecordOption;
        match self {
            Query::Text {
                words,
                prefix,
                field,
            } => {
                let alternatives: Vec<(Occur, Box<dyn tantivy::query::Query>)> = fields(*field)
                    .into_iter()
                    .map(|(target, boost)| {
                        let terms: Vec<Term> = words
                            .iter()
                            .map(|word| Term::from_field_text(target, word))
                            .collect();
                        let query: Box<dyn tantivy::query::Query> = match (terms.len(), prefix) {
                            (1, false) => Box::new(TermQuery::new(
                                terms[0].clone(),
                                IndexRecordOption::WithFreqsAndPositions,
                            )),
                            // Words hold letters and digits only: nothing in them is read as a pattern.
                            (1, true) => Box::new(
                                RegexQuery::from_pattern(&format!("{}.*", words[0]), target)
                                    .expect("a word followed by .* is a valid pattern"),
                            ),
                            (_, false) => Box::new(PhraseQuery::new(terms)),
                            (_, true) => Box::new(PhrasePrefixQuery::new(terms)),
                        };
                        let query: Box<dyn tantivy::query::Query> = if boost == 1.0 {
                            query
                        } else {
                            Box::new(BoostQuery::new(query, boost))
                        };
                        (Occur::Should, query)
                    })
                    .collect();
                Box::new(BooleanQuery::new(alternatives))
            }
            Query::And(parts) => Box::new(BooleanQuery::new(
                parts
                    .iter()
                    .map(|part| (Occur::Must, part.to_tantivy(fields)))
                    .collect(),
            )),
            Query::Or(parts) => Box::new(BooleanQuery::new(
                parts
                    .iter()
                    .map(|part| (Occur::Should, part.to_tantivy(fields)))
                    .collect(),
            )),
            Query::Not(positive, negative) => Box::new(BooleanQuery::new(vec![
                (Occur::Must, positive.to_tantivy(fields)),
                (Occur::MustNot, negative.to_tantivy(fields)),
            ])),
        }
    }

    /// The words of the positive terms, for highlighting.
    pub fn highlight_words(&self) -> Vec<(String, bool)> {
        match self {
            Query::Text { words, prefix, .. } => {
                let last = words.len().saturating_sub(1);
                words
                    .iter()
                    .enumerate()
                    .map(|(index, word)| (word.clone(), *prefix && index == last))
                    .collect()
            }
            Query::And(parts) | Query::Or(parts) => {
                parts.iter().flat_map(Query::highlight_words).collect()
            }
            Query::Not(positive, _) => positive.highlight_words(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(words: &[&str], prefix: bool, field: Option<Field>) -> Query {
        Query::Text {
            words: words.iter().map(|word| word.to_string()).collect(),
            prefix,
            field,
        }
    }

    #[test]
    fn parses_words_phrases_prefixes_fields_and_operators() {
        let parse = |input| Query::parse(input).unwrap();
        assert_eq!(parse("Linker"), text(&["linker"], false, None));
        assert_eq!(
            parse("cargo test"),
            Query::And(vec![
                text(&["cargo"], false, None),
                text(&["test"], false, None)
            ])
        );
        assert_eq!(
            parse("\"linker error\""),
            text(&["linker", "error"], false, None)
        );
        assert_eq!(parse("auth*"), text(&["auth"], true, None));
        assert_eq!(
            parse("tool:Bash"),
            text(&["bash"], false, Some(Field::Tool))
        );
        assert_eq!(
            parse("file:src/auth.rs"),
            text(&["src", "auth", "rs"], false, Some(Field::File))
        );
        assert_eq!(
            parse("file:\"my dir/a.rs\""),
            text(&["my", "dir", "a", "rs"], false, Some(Field::File))
        );
        assert_eq!(
            parse("a OR b c"),
            Query::Or(vec![
                text(&["a"], false, None),
                Query::And(vec![text(&["b"], false, None), text(&["c"], false, None)])
            ])
        );
        assert_eq!(
            parse("error NOT timeout"),
            Query::Not(
                Box::new(text(&["error"], false, None)),
                Box::new(text(&["timeout"], false, None))
            )
        );
        assert_eq!(
            parse("error -timeout -flaky"),
            Query::Not(
                Box::new(text(&["error"], false, None)),
                Box::new(Query::Or(vec![
                    text(&["timeout"], false, None),
                    text(&["flaky"], false, None)
                ]))
            )
        );
        assert_eq!(
            parse("(a OR b) AND kind:error"),
            Query::And(vec![
                Query::Or(vec![text(&["a"], false, None), text(&["b"], false, None)]),
                text(&["error"], false, Some(Field::Kind))
            ])
        );
        // Nothing typed is read as syntax of the engine's.
        assert_eq!(
            parse("NEAR(x) ^y"),
            Query::And(vec![
                text(&["near"], false, None),
                text(&["x"], false, None),
                text(&["y"], false, None)
            ])
        );
    }

    #[test]
    fn refuses_what_is_not_a_query() {
        for bad in [
            "",
            "   ",
            "NOT x",
            "-x",
            "a OR",
            "(a",
            "a)",
            "\"open",
            "colour:red",
            "***",
            "a OR -b",
        ] {
            assert!(Query::parse(bad).is_err(), "{bad:?}");
        }
    }
}
