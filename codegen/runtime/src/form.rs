//! A form body's `encoding` (OpenAPI's Encoding Object for
//! `application/x-www-form-urlencoded`), one entry per top-level property the document
//! gives one for. The generated client writes the body by it and the generated server
//! reads it so; a property without an entry keeps the bracket convention of Stripe and
//! Rails (`tags[0]=a`, `color[R]=100`).

/// How a property's value is laid out (the Encoding Object's `style`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormStyle {
    /// `tags=a&tags=b` exploded, `tags=a,b` (`color=R,100,G,200`) not.
    Form,
    /// `tags=a%20b`, not exploded.
    SpaceDelimited,
    /// `tags=a|b`, not exploded.
    PipeDelimited,
    /// `color[R]=100`: the bracket convention.
    DeepObject,
}

/// The encoding of one top-level property of a form body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FormEncoding {
    /// The property's name on the wire.
    pub name: &'static str,
    pub style: FormStyle,
    pub explode: bool,
    /// The client leaves RFC 3986's reserved characters as they are (but `&` and `+`,
    /// which would change the form's meaning); the server has nothing to do.
    pub allow_reserved: bool,
    /// `contentType` is a JSON media type: the value is JSON text.
    pub json: bool,
}

impl FormEncoding {
    /// An entry laying out by `style` and `explode` alone (no JSON, reserved characters
    /// encoded).
    pub const fn new(name: &'static str, style: FormStyle, explode: bool) -> Self {
        FormEncoding {
            name,
            style,
            explode,
            allow_reserved: false,
            json: false,
        }
    }

    /// The separator of a value laid out as one text (items, or names and values), if it
    /// is: `form`, `spaceDelimited` and `pipeDelimited` when not exploded.
    pub fn delimiter(&self) -> Option<char> {
        if self.json || self.explode {
            return None;
        }
        match self.style {
            FormStyle::Form => Some(','),
            FormStyle::SpaceDelimited => Some(' '),
            FormStyle::PipeDelimited => Some('|'),
            FormStyle::DeepObject => None,
        }
    }

    /// The entry for the property `name`, if the table has one.
    pub fn find<'e>(table: &'e [FormEncoding], name: &str) -> Option<&'e FormEncoding> {
        table.iter().find(|e| e.name == name)
    }
}
