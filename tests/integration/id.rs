//! `id`: created on first use, stable, reset on demand, per config dir.

use crate::testenv::TestEnv;

fn id(env: &TestEnv, args: &[&str]) -> String {
    let out = env.cmd().arg("id").args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

#[test]
fn id_is_a_random_v4_uuid_stable_across_runs() {
    let env = TestEnv::new();
    let first = id(&env, &[]);
    assert_eq!(first.len(), 36);
    assert_eq!(&first[14..15], "4", "version 4: {first}");
    assert_eq!(id(&env, &[]), first);
    assert!(env.config_dir().join("anonymous_id").is_file());
}

#[test]
fn reset_makes_a_new_one() {
    let env = TestEnv::new();
    let first = id(&env, &[]);
    let reset = id(&env, &["--reset"]);
    assert_ne!(first, reset);
    assert_eq!(id(&env, &[]), reset);
}

#[test]
fn two_config_dirs_have_different_ids() {
    let a = TestEnv::new();
    let b = TestEnv::new();
    assert_ne!(id(&a, &[]), id(&b, &[]));
}

#[test]
fn a_corrupt_id_file_is_replaced_with_a_warning() {
    let env = TestEnv::new();
    std::fs::create_dir_all(env.config_dir()).unwrap();
    std::fs::write(env.config_dir().join("anonymous_id"), "garbage\n").unwrap();
    let out = env.cmd().arg("id").output().unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("did not hold a valid ID"));
    let new = String::from_utf8(out.stdout).unwrap();
    assert_eq!(new.trim().len(), 36);
}
