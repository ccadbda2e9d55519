//! Public holidays of the regions advisors work in, so no slot is offered on them. The data
//! is `holidays.json`, generated from the npm package date-holidays by
//! `tools/holidays/generate.mjs` (nothing typed by hand; `tools/holidays/check.sh` fails when
//! it is stale) and embedded at compile time. A region's list is complete on its own: "ES-GA"
//! holds Spain's national holidays as observed in Galicia plus Galicia's own.

use std::collections::HashMap;
use std::sync::OnceLock;

use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::lang::Lang;

#[derive(Deserialize)]
struct Data {
    source: String,
    years: [i16; 2],
    regions: Vec<RawRegion>,
    holidays: Vec<RawHoliday>,
}

#[derive(Deserialize)]
struct RawRegion {
    code: String,
    names: HashMap<String, String>,
}

#[derive(Deserialize)]
struct RawHoliday {
    date: String,
    regions: Vec<String>,
    names: HashMap<String, String>,
}

/// The parsed data, with each region's days in order.
struct Table {
    source: String,
    years: [i16; 2],
    regions: Vec<RawRegion>,
    by_region: HashMap<String, Vec<(Date, usize)>>,
    holidays: Vec<RawHoliday>,
}

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| {
        // Checked by the unit test below: the embedded file always parses.
        let data: Data = serde_json::from_str(include_str!("holidays.json")).unwrap_or(Data {
            source: String::new(),
            years: [0, 0],
            regions: Vec::new(),
            holidays: Vec::new(),
        });
        let mut by_region: HashMap<String, Vec<(Date, usize)>> = HashMap::new();
        for (i, h) in data.holidays.iter().enumerate() {
            let Ok(date) = h.date.parse::<Date>() else {
                continue;
            };
            for r in &h.regions {
                by_region.entry(r.clone()).or_default().push((date, i));
            }
        }
        for days in by_region.values_mut() {
            days.sort();
        }
        Table {
            source: data.source,
            years: data.years,
            regions: data.regions,
            by_region,
            holidays: data.holidays,
        }
    })
}

fn name_in(names: &HashMap<String, String>, lang: Lang) -> String {
    names
        .get(lang.code())
        .or_else(|| names.get("en"))
        .cloned()
        .unwrap_or_default()
}

/// A holiday region an advisor can follow.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Region {
    /// ISO 3166-2 (`ES-GA`) or country (`ES`, `PT`) code.
    pub code: String,
    /// Its name in the reader's language.
    pub name: String,
}

/// One public holiday.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Holiday {
    /// `YYYY-MM-DD`, a local date.
    pub date: String,
    /// Its name in the reader's language.
    pub name: String,
}

/// Every region with data, in the data's order, named in `lang`.
pub fn regions(lang: Lang) -> Vec<Region> {
    table()
        .regions
        .iter()
        .filter(|r| table().by_region.contains_key(&r.code))
        .map(|r| Region {
            code: r.code.clone(),
            name: name_in(&r.names, lang),
        })
        .collect()
}

/// Is `code` a region with data?
pub fn is_region(code: &str) -> bool {
    table().by_region.contains_key(code)
}

/// The holiday of `region` on `date`, if any.
pub fn on(region: &str, date: Date, lang: Lang) -> Option<Holiday> {
    let days = table().by_region.get(region)?;
    let i = days.binary_search_by(|(d, _)| d.cmp(&date)).ok()?;
    let (_, index) = days[i];
    Some(Holiday {
        date: date.to_string(),
        name: name_in(&table().holidays[index].names, lang),
    })
}

/// The holidays of `region` from `from` to `to` (both included), in order.
pub fn between(region: &str, from: Date, to: Date, lang: Lang) -> Vec<Holiday> {
    let Some(days) = table().by_region.get(region) else {
        return Vec::new();
    };
    days.iter()
        .filter(|(d, _)| *d >= from && *d <= to)
        .map(|(d, i)| Holiday {
            date: d.to_string(),
            name: name_in(&table().holidays[*i].names, lang),
        })
        .collect()
}

/// Where the data comes from (`date-holidays 3.37.0 (npm); ...`) and the years it covers.
pub fn source() -> (&'static str, [i16; 2]) {
    (&table().source, table().years)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn the_embedded_data_parses_and_covers_the_regions() {
        let data: Data = serde_json::from_str(include_str!("holidays.json")).expect("parses");
        assert!(data.holidays.len() > 100);
        let (source, years) = source();
        assert!(source.starts_with("date-holidays"), "{source}");
        assert!(years[0] <= 2026 && years[1] >= 2028);
        let codes: Vec<String> = regions(Lang::En).into_iter().map(|r| r.code).collect();
        for code in ["ES", "ES-AN", "ES-CL", "ES-CN", "ES-GA", "PT"] {
            assert!(codes.contains(&code.to_string()), "{code} in {codes:?}");
        }
        // Every region has a name in every language.
        for lang in Lang::ALL {
            assert!(regions(lang).iter().all(|r| !r.name.is_empty()));
        }
        assert!(!is_region("XX"));
    }

    #[test]
    fn regional_days_belong_to_their_region_only() {
        let galicia = date(2026, 7, 25);
        assert!(on("ES-GA", galicia, Lang::Es).is_some());
        assert!(on("ES", galicia, Lang::Es).is_none());
        assert!(on("ES-CN", galicia, Lang::Es).is_none());
        assert!(on("ES-CN", date(2026, 5, 30), Lang::En).is_some());
        assert!(on("ES-AN", date(2026, 2, 28), Lang::En).is_some());
        assert!(on("ES-CL", date(2026, 4, 23), Lang::En).is_some());
        // Portugal's Liberty Day, not Spain's; Christmas in both.
        assert!(on("PT", date(2026, 4, 25), Lang::Pt).is_some());
        assert!(on("ES", date(2026, 4, 25), Lang::Pt).is_none());
        assert!(on("ES", date(2026, 12, 25), Lang::Pt).is_some());
        assert!(on("PT", date(2026, 12, 25), Lang::Pt).is_some());
        // An ordinary day.
        assert!(on("PT", date(2026, 12, 9), Lang::Pt).is_none());
        let december = between("PT", date(2026, 12, 1), date(2026, 12, 31), Lang::Pt);
        let days: Vec<&str> = december.iter().map(|h| h.date.as_str()).collect();
        assert_eq!(days, ["2026-12-01", "2026-12-08", "2026-12-25"]);
        assert!(december.iter().all(|h| !h.name.is_empty()));
    }
}
