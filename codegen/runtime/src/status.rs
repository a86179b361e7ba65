//! Which status answers a rejection: one the operation documents, so that a client
//! generated from the document (or a checker such as schemathesis) recognises it. The
//! server applies it to every rejection; the generator to the trait's 501 default.

/// The statuses an operation's document lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Documented<'a> {
    pub statuses: &'a [u16],
    /// Its `1XX`…`5XX` ranges, by first digit.
    pub ranges: &'a [u16],
    /// It has a `default` response, which covers every status.
    pub default: bool,
}

impl Documented<'_> {
    /// Every status is documented: rejections keep theirs (the router's 404 and 405).
    pub const ANY: Documented<'static> = Documented {
        statuses: &[],
        ranges: &[],
        default: true,
    };

    /// Whether the document lists `status`, by code, by range or by `default`.
    pub fn covers(&self, status: u16) -> bool {
        self.default || self.statuses.contains(&status) || self.ranges.contains(&(status / 100))
    }

    /// `status` when the document lists it, else the closest status it lists: for a
    /// client error, the neighbour a client would treat alike (422 and 400, 401 and 403),
    /// then 400 or 422, then the lowest documented one of its class; for a server error,
    /// 500, then the lowest documented one of its class. With none of its class, `status`.
    pub fn closest(&self, status: u16) -> u16 {
        if self.covers(status) {
            return status;
        }
        let neighbours: &[u16] = match status {
            400 => &[422],
            401 => &[403, 400],
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
        };
        assert_eq!(only_400.closest(422), 400);
        assert_eq!(only_400.closest(415), 400);
        assert_eq!(only_400.closest(401), 400);
        assert_eq!(only_400.closest(400), 400);
        // Nothing of its class: unchanged.
        assert_eq!(only_400.closest(501), 501);
        let auth = Documented {
            statuses: &[200, 403, 404, 503],
            ranges: &[],
            default: false,
        };
        assert_eq!(auth.closest(401), 403);
        assert_eq!(auth.closest(422), 403);
        assert_eq!(auth.closest(501), 503);
        let ranges = Documented {
            statuses: &[200],
            ranges: &[4],
            default: false,
        };
        assert_eq!(ranges.closest(422), 422);
        assert_eq!(Documented::ANY.closest(415), 415);
        let with_500 = Documented {
            statuses: &[201, 500, 502],
            ranges: &[],
            default: false,
        };
        assert_eq!(with_500.closest(501), 500);
    }
}
