//! Where the arguments an agent's setup adds go in the command.

use super::*;

#[test]
fn agent_arguments_go_where_the_agents_own_begin() {
    let command: Vec<OsString> = ["npx", "-y", "@openai/codex", "exec", "hi"]
        .iter()
        .map(OsString::from)
        .collect();
    let mut session = Session::off();
    assert_eq!(session.child_args(&command), command[1..].to_vec());
    session.args = Some((3, vec!["-c".into(), "otel.exporter=none".into()]));
    let args: Vec<String> = session
        .child_args(&command)
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        args,
        [
            "-y",
            "@openai/codex",
            "-c",
            "otel.exporter=none",
            "exec",
            "hi"
        ]
    );
}
