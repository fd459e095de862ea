//! The checked-in completions and man pages must match what the code generates.

use std::fs;
use std::path::Path;

use clap_complete::{Generator, Shell};

use crate::testenv::{TestEnv, files_below};

const REGENERATE: &str = "run `scripts/generate-assets` and commit the result";

#[test]
fn completions_match_the_checked_in_files() {
    let env = TestEnv::new();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for shell in [
        Shell::Bash,
        Shell::Zsh,
        Shell::Fish,
        Shell::PowerShell,
        Shell::Elvish,
    ] {
        let out = env
            .cmd()
            .args(["completions", &shell.to_string()])
            .output()
            .unwrap();
        assert!(out.status.success());
        let path = root
            .join("completions")
            .join(shell.file_name("automagik-tracing"));
        let checked_in = fs::read(&path).unwrap_or_default();
        assert!(
            checked_in == out.stdout,
            "{} differs from `completions {shell}`: {REGENERATE}",
            path.display()
        );
    }
}

#[test]
fn man_pages_match_the_checked_in_files() {
    let env = TestEnv::new();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out_dir = env.project.join("man");
    env.cmd()
        .args(["man", "--out-dir"])
        .arg(&out_dir)
        .assert()
        .success();
    let generated = files_below(&out_dir);
    assert!(
        generated.len() >= 6,
        "one page per subcommand: {generated:?}"
    );
    assert_eq!(
        generated,
        files_below(&root.join("man")),
        "the set of man pages differs: {REGENERATE}"
    );
    for name in generated {
        let want = fs::read(out_dir.join(&name)).unwrap();
        let have = fs::read(root.join("man").join(&name)).unwrap();
        assert!(want == have, "man/{} differs: {REGENERATE}", name.display());
    }
}

#[test]
fn man_prints_one_page_per_subcommand() {
    let env = TestEnv::new();
    env.cmd()
        .args(["man", "configure"])
        .assert()
        .success()
        .stdout(predicates::str::contains("automagik-tracing-configure"));
    env.cmd()
        .args(["man", "nope"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("`nope` is not a subcommand"));
}

#[test]
fn help_teaches_with_examples() {
    let env = TestEnv::new();
    for sub in ["status", "configure", "id", "completions", "man"] {
        env.cmd()
            .args([sub, "--help"])
            .assert()
            .success()
            .stdout(predicates::str::contains("Examples:"));
    }
    assert!(files_below(&env.home).is_empty());
}

#[test]
fn every_variable_is_documented_in_env_example_and_readme() {
    use automagik_tracing::config::keys::SETTINGS;
    use automagik_tracing::presets::PRESETS;
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let example = fs::read_to_string(root.join(".env.example")).unwrap();
    let readme = fs::read_to_string(root.join("README.md")).unwrap();
    let vars = SETTINGS
        .iter()
        .map(|s| s.var)
        .chain(PRESETS.iter().flat_map(|p| p.keys.iter().map(|k| k.var)));
    for var in vars {
        assert!(example.contains(var), ".env.example lacks {var}");
        assert!(readme.contains(var), "README.md lacks {var}");
    }
    // The example itself is a valid .env.
    for item in dotenvy::from_read_iter(example.as_bytes()) {
        item.expect(".env.example parses");
    }
}
