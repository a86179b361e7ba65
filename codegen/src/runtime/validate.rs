//! Schema constraints the types cannot hold (bounds, lengths, item counts, closed value
//! sets), checked after deserializing. The same for every API: written once in the
//! generator's tree and copied verbatim into each generated crate as `src/validate.rs`;
//! the per-type `Validate` impls in `models.rs` call it.

use std::collections::BTreeMap;
use std::fmt;

/// A value that breaks a constraint of its schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// JSON pointer to the value, e.g. `/messages/0/role` (`""` for the whole document).
    pub pointer: String,
    /// What the schema asks, e.g. `must be at most 100`.
    pub message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.pointer.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "{}: {}", self.pointer, self.message)
        }
    }
}

impl std::error::Error for Violation {}

/// Where a value sits, kept on the stack and spelled out only when a check fails, so a
/// valid document costs no allocation.
#[derive(Debug, Clone, Copy)]
pub enum Path<'a> {
    Root,
    Field(&'a Path<'a>, &'a str),
    Index(&'a Path<'a>, usize),
}

impl<'a> Path<'a> {
    pub fn field(&'a self, name: &'a str) -> Path<'a> {
        Path::Field(self, name)
    }

    pub fn index(&'a self, index: usize) -> Path<'a> {
        Path::Index(self, index)
    }

    /// The JSON pointer (RFC 6901) of this place.
    pub fn pointer(&self) -> String {
        match self {
            Path::Root => String::new(),
            Path::Field(parent, name) => format!(
                "{}/{}",
                parent.pointer(),
                name.replace('~', "~0").replace('/', "~1")
            ),
            Path::Index(parent, index) => format!("{}/{index}", parent.pointer()),
        }
    }

    pub fn violation(&self, message: impl Into<String>) -> Violation {
        Violation {
            pointer: self.pointer(),
            message: message.into(),
        }
    }
}

/// Checks the constraints of a value and everything it holds.
pub trait Validate {
    /// The first violation in this value, `at` the place it sits. The default, for the
    /// types whose schemas constrain nothing they hold, finds none.
    fn validate_at(&self, at: Path<'_>) -> Result<(), Violation> {
        let _ = at;
        Ok(())
    }

    /// Checks the whole value; the first violation found, if any.
    fn validate(&self) -> Result<(), Violation> {
        self.validate_at(Path::Root)
    }
}

/// Validates a value another holds (a field, an item, a variant's value) at its place:
/// the short spelling the generated impls use.
pub fn check<T: Validate + ?Sized>(value: &T, at: Path<'_>) -> Result<(), Violation> {
    value.validate_at(at)
}

macro_rules! unconstrained {
    ($($ty:ty),* $(,)?) => {
        $(impl Validate for $ty {})*
    };
}

// Constraints on these are checked where the field is declared (bounds, lengths).
unconstrained!(
    String,
    bool,
    u8,
    i32,
    i64,
    f64,
    serde_json::Value,
    serde_json::Map<String, serde_json::Value>,
);

impl<T: Validate> Validate for Option<T> {
    fn validate_at(&self, at: Path<'_>) -> Result<(), Violation> {
        match self {
            Some(value) => value.validate_at(at),
            None => Ok(()),
        }
    }
}

impl<T: Validate> Validate for Box<T> {
    fn validate_at(&self, at: Path<'_>) -> Result<(), Violation> {
        (**self).validate_at(at)
    }
}

impl<T: Validate> Validate for Vec<T> {
    fn validate_at(&self, at: Path<'_>) -> Result<(), Violation> {
        self.iter()
            .enumerate()
            .try_for_each(|(i, item)| item.validate_at(at.index(i)))
    }
}

impl<T: Validate> Validate for BTreeMap<String, T> {
    fn validate_at(&self, at: Path<'_>) -> Result<(), Violation> {
        self.iter()
            .try_for_each(|(key, value)| value.validate_at(at.field(key)))
    }
}

