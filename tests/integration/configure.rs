//! `configure` with flags: `.env` and TOML round trips, atomic 0600 writes, bad files left
//! untouched, concurrent writers, and the no-terminal refusal; a file per behaviour in
//! `configure/`, and here the `.env` they start from.

mod refusals;
mod safety;
mod secrets;
mod writes;

const ENV_FILE: &str = "# Project settings\n\nexport OPENAI_MODEL=\"gpt-4o\"   # the default model\nLANGFUSE_HOST='https://cloud.langfuse.com'\n# trailing comment\n";
