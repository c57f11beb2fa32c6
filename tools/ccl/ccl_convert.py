#!/usr/bin/env python3
"""Converts the Commerce Control List and the Commerce Country Chart (eCFR
JSON under rules/ear/) into rule data: rules/ccl.textproto (one CclData) and
rules/ccl_prose_scopes.txt (every scope read from prose, with its reading).

  python3 tools/ccl/ccl_convert.py            # rewrite the outputs
  python3 tools/ccl/ccl_convert.py --check    # exit 1 if they are stale

Readings (15 CFR 738.4):
- "NS Column 2" -> KIND_COLUMN "NS 2".
- "Worldwide control", "any destination worldwide", "all destinations"
  -> KIND_WORLDWIDE.
- prose naming destinations (Country Group codes such as "D:5", Country
  Chart names such as "Macau", "China", "North Korea") -> KIND_DESTINATIONS
  with every destination named (conservative: words such as "except" in
  prose are not honoured; they are listed for review).
- "N/A" -> KIND_NONE.
- anything else (e.g. "See 746.1(b) for UN controls") -> KIND_REFERENCE:
  the engine answers REVIEW citing the text, for every destination.
- Paragraph scopes: "applies to entire entry [except X, Y]" and
  "applies to 3B001.a.4, c, d, f.1, k to n" are read exactly; any other
  control sentence is applied to the entire entry (conservative) and
  listed in ccl_prose_scopes.txt.
Nothing is dropped: every control of every entry is in the output.
"""
import hashlib
import json
import os
import re
import sys

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", ".."))
EAR = os.path.join(ROOT, "rules", "ear")
OUT = os.path.join(ROOT, "rules", "ccl.textproto")
PROSE_OUT = os.path.join(ROOT, "rules", "ccl_prose_scopes.txt")