fn number(value: f64) -> String {
    // `1` rather than `1.0` for whole bounds, as the document writes them.
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{}", value as i64)
    } else {
        value.to_string()
    }
}

pub fn minimum(at: Path<'_>, value: f64, bound: f64, exclusive: bool) -> Result<(), Violation> {
    match (exclusive, value) {
        (false, v) if v < bound => Err(at.violation(format!("must be at least {}", number(bound)))),
        (true, v) if v <= bound => {
            Err(at.violation(format!("must be greater than {}", number(bound))))
        }
        _ => Ok(()),
    }
}

pub fn maximum(at: Path<'_>, value: f64, bound: f64, exclusive: bool) -> Result<(), Violation> {
    match (exclusive, value) {
        (false, v) if v > bound => Err(at.violation(format!("must be at most {}", number(bound)))),
        (true, v) if v >= bound => {
            Err(at.violation(format!("must be less than {}", number(bound))))
        }
        _ => Ok(()),
    }
}

/// JSON Schema counts characters (code points), not bytes.
pub fn min_length(at: Path<'_>, value: &str, bound: usize) -> Result<(), Violation> {
    if value.chars().count() < bound {
        return Err(at.violation(format!("must be at least {bound} characters long")));
    }
    Ok(())
}

pub fn max_length(at: Path<'_>, value: &str, bound: usize) -> Result<(), Violation> {
    if value.chars().count() > bound {
        return Err(at.violation(format!("must be at most {bound} characters long")));
    }
    Ok(())
}

pub fn min_items(at: Path<'_>, len: usize, bound: usize) -> Result<(), Violation> {
    if len < bound {
        return Err(at.violation(format!("must have at least {bound} items")));
    }
    Ok(())
}

pub fn max_items(at: Path<'_>, len: usize, bound: usize) -> Result<(), Violation> {
    if len > bound {
        return Err(at.violation(format!("must have at most {bound} items")));
    }
    Ok(())
}

/// An open enum's fallback variant: accepted from a server, never valid in a request.
pub fn unknown_value(at: Path<'_>, value: &dyn fmt::Display) -> Result<(), Violation> {
    Err(at.violation(format!("`{value}` is not one of the allowed values")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointers_escape_and_nest() {
        let root = Path::Root;
        let items = root.field("items");
        let first = items.index(0);
        let odd = first.field("a/b~c");
        assert_eq!(odd.pointer(), "/items/0/a~1b~0c");
        assert_eq!(root.pointer(), "");
    }

    #[test]
    fn bounds_name_the_limit() {
        let at = Path::Root;
        let limit = at.field("limit");
        assert_eq!(
            minimum(limit, 0.0, 1.0, false).unwrap_err().to_string(),
            "/limit: must be at least 1"
        );
        assert!(minimum(limit, 1.0, 1.0, false).is_ok());
        assert!(minimum(limit, 1.0, 1.0, true).is_err());
        assert_eq!(
            maximum(limit, 2.5, 2.0, false).unwrap_err().message,
            "must be at most 2"
        );
        assert!(maximum(limit, 2.0, 2.0, true).is_err());
    }

    #[test]
    fn lengths_count_characters() {
        let at = Path::Root;
        assert!(max_length(at, "日本", 2).is_ok());
        assert!(max_length(at, "日本語", 2).is_err());
        assert!(min_length(at, "", 1).is_err());
        assert!(min_items(at, 0, 1).is_err());
        assert!(max_items(at, 3, 2).is_err());
    }

    #[test]
    fn containers_validate_every_item() {
        struct Positive(f64);
        impl Validate for Positive {
            fn validate_at(&self, at: Path<'_>) -> Result<(), Violation> {
                minimum(at, self.0, 0.0, true)
            }
        }
        let list = vec![Positive(1.0), Positive(-1.0)];
        assert_eq!(list.validate().unwrap_err().pointer, "/1");
        let mut map = BTreeMap::new();
        map.insert("k".to_owned(), Some(Box::new(Positive(0.0))));
        assert_eq!(map.validate().unwrap_err().pointer, "/k");
    }
}
