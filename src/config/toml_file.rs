//! The user settings file `tracing.toml`: reading it with line numbers, editing it with
//! `toml_edit` so that comments and layout survive.
//!
//! Values are handed to the loader as strings keyed by their environment variable, so the
//! same parsers and error messages serve every layer.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use toml_edit::{Document, DocumentMut, Item, Table, TableLike, Value};

use super::keys::{Kind, Known};
use crate::error::{Error, Result};

/// The settings read from `tracing.toml`, keyed by environment-variable name.
#[derive(Debug, Clone, Default)]
pub struct TomlSettings {
    /// The file that was read.
    pub path: PathBuf,
    values: HashMap<String, (String, usize)>,
    /// Unknown keys, as `tracing.toml:LINE: ...` lines.
    pub warnings: Vec<String>,
}

impl TomlSettings {
    /// Reads `path`; `Ok(None)` when it does not exist.
    pub fn read(path: &Path) -> Result<Option<TomlSettings>> {
        match super::files::read_settings_text(path)? {
            Some(content) => Self::parse(path, &content).map(Some),
            None => Ok(None),
        }
    }

    /// Parses `content` read from `path` (a leading BOM is ignored); a syntax error names
    /// the file, line and column, and a value of the wrong kind is an error too.
    pub fn parse(path: &Path, content: &str) -> Result<TomlSettings> {
        let content = content.strip_prefix('\u{feff}').unwrap_or(content);
        let doc = Document::parse(content).map_err(|err| parse_error(path, content, &err))?;
        let mut settings = TomlSettings {
            path: path.to_path_buf(),
            ..Default::default()
        };
        settings.walk(content, "", doc.as_table())?;
        Ok(settings)
    }

    /// The value of `var` and its line, if the file sets it.
    pub fn get(&self, var: &str) -> Option<(&str, usize)> {
        self.values.get(var).map(|(v, line)| (v.as_str(), *line))
    }

    /// The variables the file sets, with their values.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.values
            .iter()
            .map(|(var, (value, _))| (var.as_str(), value.as_str()))
    }

    fn walk(&mut self, content: &str, prefix: &str, table: &Table) -> Result<()> {
        for (key, item) in table.iter() {
            let dotted = if prefix.is_empty() {
                key.to_string()
            } else {
                format!("{prefix}.{key}")
            };
            let span = table
                .key(key)
                .and_then(|k| k.span())
                .or_else(|| item.span());
            let line = span.map_or(0, |s| line_of(content, s.start));
            match (item, Known::by_toml_key(&dotted)) {
                (Item::Value(value), Some(known)) => {
                    let text = value_text(value, known.kind()).ok_or_else(|| {
                        Error::bad_input(format!(
                            "{}:{line}: `{dotted}` must be {}",
                            self.path.display(),
                            kind_words(known.kind())
                        ))
                        .with_hint("fix the value in the file, or remove the line")
                    })?;
                    // Empty counts as unset, as it does in the environment and `.env`.
                    if !text.trim().is_empty() {
                        self.values.insert(known.var().to_string(), (text, line));
                    }
                }
                (Item::Table(inner), None) => self.walk(content, &dotted, inner)?,
                (Item::Value(Value::InlineTable(inline)), None) => {
                    let inner = inline.clone().into_table();
                    self.walk(content, &dotted, &inner)?
                }
                _ => self.warnings.push(format!(
                    "{}:{line}: unknown key `{dotted}` (ignored)",
                    self.path.display()
                )),
            }
        }
        Ok(())
    }
}

fn kind_words(kind: Kind) -> &'static str {
    match kind {
        Kind::Bool => "true or false",
        Kind::Float => "a number",
        Kind::Int => "a whole number",
        Kind::Text => "a string",
        Kind::List => "a list of strings, e.g. [\"langfuse\"]",
    }
}

/// The value as the string its environment variable would hold.
fn value_text(value: &Value, kind: Kind) -> Option<String> {
    match (kind, value) {
        (Kind::Bool, Value::Boolean(b)) => Some(b.value().to_string()),
        (Kind::Bool | Kind::Text, Value::String(s)) => Some(s.value().clone()),
        (Kind::Float, Value::Float(f)) => Some(f.value().to_string()),
        (Kind::Float | Kind::Int, Value::Integer(i)) => Some(i.value().to_string()),
        (Kind::List, Value::Array(items)) => items
            .iter()
            .map(|v| v.as_str().map(str::to_string))
            .collect::<Option<Vec<_>>>()
            .map(|v| v.join(",")),
        (Kind::List, Value::String(s)) => Some(s.value().clone()),
        _ => None,
    }
}

fn line_of(content: &str, offset: usize) -> usize {
    content[..offset.min(content.len())].matches('\n').count() + 1
}