# Country Chart row names -> ISO 3166-1 alpha-2. Written from the chart's
# own spellings (rules/ear/country_chart.json "countries", "embargoed",
# "aliases", "territoryInheritance").
CHART_CODES = {
    "Afghanistan": "AF", "Albania": "AL", "Algeria": "DZ", "Andorra": "AD",
    "Angola": "AO", "Antigua and Barbuda": "AG", "Argentina": "AR",
    "Armenia": "AM", "Aruba": "AW", "Australia": "AU", "Austria": "AT",
    "Azerbaijan": "AZ", "Bahamas, The": "BS", "Bahrain": "BH",
    "Bangladesh": "BD", "Barbados": "BB", "Belarus": "BY", "Belgium": "BE",
    "Belize": "BZ", "Benin": "BJ", "Bhutan": "BT", "Bolivia": "BO",
    "Bosnia and Herzegovina": "BA", "Botswana": "BW", "Brazil": "BR",
    "Brunei": "BN", "Bulgaria": "BG", "Burkina Faso": "BF", "Burma": "MM",
    "Burundi": "BI", "Cambodia": "KH", "Cameroon": "CM", "Canada": "CA",
    "Cape Verde": "CV", "Central African Republic": "CF", "Chad": "TD",
    "Chile": "CL", "China": "CN", "Colombia": "CO", "Comoros": "KM",
    "Congo (Democratic Republic of the)": "CD",
    "Congo (Republic of the)": "CG", "Costa Rica": "CR",
    "Cote d'Ivoire": "CI", "Croatia": "HR", "Cuba": "CU", "Curacao": "CW",
    "Cyprus": "CY", "Czech Republic": "CZ", "Denmark": "DK",
    "Djibouti": "DJ", "Dominica": "DM", "Dominican Republic": "DO",
    "East Timor": "TL", "Ecuador": "EC", "Egypt": "EG", "El Salvador": "SV",
    "Equatorial Guinea": "GQ", "Eritrea": "ER", "Estonia": "EE",
    "Eswatini": "SZ", "Ethiopia": "ET", "Fiji": "FJ", "Finland": "FI",
    "France": "FR", "Gabon": "GA", "Gambia, The": "GM", "Georgia": "GE",
    "Germany": "DE", "Ghana": "GH", "Greece": "GR", "Grenada": "GD",
    "Guatemala": "GT", "Guinea": "GN", "Guinea-Bissau": "GW", "Guyana": "GY",
    "Haiti": "HT", "Honduras": "HN", "Hungary": "HU", "Iceland": "IS",
    "India": "IN", "Indonesia": "ID", "Iran": "IR", "Iraq": "IQ",
    "Ireland": "IE", "Israel": "IL", "Italy": "IT", "Jamaica": "JM",
    "Japan": "JP", "Jordan": "JO", "Kazakhstan": "KZ", "Kenya": "KE",
    "Kiribati": "KI", "Korea, North": "KP", "Korea, South": "KR",
    "Kosovo": "XK", "Kuwait": "KW", "Kyrgyzstan": "KG", "Laos": "LA",
    "Latvia": "LV", "Lebanon": "LB", "Lesotho": "LS", "Liberia": "LR",
    "Libya": "LY", "Liechtenstein": "LI", "Lithuania": "LT",
    "Luxembourg": "LU", "Macau": "MO", "Madagascar": "MG", "Malawi": "MW",
    "Malaysia": "MY", "Maldives": "MV", "Mali": "ML", "Malta": "MT",
    "Marshall Islands": "MH", "Mauritania": "MR", "Mauritius": "MU",
    "Mexico": "MX", "Micronesia (Federated State of)": "FM", "Moldova": "MD",
    "Monaco": "MC", "Mongolia": "MN", "Montenegro": "ME", "Morocco": "MA",
    "Mozambique": "MZ", "Namibia": "NA", "Nauru": "NR", "Nepal": "NP",
    "Netherlands": "NL", "New Zealand": "NZ", "Nicaragua": "NI",
    "Niger": "NE", "Nigeria": "NG", "North Macedonia": "MK", "Norway": "NO",
    "Oman": "OM", "Pakistan": "PK", "Palau": "PW", "Panama": "PA",
    "Papua New Guinea": "PG", "Paraguay": "PY", "Peru": "PE",
    "Philippines": "PH", "Poland": "PL", "Portugal": "PT", "Qatar": "QA",
    "Romania": "RO", "Russia": "RU", "Rwanda": "RW",
    "St. Kitts and Nevis": "KN", "St. Lucia": "LC",
    "St. Vincent and the Grenadines": "VC", "Samoa": "WS",
    "San Marino": "SM", "Sao Tome and Principe": "ST", "Saudi Arabia": "SA",
    "Senegal": "SN", "Serbia": "RS", "Seycheles": "SC", "Seychelles": "SC",
    "Sierra Leone": "SL", "Singapore": "SG",
    "Sint Maarten (the Dutch two-fifths of the island of Saint Martin)": "SX",
    "Slovakia": "SK", "Slovenia": "SI", "Solomon Islands": "SB",
    "Somalia": "SO", "South Africa": "ZA", "South Sudan, Republic of": "SS",
    "Spain": "ES", "Sri Lanka": "LK", "Sudan": "SD", "Suriname": "SR",
    "Sweden": "SE", "Switzerland": "CH", "Syria": "SY", "Taiwan": "TW",
    "Tajikistan": "TJ", "Tanzania": "TZ", "Thailand": "TH", "Togo": "TG",
    "Tonga": "TO", "Trinidad and Tobago": "TT", "Tunisia": "TN",
    "Türkiye": "TR", "Turkmenistan": "TM", "Tuvalu": "TV", "Uganda": "UG",
    "Ukraine": "UA", "United Arab Emirates": "AE", "United Kingdom": "GB",
    "Uruguay": "UY", "Uzbekistan": "UZ", "Vanuatu": "VU",
    "Vatican City": "VA", "Venezuela": "VE", "Vietnam": "VN", "Yemen": "YE",
    "Zambia": "ZM", "Zimbabwe": "ZW", "Hong Kong": "HK",
    "Cayman Islands": "KY", "Curaçao": "CW", "Timor-Leste": "TL",
    "Western Sahara": "EH",
}

