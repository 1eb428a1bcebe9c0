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
