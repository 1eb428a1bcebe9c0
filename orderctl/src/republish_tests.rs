//! Unit tests of `orderctl republish`: arguments and reports.
use clap::Parser;

use super::*;
use crate::{Cli, Command};

fn parse(args: &[&str]) -> Result<RepublishArgs, clap::Error> {
    let cli = Cli::try_parse_from(["orderctl", "republish"].iter().chain(args))?;
    match cli.command {
        Command::Republish(args) => Ok(args),
        other => panic!("parsed as {other:?}"),
    }
}

#[test]
fn orders_are_named_or_all_unpublished_are_asked_for() {
    let id = "4f0c8f2e-8d1b-4c53-9d55-3f7c1c7e1a10";
    assert_eq!(parse(&[id]).expect("one id").order_ids.len(), 1);
    let all = parse(&["--all-unpublished", "--dry-run"]).expect("all");
    assert!(all.all_unpublished && all.dry_run && all.order_ids.is_empty());
    assert!(parse(&[]).is_err(), "neither ids nor --all-unpublished");
    assert!(parse(&[id, "--all-unpublished"]).is_err(), "both");
    let typo = parse(&["12345"]).expect_err("not a UUID");
    assert!(typo.to_string().contains("not an order id"), "{typo}");
}

fn outcome(outcome: Outcome) -> OrderOutcome {
    OrderOutcome::unread(OrderId::random(), outcome, None)
}

#[test]
fn an_order_not_found_or_not_published_fails_the_run() {
    let report = |outcomes: &[Outcome]| {
        let orders = outcomes.iter().map(|o| outcome(*o)).collect();
        RepublishReport::new("t-Orders", Ok("arn"), "c", false, orders)
    };
    let fine = report(&[Outcome::Published, Outcome::Skipped]);
    assert_eq!((fine.published, fine.skipped), (1, 1));
    assert_eq!(fine.exit_code(), ExitCode::SUCCESS);
    assert!(fine.problems().is_empty());
    for bad in [Outcome::NotFound, Outcome::Failed, Outcome::NotAttempted] {
        let run = report(&[Outcome::Published, bad]);
        assert_eq!(run.exit_code(), ExitCode::FAILURE, "{bad:?}");
        assert_eq!(run.problems().len(), 1, "{bad:?}");
    }
}

#[test]
fn a_dry_run_publishes_nothing_and_fails_without_a_topic() {
    let dry_run = |topic| {
        let orders = vec![outcome(Outcome::WouldPublish)];
        RepublishReport::new("t-Orders", topic, "c", true, orders)
    };
    let report = dry_run(Ok("arn"));
    let mut out = Vec::new();
    report.write_text(&mut out).expect("written");
    let text = String::from_utf8(out).expect("utf-8");
    let summary = "would publish 1, skipped 0, not found 0, failed 0; nothing was published\n";
    assert!(text.ends_with(summary), "{text}");
    assert_eq!(report.exit_code(), ExitCode::SUCCESS);

    let report = dry_run(Err("no SNS topic t-OrderEvents".to_owned()));
    assert_eq!(report.would_publish, 1);
    assert_eq!(report.exit_code(), ExitCode::FAILURE);
    assert_eq!(report.problems(), ["no SNS topic t-OrderEvents"]);
}