COLUMN_RE = re.compile(r"\b(CB|NP|NS|MT|RS|FC|CC|AT)\s+Column\s+(\d)")
GROUP_RE = re.compile(r"\b([ABDE]):(\d)\b")
ECCN_RE = re.compile(r"^[0-9][A-EY][0-9]{3}")


def norm_space(text):
    return re.sub(r"\s+", " ", text or "").strip()


def letter_range(a, b):
    if len(a) == 1 and len(b) == 1 and a.isalpha() and b.isalpha() and a <= b:
        return [chr(c) for c in range(ord(a), ord(b) + 1)]
    if a.isdigit() and b.isdigit() and int(a) <= int(b) <= int(a) + 50:
        return [str(n) for n in range(int(a), int(b) + 1)]
    return None


def read_paragraph_list(eccn, text):
    """'3B001.a.4, c, d, f.1, k to n, p.2' -> ['3B001.a.4', '3B001.c', ...];
    None if the text is not such a list."""
    text = text.rstrip(".").replace(" and ", ", ")
    out = []
    for part in [p.strip() for p in text.split(",") if p.strip()]:
        m = re.fullmatch(r"(\S+) (?:to|through) (\S+)", part)
        if m:
            lo, hi = m.group(1), m.group(2)
            prefix = ""
            if ECCN_RE.match(lo):
                base, _, lo = lo.partition(".")
                if base != eccn:
                    return None
            if "." in lo:
                prefix, _, lo = lo.rpartition(".")
                prefix += "."
            rng = letter_range(lo.lstrip("."), hi.lstrip(".").split(".")[-1])
            if rng is None:
                return None
            out += [f"{eccn}.{prefix}{x}" for x in rng]
            continue
        part = part.lstrip(".")
        if ECCN_RE.match(part):
            if part[:5] != eccn:
                return None
            out.append(part)
        elif re.fullmatch(r"[a-z](\.[a-z0-9]+)*", part):
            out.append(f"{eccn}.{part}")
        else:
            return None
    return out or None


def read_control(eccn, control_text):
    """-> (reason, paragraphs, except_paragraphs, exact)"""
    text = norm_space(control_text)
    m = re.match(r"^([A-Z]{2,3})\b", text)
    reason = m.group(1) if m else "?"
    if text.startswith("Russian industry sector sanctions"):
        reason = "RS-SECTOR"
    m = re.match(r"^[A-Z]{2,3} applies to (?:the )?entire entry[.]?$", text)
    if m:
        return reason, [], [], True
    m = re.match(r"^[A-Z]{2,3} applies to (?:the )?entire entry,? except (.+?)\.?$", text)
    if m:
        exc = read_paragraph_list(eccn, m.group(1))
        if exc is not None:
            return reason, [], exc, True
        return reason, [], [], False
    m = re.match(r"^[A-Z]{2,3} applies to (?:paragraphs? |items controlled by |"
                 r"“software” controlled by |“technology” controlled by )?"
                 r"([0-9].+?)\.?$", text)
    if m:
        par = read_paragraph_list(eccn, m.group(1))
        if par is not None:
            return reason, par, [], True
    return reason, [], [], False


def destinations_in(text, chart_names):
    found = set()
    for g in GROUP_RE.finditer(text):
        found.add(f"{g.group(1)}:{g.group(2)}")
    low = text.lower()
    for name, code in chart_names.items():
        if re.search(r"(?<![a-z])" + re.escape(name) + r"(?![a-z])", low):
            found.add(code)
    return sorted(found)


