//! Test input for the property tests of course and quiz files: a valid file whose lines are
//! each kept, dropped, doubled, replaced by junk or extended with it.

use proptest::prelude::*;

/// A text made from `base`'s lines, each kept, dropped, doubled or replaced by junk.
pub fn mutated(base: impl Into<String>) -> impl Strategy<Value = String> {
    let lines: Vec<String> = base.into().lines().map(str::to_string).collect();
    let n = lines.len();
    prop::collection::vec(
        (
            0..8u8,
            prop_oneof![any::<String>(), "[a-z_=\\[\\]{}\"'.,# 0-9-]{0,24}"],
        ),
        n..=n,
    )
    .prop_map(move |edits| {
        let mut out = String::new();
        for (line, (op, junk)) in lines.iter().zip(edits) {
            match op {
                0 => {}
                1 => out.push_str(&format!("{line}\n{line}\n")),
                2 => out.push_str(&format!("{junk}\n")),
                3 => out.push_str(&format!("{line}{junk}\n")),
                _ => out.push_str(&format!("{line}\n")),
            }
        }
        out
    })
}
