#!/usr/bin/env python3
"""Public holidays of Portugal's autonomous regions, from python-holidays.

Prints JSON to stdout: {"source": "holidays <version>", "holidays": [{date,
region, names: {en, pt}}, ...]} for the Azores (PT-20) and Madeira (PT-30),
each region's full list (national holidays included), public holidays only,
sorted by date then region. Used by generate.mjs; date-holidays has no data
for these regions.

    python3 tools/holidays/pt_regions.py [FIRST_YEAR LAST_YEAR]   (default 2026 2030)

Needs the PyPI package holidays at exactly HOLIDAYS_VERSION (check.sh makes a
venv with it); another version is refused, so the output stays reproducible.
"""

import json
import sys

import holidays
from holidays.constants import PUBLIC

HOLIDAYS_VERSION = "0.109"
SUBDIVISIONS = {"20": "PT-20", "30": "PT-30"}  # python-holidays subdiv -> ISO 3166-2
LANGUAGES = {"en": "en_US", "pt": "pt_PT"}


def fail(msg):
    sys.exit(f"pt_regions.py: {msg}")


def main(argv):
    if holidays.__version__ != HOLIDAYS_VERSION:
        fail(f"needs holidays=={HOLIDAYS_VERSION}, found {holidays.__version__} ({sys.executable})")
    if len(argv) not in (0, 2):
        fail("usage: pt_regions.py [FIRST_YEAR LAST_YEAR]")
    first, last = (int(a) for a in argv) if argv else (2026, 2030)
    years = range(first, last + 1)
    if PUBLIC not in holidays.PT.supported_categories:
        fail(f"holidays.PT has no category {PUBLIC!r}")

    out = []
    for subdiv, region in SUBDIVISIONS.items():
        if subdiv not in holidays.PT.subdivisions:
            fail(f"holidays.PT has no subdivision {subdiv}")
        by_lang = {
            key: holidays.country_holidays("PT", subdiv=subdiv, years=years, language=lang, categories=(PUBLIC,))
            for key, lang in LANGUAGES.items()
        }
        dates = {key: sorted(h.keys()) for key, h in by_lang.items()}
        if dates["en"] != dates["pt"]:
            fail(f"{region}: en_US and pt_PT lists have different dates")
        if not dates["en"]:
            fail(f"{region}: no public holidays in {first}..{last}")
        for day in dates["en"]:
            if not first <= day.year <= last:
                fail(f"{region}: unexpected date {day}")
            out.append({
                "date": day.isoformat(),
                "region": region,
                "names": {key: by_lang[key][day] for key in LANGUAGES},
            })

    out.sort(key=lambda h: (h["date"], h["region"], h["names"]["en"]))
    json.dump({"source": f"holidays {holidays.__version__}", "holidays": out}, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv[1:])
