//! The programme indicator: SMEs that received at least one service (a completed course or
//! an attended advisory session), by country and region, per calendar quarter.
//!
//! An SME counts once per quarter and region however many services it received; the
//! quarter totals and the period total are distinct SMEs too, not sums of rows.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct IndicatorRow {
    /// `2026-Q1` (quarters counted in Europe/Madrid, the hub's home).
    pub quarter: String,
    /// `ES` or `PT`.
    pub country: String,
    pub region: String,
    /// SMEs with a completed course or an attended advisory session in the quarter.
    pub smes_served: i64,
    pub smes_with_completion: i64,
    pub smes_with_advisory_session: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct QuarterTotal {
    pub quarter: String,
    pub smes_served: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Indicators {
    pub items: Vec<IndicatorRow>,
    /// Distinct SMEs served per quarter, all regions together.
    pub quarters: Vec<QuarterTotal>,
    /// Distinct SMEs served in the whole period shown.
    pub smes_served_total: i64,
}

/// Is `q` a quarter like `2026-Q1`?
pub fn valid_quarter(q: &str) -> bool {
    let Some((year, quarter)) = q.split_once("-Q") else {
        return false;
    };
    year.len() == 4
        && year.chars().all(|c| c.is_ascii_digit())
        && matches!(quarter, "1" | "2" | "3" | "4")
}

#[derive(Default)]
struct Served {
    completion: BTreeSet<i64>,
    session: BTreeSet<i64>,
}

/// `smes`: `(id, country, region)`; `completions`/`sessions`: `(sme_id, quarter)`.
/// `from`/`to` bound the quarters shown (inclusive; `2026-Q1` sorts as text correctly).
pub fn compute(
    smes: &[(i64, String, String)],
    completions: &[(i64, String)],
    sessions: &[(i64, String)],
    from: Option<&str>,
    to: Option<&str>,
) -> Indicators {
    let place: HashMap<i64, (&str, &str)> = smes
        .iter()
        .map(|(id, c, r)| (*id, (c.as_str(), r.as_str())))
        .collect();
    let in_range = |q: &str| from.is_none_or(|f| q >= f) && to.is_none_or(|t| q <= t);
    let mut cells: BTreeMap<(String, String, String), Served> = BTreeMap::new();
    let mut per_quarter: BTreeMap<String, BTreeSet<i64>> = BTreeMap::new();
    let mut total: BTreeSet<i64> = BTreeSet::new();
    for (is_session, rows) in [(false, completions), (true, sessions)] {
        for (sme, quarter) in rows {
            // SMEs outside the caller's scope are not in `smes`: skipped here.
            let Some((country, region)) = place.get(sme) else {
                continue;
            };
            if quarter.is_empty() || !in_range(quarter) {
                continue;
            }
            let cell = cells
                .entry((quarter.clone(), country.to_string(), region.to_string()))
                .or_default();
            if is_session {
                cell.session.insert(*sme);
            } else {
                cell.completion.insert(*sme);
            }
            per_quarter.entry(quarter.clone()).or_default().insert(*sme);
            total.insert(*sme);
        }
    }
    let items = cells
        .into_iter()
        .map(|((quarter, country, region), s)| IndicatorRow {
            quarter,
            country,
            region,
            smes_served: s.completion.union(&s.session).count() as i64,
            smes_with_completion: s.completion.len() as i64,
            smes_with_advisory_session: s.session.len() as i64,
        })
        .collect();
    Indicators {
        items,
        quarters: per_quarter
            .into_iter()
            .map(|(quarter, smes)| QuarterTotal {
                quarter,
                smes_served: smes.len() as i64,
            })
            .collect(),
        smes_served_total: total.len() as i64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn smes() -> Vec<(i64, String, String)> {
        vec![
            (1, "ES".into(), "Galicia".into()),
            (2, "ES".into(), "Galicia".into()),
            (3, "PT".into(), "Norte".into()),
            (4, "PT".into(), "Norte".into()),
        ]
    }

    #[test]
    fn an_sme_counts_once_per_quarter_and_region() {
        let completions = vec![
            (1, "2026-Q1".to_string()),
            (1, "2026-Q1".to_string()),
            (2, "2026-Q2".to_string()),
            (3, "2026-Q1".to_string()),
        ];
        let sessions = vec![
            (1, "2026-Q1".to_string()),
            (4, "2026-Q1".to_string()),
            (4, "2026-Q2".to_string()),
            (99, "2026-Q1".to_string()), // not in scope
        ];
        let got = compute(&smes(), &completions, &sessions, None, None);
        assert_eq!(
            got.items[0],
            IndicatorRow {
                quarter: "2026-Q1".into(),
                country: "ES".into(),
                region: "Galicia".into(),
                smes_served: 1,
                smes_with_completion: 1,
                smes_with_advisory_session: 1,
            }
        );
        assert_eq!(got.items[1].region, "Norte");
        assert_eq!(got.items[1].smes_served, 2);
        assert_eq!(got.items.len(), 4);
        assert_eq!(
            got.quarters,
            vec![
                QuarterTotal {
                    quarter: "2026-Q1".into(),
                    smes_served: 3
                },
                QuarterTotal {
                    quarter: "2026-Q2".into(),
                    smes_served: 2
                },
            ]
        );
        assert_eq!(got.smes_served_total, 4);
    }

    #[test]
    fn period_bounds() {
        let completions = vec![(1, "2025-Q4".to_string()), (2, "2026-Q1".to_string())];
        let got = compute(&smes(), &completions, &[], Some("2026-Q1"), Some("2026-Q4"));
        assert_eq!(got.smes_served_total, 1);
        assert_eq!(got.items.len(), 1);
        assert!(valid_quarter("2026-Q3"));
        assert!(!valid_quarter("2026-Q5"));
        assert!(!valid_quarter("26-Q1"));
        assert!(!valid_quarter("2026Q1"));
    }
}