fn parse_error(path: &Path, content: &str, err: &toml_edit::TomlError) -> Error {
    let place = err.span().map(|span| {
        let line = line_of(content, span.start);
        let line_start = content[..span.start].rfind('\n').map_or(0, |i| i + 1);
        let column = content[line_start..span.start].chars().count() + 1;
        format!(" at line {line}, column {column}")
    });
    Error::bad_input(format!(
        "cannot parse `{}`{}: {}",
        path.display(),
        place.unwrap_or_default(),
        err.message().trim_end()
    ))
    .with_hint(
        "fix the file by hand (it was left as it is), or move it aside and run `configure` again",
    )
}

/// An editable `tracing.toml`.
#[derive(Debug)]
pub struct TomlEditor {
    doc: DocumentMut,
    bom: bool,
    crlf: bool,
}

impl TomlEditor {
    /// Parses `content`; a file that is not valid TOML is refused, so it is never rewritten.
    pub fn parse(path: &Path, content: &str) -> Result<Self> {
        let bom = content.starts_with('\u{feff}');
        let body = content.strip_prefix('\u{feff}').unwrap_or(content);
        let doc = body
            .parse::<DocumentMut>()
            .map_err(|err| parse_error(path, body, &err))?;
        Ok(TomlEditor {
            doc,
            bom,
            crlf: body.contains("\r\n"),
        })
    }

    /// Sets the dotted key to `value`, typed by `kind`; missing tables are created. Works
    /// through `[section]` tables and inline `{ ... }` tables alike.
    pub fn set(&mut self, dotted: &str, value: &str, kind: Kind) -> Result<()> {
        let (tables, leaf) = dotted.rsplit_once('.').unwrap_or(("", dotted));
        let mut table: &mut dyn TableLike = self.doc.as_table_mut();
        for name in tables.split('.').filter(|n| !n.is_empty()) {
            if !table.contains_key(name) {
                let mut t = Table::new();
                t.set_implicit(true);
                table.insert(name, Item::Table(t));
            }
            table = match table.get_mut(name).and_then(Item::as_table_like_mut) {
                Some(inner) => inner,
                None => {
                    return Err(Error::bad_input(format!(
                        "`{name}` in tracing.toml is not a table"
                    ))
                    .with_hint(format!("make `{name}` a [section] to set `{dotted}`")));
                }
            };
        }
        let typed = typed_value(value, kind);
        match table.get_mut(leaf).and_then(Item::as_value_mut) {
            // Keep the comment and spacing around an existing value.
            Some(existing) => {
                let decor = existing.decor().clone();
                *existing = typed;
                *existing.decor_mut() = decor;
            }
            None => {
                table.insert(leaf, Item::Value(typed));
            }
        }
        Ok(())
    }

    /// Removes the dotted key; true when it was there.
    pub fn unset(&mut self, dotted: &str) -> bool {
        let (tables, leaf) = dotted.rsplit_once('.').unwrap_or(("", dotted));
        let mut table: &mut dyn TableLike = self.doc.as_table_mut();
        for name in tables.split('.').filter(|n| !n.is_empty()) {
            table = match table.get_mut(name).and_then(Item::as_table_like_mut) {
                Some(inner) => inner,
                None => return false,
            };
        }
        table.remove(leaf).is_some()
    }

    /// The text, with the file's byte-order mark and line endings kept.
    pub fn render(&self) -> String {
        self.finish(self.doc.to_string())
    }

    fn finish(&self, text: String) -> String {
        let text = if self.crlf {
            text.replace("\r\n", "\n").replace('\n', "\r\n")
        } else {
            text
        };
        if self.bom {
            format!("\u{feff}{text}")
        } else {
            text
        }
    }

    /// The text with every secret provider key's value masked, for previews.
    pub fn render_masked(&self) -> String {
        let mut doc = self.doc.clone();
        if let Some(providers) = doc.get_mut("providers").and_then(Item::as_table_like_mut) {
            for (name, item) in providers.iter_mut() {
                let Some(table) = item.as_table_like_mut() else {
                    continue;
                };
                for (short, value) in table.iter_mut() {
                    let dotted = format!("providers.{name}.{}", short.get());
                    let secret = Known::by_toml_key(&dotted).is_some_and(|k| k.secret());
                    if let (true, Some(v)) = (secret, value.as_value_mut()) {
                        let masked = super::keys::mask(v.as_str().unwrap_or_default());
                        let decor = v.decor().clone();
                        *v = Value::from(masked);
                        *v.decor_mut() = decor;
                    }
                }
            }
        }
        self.finish(doc.to_string())
    }
}