def read_chart_cell(text, chart_names):
    """-> (kind, column(s), destinations, exact)"""
    t = norm_space(text)
    cols = [f"{m.group(1)} {m.group(2)}" for m in COLUMN_RE.finditer(t)]
    if cols:
        exact = re.fullmatch(r"(?:(?:CB|NP|NS|MT|RS|FC|CC|AT) Column \d\.?,? ?)+", t) is not None
        return "KIND_COLUMN", cols, [], exact
    low = t.lower()
    if low in ("n/a", "n/a."):
        return "KIND_NONE", [], [], True
    if ("worldwide" in low or "all destinations" in low) and "except" not in low:
        return "KIND_WORLDWIDE", [], [], low.startswith("worldwide control")
    if ("worldwide" in low or "all destinations" in low):
        # "ALL destinations, except Canada": conservative, worldwide.
        return "KIND_WORLDWIDE", [], [], False
    # "... excluding any destination also specified in Country Groups A:5
    # or A:6": the part after "excluding" names exceptions.
    head, sep, tail = t.partition("excluding")
    dests = destinations_in(head, chart_names)
    excepted = destinations_in(tail, chart_names) if sep else []
    if dests and not low.startswith("see ") and not low.startswith("refer "):
        return "KIND_DESTINATIONS", [], (dests, excepted), False
    return "KIND_REFERENCE", [], [], False


def q(s):
    return json.dumps(s, ensure_ascii=False)


