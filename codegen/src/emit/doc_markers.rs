//! The document's prose reaches the printed file without passing through string
//! literals. A `#[doc = "..."]` attribute holds a `LitStr`, which `syn` escapes one
//! character at a time when it is made and `prettyplease` unescapes when it prints it as a
//! `///` line: on large documents (megabytes of descriptions) that round trip was a tenth
//! of the generator's time. The attribute holds a short marker instead, and [`fill`]
//! puts each line in its marker's place in the printed text. A `///` line ends in a hard
//! break, so the marker's width decides nothing about the layout around it.
//!
//! The lines live on the thread that emits them, which prints them too; [`scoped`]
//! forgets them when a file is done.

use std::cell::RefCell;

thread_local! {
    static LINES: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

/// Opens and closes a marker (a control character: cleaned doc text has none, and the
/// marker must fill a whole `///` line to count).
const FENCE: char = '\u{1}';

/// The doc attribute's value standing for `line` (cleaned text, one line).
pub fn marker(line: String) -> String {
    LINES.with(|lines| {
        let mut lines = lines.borrow_mut();
        lines.push(line);
        format!("{FENCE}{}{FENCE}", lines.len() - 1)
    })
}

/// `text` printed from trees this thread emitted, each marker line holding its line.
pub fn fill(text: String) -> String {
    LINES.with(|lines| {
        let lines = lines.borrow();
        if lines.is_empty() {
            return text;
        }
        let mut filled = String::with_capacity(text.len() + text.len() / 2);
        let mut rest = text.as_str();
        // The fence found by `memchr`, then what must surround it checked.
        while let Some(at) = rest.find(FENCE) {
            let (before, marked) = (&rest[..at], &rest[at + FENCE.len_utf8()..]);
            let digits = marked.bytes().take_while(u8::is_ascii_digit).count();
            // The line began in `before`, or where `rest` does (after a filled marker's
            // line, or at the start), never inside text already passed.
            let line_start = before.rfind('\n').map(|n| n + 1);
            let starts_here = line_start.is_some() || filled.is_empty() || filled.ends_with('\n');
            let whole_line = starts_here
                && before[line_start.unwrap_or(0)..].trim_start_matches(' ') == "///"
                && marked[digits..].starts_with("\u{1}\n");
            let line = marked[..digits]
                .parse::<usize>()
                .ok()
                .filter(|_| whole_line)
                .and_then(|i| lines.get(i));
            match line {
                Some(line) => {
                    filled.push_str(before);
                    filled.push_str(line);
                    rest = &marked[digits + FENCE.len_utf8()..];
                }
                None => {
                    filled.push_str(&rest[..at + FENCE.len_utf8()]);
                    rest = marked;
                }
            }
        }
        filled.push_str(rest);
        filled
    })
}

/// Runs `emit_and_print` (which emits trees and prints them on this thread), then forgets
/// the lines it made, and only those, even if it panics.
pub fn scoped<T>(emit_and_print: impl FnOnce() -> T) -> T {
    struct Forget(usize);
    impl Drop for Forget {
        fn drop(&mut self) {
            LINES.with(|lines| lines.borrow_mut().truncate(self.0));
        }
    }
    let _forget = Forget(LINES.with(|lines| lines.borrow().len()));
    emit_and_print()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_on_their_own_lines_are_filled() {
        scoped(|| {
            let first = marker(" First line.".into());
            let second = marker(String::new());
            let printed = format!(
                "///{first}\n    ///{second}\nfn f() {{}} // ///{first}\n/// prose ///{first}\nx\u{1}///{first}\n"
            );
            assert_eq!(
                fill(printed),
                format!(
                    "/// First line.\n    ///\nfn f() {{}} // ///{first}\n/// prose ///{first}\nx\u{1}///{first}\n"
                )
            );
        });
        // Forgotten after the scope: a marker no line stands for stays as printed.
        let printed = "///\u{1}0\u{1}\n".to_owned();
        assert_eq!(fill(printed.clone()), printed);
    }
}