fn typed_value(value: &str, kind: Kind) -> Value {
    match kind {
        Kind::Bool => value
            .parse::<bool>()
            .map(Value::from)
            .unwrap_or_else(|_| Value::from(value)),
        Kind::Int => value
            .parse::<i64>()
            .map(Value::from)
            .unwrap_or_else(|_| Value::from(value)),
        Kind::Float => value
            .parse::<f64>()
            .map(Value::from)
            .unwrap_or_else(|_| Value::from(value)),
        Kind::Text => Value::from(value),
        Kind::List => {
            let items: toml_edit::Array = value
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .collect();
            Value::Array(items)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "# my settings\n[observability]\nenabled = false # paused\nproviders = [\"langfuse\", \"local\"]\n\n[providers.langfuse]\nhost = \"https://x\"\n[weird]\nthing = 1\n";

    #[test]
    fn values_are_keyed_by_variable_with_lines() {
        let s = TomlSettings::parse(Path::new("tracing.toml"), SAMPLE).unwrap();
        assert_eq!(s.get("AUTOMAGIK_OBSERVABILITY_ENABLED"), Some(("false", 3)));
        assert_eq!(
            s.get("AUTOMAGIK_OBSERVABILITY_PROVIDERS"),
            Some(("langfuse,local", 4))
        );
        assert_eq!(s.get("LANGFUSE_HOST"), Some(("https://x", 7)));
        assert_eq!(s.warnings.len(), 1, "{:?}", s.warnings);
        assert!(s.warnings[0].contains(":9: unknown key `weird.thing`"));
    }

    #[test]
    fn wrong_type_names_file_line_and_key() {
        let err = TomlSettings::parse(Path::new("/c/tracing.toml"), "[telemetry]\nenabled = 3\n")
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("/c/tracing.toml:2: `telemetry.enabled` must be true or false"),
            "{err}"
        );
    }

    #[test]
    fn syntax_error_names_line_and_column() {
        let err = TomlSettings::parse(Path::new("/c/tracing.toml"), "[telemetry]\nenabled = = 3\n")
            .unwrap_err();
        assert!(err.to_string().contains("at line 2, column"), "{err}");
    }

    #[test]
    fn inline_tables_can_be_edited() {
        let text = "providers = { langfuse = { public_key = \"pk\", secret_key = \"sk\" } }\n";
        let mut editor = TomlEditor::parse(Path::new("t"), text).unwrap();
        editor
            .set("providers.langfuse.host", "https://x", Kind::Text)
            .unwrap();
        assert!(editor.unset("providers.langfuse.secret_key"));
        let out = editor.render();
        let s = TomlSettings::parse(Path::new("t"), &out).unwrap();
        assert_eq!(s.get("LANGFUSE_HOST").map(|v| v.0), Some("https://x"));
        assert_eq!(s.get("LANGFUSE_SECRET_KEY"), None, "{out}");
    }

    #[test]
    fn line_endings_and_bom_are_kept() {
        let text = "\u{feff}# mine\r\n[telemetry]\r\nenabled = true\r\n";
        let mut editor = TomlEditor::parse(Path::new("t"), text).unwrap();
        editor
            .set("observability.sample_rate", "0.5", Kind::Float)
            .unwrap();
        let out = editor.render();
        assert!(
            out.starts_with("\u{feff}# mine\r\n[telemetry]\r\nenabled = true\r\n"),
            "{out:?}"
        );
        assert!(!out.replace("\r\n", "").contains('\n'), "{out:?}");
    }

    #[test]
    fn empty_values_count_as_unset() {
        let s = TomlSettings::parse(
            Path::new("t"),
            "[providers.langfuse]\npublic_key = \"\"\n[observability]\nproviders = []\n",
        )
        .unwrap();
        assert_eq!(s.get("LANGFUSE_PUBLIC_KEY"), None);
        assert_eq!(s.get("AUTOMAGIK_OBSERVABILITY_PROVIDERS"), None);
    }

    #[test]
    fn edits_keep_comments_and_layout() {
        let mut editor = TomlEditor::parse(Path::new("t"), SAMPLE).unwrap();
        editor
            .set("observability.enabled", "true", Kind::Bool)
            .unwrap();
        editor
            .set("providers.langfuse.secret_key", "sk", Kind::Text)
            .unwrap();
        editor
            .set("telemetry.enabled", "false", Kind::Bool)
            .unwrap();
        let out = editor.render();
        assert!(
            out.starts_with("# my settings\n[observability]\nenabled = true # paused\n"),
            "{out}"
        );
        assert!(
            out.contains("[providers.langfuse]\nhost = \"https://x\"\nsecret_key = \"sk\"\n"),
            "{out}"
        );
        assert!(out.contains("[telemetry]\nenabled = false\n"), "{out}");
        assert!(editor.unset("providers.langfuse.host"));
        assert!(!editor.render().contains("https://x"));
    }
}