def convert():
    ccl = json.load(open(os.path.join(EAR, "ccl_full.json"), encoding="utf-8"))
    chart = json.load(open(os.path.join(EAR, "country_chart.json"), encoding="utf-8"))
    chart_names = {}
    for name, code in CHART_CODES.items():
        chart_names[name.lower()] = code
    for alias, name in chart["aliases"].items():
        if name in CHART_CODES:
            chart_names[alias.lower()] = CHART_CODES[name]
    # Names too short or too common to find in prose safely.
    for bad in ("uk", "prc", "rok", "dprk", "georgia", "chad", "guinea", "niger"):
        chart_names.pop(bad, None)
    chart_names["north korea"] = "KP"
    chart_names["macau"] = "MO"

    lines = []
    prose = []
    lines.append("# GENERATED by tools/ccl/ccl_convert.py from rules/ear/ (eCFR "
                 f"{ccl['ecfrIssueDate']}); do not edit.")
    lines.append("# Readings of prose scopes: rules/ccl_prose_scopes.txt.")
    lines.append("ccl {")
    lines.append("  meta {")
    lines.append('    id: "ccl.baseline"')
    lines.append('    title: "Commerce Control List x Commerce Country Chart (738.4)"')
    lines.append('    citation: "15 CFR 738.4; Supp. No. 1 to Part 738; Supp. No. 1 to Part 774 (eCFR '
                 + ccl["ecfrIssueDate"] + ')"')
    lines.append('    jurisdiction: "US-EAR"')
    lines.append('    effective_from: "2022-10-07"')
    lines.append('    notes: "Chart marks and CCL controls as printed on the eCFR of '
                 + ccl["ecfrIssueDate"] + '; applied to every as_of_date in the modelled span."')
    lines.append("  }")
    n_controls = 0
    for e in sorted(ccl["entries"], key=lambda x: x["eccn"]):
        eccn = e["eccn"]
        lines.append("  entry {")
        lines.append(f"    eccn: {q(eccn)}")
        lines.append(f"    heading: {q(norm_space(e['heading'])[:300])}")
        for c in e["countryChart"]:
            ctext = norm_space(c.get("control"))
            ttext = norm_space(c.get("countryChart"))
            reason, pars, excs, exact_scope = read_control(eccn, ctext)
            kind, cols, dests, exact_cell = read_chart_cell(ttext, chart_names)
            excepted = []
            if isinstance(dests, tuple):
                dests, excepted = dests
            # One output control per column (a cell may name two columns).
            outs = cols if kind == "KIND_COLUMN" else [""]
            for col in outs:
                n_controls += 1
                lines.append("    control {")
                lines.append(f"      reason: {q(reason)}")
                lines.append(f"      kind: {kind}")
                if col:
                    lines.append(f"      column: {q(col)}")
                for d in dests:
                    lines.append(f"      destinations: {q(d)}")
                for d in excepted:
                    lines.append(f"      except_destinations: {q(d)}")
                for p in pars:
                    lines.append(f"      paragraphs: {q(p)}")
                for p in excs:
                    lines.append(f"      except_paragraphs: {q(p)}")
                lines.append(f"      control_text: {q(ctext)}")
                lines.append(f"      chart_text: {q(ttext)}")
                if not (exact_scope and exact_cell):
                    lines.append("      prose: true")
                lines.append("    }")
            if not (exact_scope and exact_cell):
                prose.append(
                    f"{eccn}\t{kind}{(' ' + ','.join(cols)) if cols else ''}"
                    f"{(' ' + ','.join(dests)) if dests else ''}"
                    f"{(' except ' + ','.join(excepted)) if excepted else ''}"
                    f"\tscope={'exact' if exact_scope else 'ENTIRE ENTRY (conservative)'}"
                    f"\t{ctext} | {ttext}")
        lines.append("  }")
    for name, row in sorted(chart["countries"].items()):
        code = CHART_CODES[name]
        lines.append("  row {")
        lines.append(f"    country: {q(code)}")
        lines.append(f"    name: {q(name)}")
        for m in row["marks"]:
            lines.append(f"    marks: {q(m)}")
        lines.append("  }")
    for name, row in sorted(chart["embargoed"].items()):
        code = CHART_CODES[name]
        lines.append("  row {")
        lines.append(f"    country: {q(code)}")
        lines.append(f"    name: {q(name)}")
        lines.append("    embargoed: true")
        lines.append(f"    pointer: {q(norm_space(row['pointer']))}")
        lines.append("  }")
    for name, inh in sorted(chart["territoryInheritance"].items()):
        code = chart_names.get(name.lower()) or CHART_CODES.get(name.title())
        lines.append("  governed_by {")
        lines.append(f"    key: {q(code)}")
        lines.append(f"    value: {q(CHART_CODES[inh['row']])}")
        lines.append("  }")
    lines.append("}")
    digest = hashlib.sha256()
    for f in ("ccl_full.json", "country_chart.json"):
        digest.update(open(os.path.join(EAR, f), "rb").read())
    header = [
        "# Scopes of rules/ccl.textproto read from prose (GENERATED by",
        "# tools/ccl/ccl_convert.py; review when the CCL changes). Columns:",
        "# ECCN, reading, paragraph scope, source text (control | chart cell).",
        "# KIND_REFERENCE answers REVIEW citing the text for every destination;",
        "# KIND_DESTINATIONS requires a licence to every destination named",
        "# (exceptions written in prose are not honoured: conservative).",
        f"# {len(prose)} of {n_controls} controls.",
    ]
    return "\n".join(lines) + "\n", "\n".join(header + prose) + "\n"


def main():
    ccl_text, prose_text = convert()
    if "--check" in sys.argv:
        stale = []
        for path, text in ((OUT, ccl_text), (PROSE_OUT, prose_text)):
            try:
                current = open(path, encoding="utf-8").read()
            except OSError:
                current = None
            if current != text:
                stale.append(os.path.relpath(path, ROOT))
        if stale:
            print("stale (run python3 tools/ccl/ccl_convert.py):", ", ".join(stale))
            return 1
        print("ccl rule data up to date")
        return 0
    open(OUT, "w", encoding="utf-8").write(ccl_text)
    open(PROSE_OUT, "w", encoding="utf-8").write(prose_text)
    print(f"wrote {os.path.relpath(OUT, ROOT)}, {os.path.relpath(PROSE_OUT, ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
