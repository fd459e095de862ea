//! The `.env` text split into logical lines exactly as dotenvy's line joiner splits it (a
//! quoted value may span lines), each with its first line's number and the key it assigns.

/// One logical line of the file: its exact text (terminator included) and, if it assigns
/// a variable, the key.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct LogicalLine {
    pub(super) text: String,
    /// 1-based number of its first physical line.
    pub(super) line: usize,
    pub(super) key: Option<String>,
}

/// States of dotenvy's line joiner (`QuotedLines`), mirrored so that our logical lines are
/// exactly the ones dotenvy parses.
#[derive(Clone, Copy, PartialEq)]
enum State {
    Complete,
    Escape,
    StrongOpen,
    StrongOpenEscape,
    WeakOpen,
    WeakOpenEscape,
    WhiteSpace,
    Comment,
}

fn end_state(mut state: State, chunk: &str) -> State {
    for c in chunk.chars() {
        state = match state {
            State::WhiteSpace => match c {
                '#' => return State::Comment,
                '\\' => State::Escape,
                '"' => State::WeakOpen,
                '\'' => State::StrongOpen,
                _ => State::Complete,
            },
            State::Complete => match c {
                c if c.is_whitespace() && c != '\n' && c != '\r' => State::WhiteSpace,
                '\\' => State::Escape,
                '"' => State::WeakOpen,
                '\'' => State::StrongOpen,
                _ => State::Complete,
            },
            State::WeakOpen => match c {
                '\\' => State::WeakOpenEscape,
                '"' => State::Complete,
                _ => State::WeakOpen,
            },
            State::WeakOpenEscape => State::WeakOpen,
            State::StrongOpen => match c {
                '\\' => State::StrongOpenEscape,
                '\'' => State::Complete,
                _ => State::StrongOpen,
            },
            State::StrongOpenEscape => State::StrongOpen,
            State::Escape => State::Complete,
            State::Comment => return State::Comment,
        };
    }
    state
}

/// Splits `content` into logical lines; `Err(line)` names the line of an unclosed quote.
pub(super) fn split_logical_lines(content: &str) -> std::result::Result<Vec<LogicalLine>, usize> {
    let mut out = Vec::new();
    let mut physical = content.split_inclusive('\n');
    let mut number = 0;
    while let Some(first) = physical.next() {
        number += 1;
        let start = number;
        let mut text = first.to_string();
        let mut state = State::Complete;
        let mut chunk_start = 0;
        loop {
            if text
                .trim_start_matches('\u{feff}')
                .trim_start()
                .starts_with('#')
            {
                break;
            }
            state = end_state(state, &text[chunk_start..]);
            if matches!(state, State::Complete | State::Comment) {
                break;
            }
            match physical.next() {
                Some(next) => {
                    number += 1;
                    chunk_start = text.len();
                    text.push_str(next);
                }
                None => return Err(start),
            }
        }
        let key = assigned_key(&text);
        out.push(LogicalLine {
            text,
            line: start,
            key,
        });
    }
    Ok(out)
}

/// The key a logical line assigns, following dotenvy's key grammar (`export` optional).
fn assigned_key(text: &str) -> Option<String> {
    let rest = text.trim_start_matches('\u{feff}').trim_start();
    let (key, rest) = take_key(rest)?;
    let rest = rest.trim_start();
    if key == "export" && !rest.starts_with('=') {
        let (key, rest) = take_key(rest)?;
        return rest.trim_start().starts_with('=').then(|| key.to_string());
    }
    rest.starts_with('=').then(|| key.to_string())
}

fn take_key(text: &str) -> Option<(&str, &str)> {
    if !text.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
        return None;
    }
    let end = text
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
        .unwrap_or(text.len());
    Some((&text[..end], &text[end..]))
}
