//! Writing to stderr without ever panicking: a closed or full stderr (`2>&-`, `| true`,
//! `/dev/full`) loses the text and nothing else. Unlike `eprintln!`, so a warning can never
//! change a wrapped command's exit code. Used by the library and the command line alike.

use std::io::Write as _;

/// Writes `text` and a newline.
pub fn line(text: &str) {
    let mut stderr = std::io::stderr().lock();
    let _ = stderr
        .write_all(text.as_bytes())
        .and_then(|()| stderr.write_all(b"\n"));
}

/// Writes `text` as is.
pub fn raw(text: &str) {
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}
