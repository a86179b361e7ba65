//! The generator's one error type: every error names where in the document it arose.

use std::fmt;

/// A problem with the input document (or, rarely, with the generator itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// JSON pointer into the document, e.g. `#/paths/~1v1~1files/post/requestBody`.
    pub pointer: String,
    /// 1-based line in the source text, where the parser reports one.
    pub line: Option<usize>,
    /// What is wrong and, where it helps, what to do about it.
    pub message: String,
    /// A bug in the generator (a panic, emitted code that does not parse), not in the
    /// document: tests and the corpus runner fail on it, whatever the input.
    pub internal: bool,
}

impl Error {
    pub fn at(pointer: impl Into<String>, message: impl Into<String>) -> Self {
        Error {
            pointer: pointer.into(),
            line: None,
            message: message.into(),
            internal: false,
        }
    }

    /// A generator bug found while working on the node at `pointer`: `what` went wrong.
    pub fn internal(pointer: impl Into<String>, what: impl std::fmt::Display) -> Self {
        Error {
            internal: true,
            ..Error::at(
                pointer,
                format!("internal error: {what}; please report this document"),
            )
        }
    }

    pub fn with_line(mut self, line: Option<usize>) -> Self {
        self.line = line;
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at {}", self.pointer)?;
        if let Some(line) = self.line {
            write!(f, " (line {line})")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for Error {}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A construct the generator accepted with a documented fallback (see README, "Type mapping").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    pub pointer: String,
    pub message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "warning at {}: {}", self.pointer, self.message)
    }
}

/// Builds JSON pointers (RFC 6901): `~` becomes `~0`, `/` becomes `~1`.
pub fn pointer(parent: &str, token: &str) -> String {
    let mut out = String::with_capacity(parent.len() + token.len() + 1);
    out.push_str(parent);
    out.push('/');
    if token.contains(['~', '/']) {
        out.push_str(&token.replace('~', "~0").replace('/', "~1"));
    } else {
        out.push_str(token);
    }
    out
}
