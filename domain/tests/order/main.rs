//! `parse_order` against the `POST /order` contract: one test binary
//! (STYLE.md, "One integration-test binary per crate").

mod properties;
mod strict_input;
mod support;
mod validation;
