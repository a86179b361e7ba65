//! Which status answers a rejection, and in which body: one the operation documents, so
//! that a client generated from the document (or a checker such as schemathesis)
//! recognises it. The server applies it to every rejection; the generator to the trait's
//! 501 default.

/// The statuses an operation's document lists, and the error bodies it documents for them
/// in a schema other than the API's envelope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Documented<'a> {
    pub statuses: &'a [u16],
    /// Its `1XX`…`5XX` ranges, by first digit.
    pub ranges: &'a [u16],
    /// It has a `default` response, which covers every status.
    pub default: bool,
    pub errors: &'a [(Listed, &'a ErrorBody<'a>)],
}

/// Which of an operation's responses documents a body: a status, a range or `default`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listed {
    Code(u16),
    /// By first digit.
    Range(u16),
    Default,
}

/// An error body in a schema of the document's own: JSON the generator made to validate
/// against it (required members only), and the members a rejection fills in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorBody<'a> {
    pub json: &'a str,
    pub fills: &'a [Fill<'a>],
}

/// A member of an error body that carries part of the rejection, by its object keys from
/// the body's root (none: the body itself, a string).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fill<'a> {
    pub part: Part,
    pub path: &'a [&'a str],
}

/// The part of a rejection a member carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// A string for people.
    Message,
    /// A machine-readable string, e.g. `validation_error`.
    Code,
    /// The HTTP status, an integer.
    Status,
    /// The request value at fault, a string; left out when no value is.
    Field,
}

impl Documented<'_> {
    /// Every status is documented: rejections keep theirs (the router's 404 and 405).
    pub const ANY: Documented<'static> = Documented {
        statuses: &[],
        ranges: &[],
        default: true,
        errors: &[],
    };

    /// The error body of the response that documents `status` (as [`Documented::closest`]
    /// chose it): its own code's, else its range's, else `default`'s. `None` when that
    /// response's body is the API's envelope (or it has none).
    pub fn error_body(&self, status: u16) -> Option<&ErrorBody<'_>> {
        let listed = if self.statuses.contains(&status) {
            Listed::Code(status)
        } else if self.ranges.contains(&(status / 100)) {
            Listed::Range(status / 100)
        } else {
            Listed::Default
        };
        self.errors
            .iter()
            .find(|(documents, _)| *documents == listed)
            .map(|(_, body)| *body)
    }

    /// Whether the document lists `status`, by code, by range or by `default`.
    pub fn covers(&self, status: u16) -> bool {
        self.default || self.statuses.contains(&status) || self.ranges.contains(&(status / 100))
    }

    /// `status` when the document lists it, else the closest status it lists: for a
    /// client error, the neighbour a client would treat alike (422 and 400, 403 and 401),
    /// then 400 or 422, then the lowest documented one of its class; for a server error,
    /// 500, then the lowest documented one of its class. With none of its class, `status`.
    /// 401 stays 401: a client asked for credentials must be told so (with its
    /// `WWW-Authenticate` challenge), and no other status means that.
    pub fn closest(&self, status: u16) -> u16 {
        if status == 401 || self.covers(status) {
            return status;
        }
        let neighbours: &[u16] = match status {
            400 => &[422],
            403 => &[401, 400],
            422 => &[400],
            _ if status < 500 => &[400, 422],
            _ => &[500],
        };
        neighbours
            .iter()
            .copied()
            .find(|&s| self.covers(s))
            .or_else(|| {
                self.statuses
                    .iter()
                    .copied()
                    .filter(|s| s / 100 == status / 100)
                    .min()
            })
            .unwrap_or(status)
    }
}

#[cfg(test)]
mod tests {
    use super::Documented;

    #[test]
    fn rejections_take_a_documented_status() {
        let only_400 = Documented {
            statuses: &[200, 400],
            ranges: &[],
            default: false,
            errors: &[],
        };
        assert_eq!(only_400.closest(422), 400);
        assert_eq!(only_400.closest(415), 400);
        assert_eq!(only_400.closest(401), 401);
        assert_eq!(only_400.closest(400), 400);
        // Nothing of its class: unchanged.
        assert_eq!(only_400.closest(501), 501);
        let auth = Documented {
            statuses: &[200, 403, 404, 503],
            ranges: &[],
            default: false,
            errors: &[],
        };
        assert_eq!(auth.closest(401), 401);
        assert_eq!(auth.closest(400), 403);
        assert_eq!(auth.closest(422), 403);
        assert_eq!(auth.closest(501), 503);
        let ranges = Documented {
            statuses: &[200],
            ranges: &[4],
            default: false,
            errors: &[],
        };
        assert_eq!(ranges.closest(422), 422);
        assert_eq!(Documented::ANY.closest(415), 415);
        let with_500 = Documented {
            statuses: &[201, 500, 502],
            ranges: &[],
            default: false,
            errors: &[],
        };
        assert_eq!(with_500.closest(501), 500);
    }
}
