//! The parser of the template language, one byte at a time.

use super::{
    Field, Flags, MAX_WIDTH, MODIFIER_NAMES, MODIFIERS, Piece, Spec, TemplateError, TemplateProblem,
};

/// Parses `text` into its pieces.
pub(super) fn parse(text: &str) -> Result<Vec<Piece>, TemplateError> {
    Parser {
        text,
        b: text.as_bytes(),
        i: 0,
        pieces: Vec::new(),
        literal: Vec::new(),
    }
    .run()
}

struct Parser<'a> {
    text: &'a str,
    b: &'a [u8],
    i: usize,
    pieces: Vec<Piece>,
    /// The literal text being collected.
    literal: Vec<u8>,
}

impl Parser<'_> {
    fn err<T>(&self, at: usize, problem: TemplateProblem) -> Result<T, TemplateError> {
        Err(TemplateError::new(at, problem))
    }

    /// The character at `at`, for messages (the end of the text is "end of template").
    fn found(&self, at: usize) -> String {
        self.text
            .get(at..)
            .and_then(|s| s.chars().next())
            .map_or_else(|| "end of template".to_owned(), |c| c.to_string())
    }

    fn run(mut self) -> Result<Vec<Piece>, TemplateError> {
        // Line breaks in the literal text so far, with where they came from: only one, at the
        // very end of the template, is allowed.
        let mut breaks: Vec<usize> = Vec::new();
        while self.i < self.b.len() {
            match self.b[self.i] {
                b'%' if self.b.get(self.i + 1) == Some(&b'%') => {
                    self.literal.push(b'%');
                    self.i += 2;
                }
                b'%' => {
                    let field = self.placeholder()?;
                    self.flush_literal();
                    self.pieces.push(Piece::Field(field));
                }
                b'\\' => {
                    let at = self.i;
                    let decoded = match self.b.get(at + 1) {
                        Some(b't') => b'\t',
                        Some(b'n') => b'\n',
                        Some(b'r') => b'\r',
                        Some(b'\\') => b'\\',
                        Some(_) => {
                            let found: String = self.text[at..].chars().take(2).collect();
                            return self.err(at, TemplateProblem::UnknownEscape(found));
                        }
                        None => return self.err(at, TemplateProblem::UnknownEscape("\\".into())),
                    };
                    if decoded == b'\n' {
                        breaks.push(at);
                    }
                    self.literal.push(decoded);
                    self.i += 2;
                }
                b'\n' => {
                    breaks.push(self.i);
                    self.literal.push(b'\n');
                    self.i += 1;
                }
                other => {
                    self.literal.push(other);
                    self.i += 1;
                }
            }
        }
        // The final line break is the end of the line; a `\r` before it belongs to the framing
        // as well (a reader drops it).
        if self.literal.last() == Some(&b'\n') {
            self.literal.pop();
            breaks.pop();
            if self.literal.last() == Some(&b'\r') {
                self.literal.pop();
            }
        }
        if let Some(&at) = breaks.first() {
            return self.err(at, TemplateProblem::LineBreak);
        }
        self.flush_literal();
        if self.pieces.is_empty() {
            return self.err(0, TemplateProblem::Empty);
        }
        if !self.pieces.iter().any(|p| matches!(p, Piece::Field(_))) {
            return self.err(0, TemplateProblem::NoField);
        }
        Ok(self.pieces)
    }

    fn flush_literal(&mut self) {
        if !self.literal.is_empty() {
            let text = std::mem::take(&mut self.literal);
            self.pieces.push(Piece::Text(text.into()));
        }
    }

    /// Reads a number of up to [`MAX_WIDTH`].
    fn number(&mut self) -> Result<Option<usize>, TemplateError> {
        let start = self.i;
        while self.b.get(self.i).is_some_and(u8::is_ascii_digit) {
            self.i += 1;
        }
        if start == self.i {
            return Ok(None);
        }
        let digits = &self.text[start..self.i];
        match digits.parse::<usize>() {
            Ok(n) if n <= MAX_WIDTH => Ok(Some(n)),
            Ok(n) => self.err(start, TemplateProblem::TooWide(n)),
            Err(_) => self.err(start, TemplateProblem::TooWide(usize::MAX)),
        }
    }

    /// Parses the placeholder whose `%` is at `self.i`.
    fn placeholder(&mut self) -> Result<Field, TemplateError> {
        let at = self.i;
        self.i += 1;
        let mut flags = Flags::default();
        while let Some(&c) = self.b.get(self.i) {
            match c {
                b'-' => flags.left = true,
                b'0' => flags.zero = true,
                b'+' => flags.plus = true,
                b' ' => flags.space = true,
                b'#' => flags.alt = true,
                _ => break,
            }
            self.i += 1;
        }
        let width = self.number()?;
        let precision = if self.b.get(self.i) == Some(&b'.') {
            self.i += 1;
            Some(self.number()?.unwrap_or(0))
        } else {
            None
        };
        let Some(&letter) = self.b.get(self.i) else {
            return self.err(at, TemplateProblem::Unfinished);
        };
        let Some(spec) = Spec::from_letter(letter) else {
            let found = self.found(self.i);
            return self.err(self.i, TemplateProblem::UnknownSpec(found));
        };
        self.i += 1;
        let list = if self.b.get(self.i) == Some(&b'(') {
            Some(self.separator()?)
        } else {
            None
        };
        // The vendor's LDAP JSON template has `%j,{UserID}`: the comma is written as text
        // before the value.
        if self.b.get(self.i) == Some(&b',') && self.b.get(self.i + 1) == Some(&b'{') {
            self.literal.push(b',');
            self.i += 1;
        }
        if self.b.get(self.i) != Some(&b'{') {
            let found = self.found(self.i);
            return self.err(self.i, TemplateProblem::MissingBrace(spec.letter(), found));
        }
        let brace = self.i;
        self.i += 1;
        let name_start = self.i;
        loop {
            match self.b.get(self.i) {
                None => return self.err(brace, TemplateProblem::UnclosedBrace),
                Some(b'}' | b':') => break,
                Some(c) if c.is_ascii_alphanumeric() || *c == b'_' => self.i += 1,
                Some(_) => {
                    // A brace whose text runs into the next placeholder or the end of the
                    // template before any `}` was never closed; otherwise the name is wrong.
                    let closed = self.b[self.i..]
                        .iter()
                        .find(|c| matches!(c, b'}' | b'%' | b'{' | b'\\' | b'\n'))
                        == Some(&b'}');
                    if !closed {
                        return self.err(brace, TemplateProblem::UnclosedBrace);
                    }
                    let c = self.found(self.i).chars().next().unwrap_or('?');
                    return self.err(self.i, TemplateProblem::FieldNameCharacter(c));
                }
            }
        }
        let name = &self.text[name_start..self.i];
        if name.is_empty() {
            return self.err(name_start, TemplateProblem::EmptyFieldName);
        }
        let modifier = if self.b[self.i] == b':' {
            self.i += 1;
            let mod_start = self.i;
            while self.b.get(self.i).is_some_and(|c| *c != b'}') {
                if matches!(self.b[self.i], b'%' | b'{' | b'\\' | b'\n') {
                    return self.err(brace, TemplateProblem::UnclosedBrace);
                }
                self.i += 1;
            }
            if self.i == self.b.len() {
                return self.err(brace, TemplateProblem::UnclosedBrace);
            }
            let text = &self.text[mod_start..self.i];
            let Some(&(_, m)) = MODIFIERS.iter().find(|(n, _)| *n == text) else {
                return self.err(
                    mod_start,
                    TemplateProblem::UnknownModifier(text.to_owned(), MODIFIER_NAMES),
                );
            };
            Some(m)
        } else {
            None
        };
        // At the closing brace.
        self.i += 1;
        Ok(Field {
            spec,
            flags,
            width,
            precision,
            list,
            name: name.into(),
            modifier,
            at,
        })
    }

    /// Reads `(separator)` at `self.i`; escapes are decoded.
    fn separator(&mut self) -> Result<Box<[u8]>, TemplateError> {
        let open = self.i;
        self.i += 1;
        let mut sep = Vec::new();
        loop {
            match self.b.get(self.i) {
                None | Some(b'\n') => return self.err(open, TemplateProblem::UnclosedSeparator),
                Some(b')') => break,
                Some(b'\\') => {
                    let decoded = match self.b.get(self.i + 1) {
                        Some(b't') => b'\t',
                        Some(b'\\') => b'\\',
                        _ => {
                            let found: String = self.text[self.i..].chars().take(2).collect();
                            return self.err(self.i, TemplateProblem::UnknownEscape(found));
                        }
                    };
                    sep.push(decoded);
                    self.i += 2;
                }
                Some(&c) => {
                    sep.push(c);
                    self.i += 1;
                }
            }
        }
        if sep.is_empty() {
            return self.err(open, TemplateProblem::EmptySeparator);
        }
        self.i += 1;
        Ok(sep.into())
    }
}
