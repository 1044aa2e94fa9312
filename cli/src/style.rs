//! Colour for people, plain text for pipes: ANSI colour only when stdout is
//! a terminal and `NO_COLOR` is unset or empty (<https://no-color.org>).

use std::io::IsTerminal;

/// Whether to colour, decided once per run.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Style {
    on: bool,
}

impl Style {
    /// Colour when stdout is a TTY and `NO_COLOR` is unset or empty.
    pub(crate) fn detect() -> Self {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Self {
            on: !no_color && std::io::stdout().is_terminal(),
        }
    }

    /// No colour (for output that is not a terminal's, and for tests).
    pub(crate) fn plain() -> Self {
        Self { on: false }
    }

    fn paint(self, code: &str, s: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_owned()
        }
    }

    /// An acceptance.
    pub(crate) fn good(self, s: &str) -> String {
        self.paint("1;32", s)
    }

    /// A refusal.
    pub(crate) fn bad(self, s: &str) -> String {
        self.paint("1;31", s)
    }

    /// A warning or the UNVERIFIED banner.
    pub(crate) fn warn(self, s: &str) -> String {
        self.paint("1;33", s)
    }

    /// A heading.
    pub(crate) fn bold(self, s: &str) -> String {
        self.paint("1", s)
    }

    /// Secondary detail.
    pub(crate) fn dim(self, s: &str) -> String {
        self.paint("2", s)
    }
}
