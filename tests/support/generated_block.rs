// Shared by the unit tests of ffi-c/src/error.rs and cli/src/exit.rs, which
// `include!` it: the README tables they generate from the core's code table
// are checked (or, with UPDATE_TABLES=1, rewritten) by this one function.

/// Checks that the block between the `<!-- BEGIN generated` and
/// `<!-- END generated -->` markers of `path` is `expected`; with
/// `UPDATE_TABLES=1` in the environment it rewrites the block instead,
/// so the README table is generated from the core, never edited by hand.
fn check_generated(path: &str, expected: &str) {
    let text = std::fs::read_to_string(path).expect("README is readable");
    let begin = text
        .find("<!-- BEGIN generated")
        .and_then(|b| text[b..].find('\n').map(|n| b + n + 1))
        .expect("README has its BEGIN generated marker");
    let end = text
        .find("<!-- END generated -->")
        .expect("README has its END generated marker");
    let block = format!("\n{expected}\n");
    if text[begin..end] == block {
        return;
    }
    if std::env::var_os("UPDATE_TABLES").is_some() {
        let updated = format!("{}{block}{}", &text[..begin], &text[end..]);
        std::fs::write(path, updated).expect("README is writable");
        return;
    }
    panic!(
        "{path}'s generated table differs from the core's table; \
         run with UPDATE_TABLES=1 to rewrite it as:\n\n{expected}"
    );
}
