//! Asking before a change: redrive, purge and republish (never their dry runs) say what they
//! will do, where and to how many, and wait for a `y`. They ask outside `local` (`--env prod` is
//! one word away from `--env dev`); purge, which cannot be undone, asks locally too. With no
//! terminal (a script, CI) and no `--yes`, they refuse at once: an unseen question would hang.

use std::io::{BufRead, IsTerminal, Write};

use clap::Args;

use crate::error::CtlError;

#[derive(Debug, Clone, Copy, Args)]
pub struct Confirm {
    /// Go ahead without asking (for scripts and CI).
    ///
    /// Outside `local` (a purge: everywhere) the command asks on the terminal
    /// first; with no terminal and no --yes it refuses, with exit code 2.
    #[arg(long, short = 'y')]
    pub yes: bool,
}

/// Whether to go ahead with `change` in `environment`; `always` asks even in `local`.
pub fn confirm(
    args: Confirm,
    environment: &str,
    change: &str,
    always: bool,
) -> Result<(), CtlError> {
    if args.yes || (environment == "local" && !always) {
        return Ok(());
    }
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return Err(CtlError::NotConfirmed {
            change: change.to_owned(),
            environment: environment.to_owned(),
        });
    }
    let question = format!("About to {change} (environment `{environment}`). Go ahead?");
    match ask(&question, &mut stdin.lock(), &mut std::io::stderr().lock())? {
        true => Ok(()),
        false => Err(CtlError::Declined {
            change: change.to_owned(),
        }),
    }
}

/// Only `y` or `yes` agree, so Enter (or end of input) means no.
pub fn ask(question: &str, input: &mut dyn BufRead, out: &mut dyn Write) -> std::io::Result<bool> {
    write!(out, "{question} [y/N] ")?;
    out.flush()?;
    let mut answer = String::new();
    input.read_line(&mut answer)?;
    let answer = answer.trim().to_ascii_lowercase();
    Ok(answer == "y" || answer == "yes")
}

/// `a, b, c` or `a, b, c and 4 more`: enough ids to recognise the selection.
pub fn some_of<T: ToString>(items: &[T]) -> String {
    const SHOWN: usize = 3;
    let named: Vec<String> = items.iter().take(SHOWN).map(T::to_string).collect();
    match items.len().saturating_sub(SHOWN) {
        0 => named.join(", "),
        more => format!("{} and {more} more", named.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(typed: &str) -> (bool, String) {
        let mut shown = Vec::new();
        let agreed = ask(
            "About to redrive ~3 message(s)?",
            &mut typed.as_bytes(),
            &mut shown,
        )
        .expect("asked");
        (agreed, String::from_utf8(shown).expect("utf-8"))
    }

    #[test]
    fn only_y_or_yes_goes_ahead() {
        for typed in ["y\n", "Y\n", "yes\n", " YES \n"] {
            assert!(answer(typed).0, "{typed:?}");
        }
        for typed in ["\n", "n\n", "no\n", "yep\n", ""] {
            assert!(!answer(typed).0, "{typed:?}");
        }
    }

    #[test]
    fn the_question_offers_no_as_the_default() {
        assert_eq!(answer("\n").1, "About to redrive ~3 message(s)? [y/N] ");
    }

    #[test]
    fn yes_or_the_local_environment_goes_ahead_without_asking() {
        let unasked =
            |yes, environment, always| confirm(Confirm { yes }, environment, "redrive", always);
        assert!(unasked(true, "prod", false).is_ok());
        assert!(unasked(true, "prod", true).is_ok());
        assert!(unasked(false, "local", false).is_ok());
    }

    #[test]
    fn a_selection_is_named_by_its_first_few() {
        assert_eq!(some_of(&["a"]), "a");
        assert_eq!(some_of(&["a", "b", "c"]), "a, b, c");
        assert_eq!(some_of(&["a", "b", "c", "d", "e"]), "a, b, c and 2 more");
    }
}
