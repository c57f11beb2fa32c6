#!/usr/bin/env bash
# Checks that every file or folder the README's "Guide to the code" names
# exists: the first column of each table row is a folder; a backticked
# file name in the row is looked up in that folder, then from the top of
# the repository. Usage: tools/check_readme_paths.sh [REPO_DIR]
set -euo pipefail
cd "${1:-$(dirname "$0")/..}"
python3 - <<'PY'
import os, re, sys
text = open("README.md", encoding="utf-8").read()
start = text.index("## Guide to the code")
end = text.find("\n## ", start + 1)
section = text[start:end if end > 0 else len(text)]
path_like = re.compile(r"^[A-Za-z0-9_.\-/]+(\.(h|cc|sh|proto|py|md|txt|textproto|json|yaml|tsv)|/)$")
missing, checked = [], 0
for line in section.splitlines():
    if not line.startswith("| `"):
        continue
    cells = [c.strip() for c in line.strip("|").split("|")]
    folder = re.findall(r"`([^`]+)`", cells[0])
    folder = folder[0] if folder else ""
    for token in re.findall(r"`([^`]+)`", line):
        if not path_like.match(token) and "/" not in token.rstrip("/"):
            continue
        if not path_like.match(token) and " " in token:
            continue
        if not re.match(r"^[A-Za-z0-9_.\-/]+$", token):
            continue
        checked += 1
        candidates = [os.path.join(folder, token), token]
        if not any(os.path.exists(c) for c in candidates):
            missing.append(f"{token} (row {folder})")
for m in missing:
    print("README guide names a missing path:", m)
print(f"README guide: {checked} paths checked, {len(missing)} missing")
sys.exit(1 if missing else 0)
PY
