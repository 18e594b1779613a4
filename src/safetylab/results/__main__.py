"""Write the JSON Schema of every result model to docs/schemas/ (or check them: --check)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from safetylab.results import ALL

DOCS = Path(__file__).resolve().parents[3] / "docs" / "schemas"


def schemas() -> dict[str, str]:
    return {
        f"{name}.schema.json": json.dumps(model.model_json_schema(), indent=2) + "\n"
        for name, model in ALL.items()
    }


def main() -> int:
    check = "--check" in sys.argv
    stale = []
    DOCS.mkdir(parents=True, exist_ok=True)
    for name, text in schemas().items():
        path = DOCS / name
        if check:
            if not path.exists() or path.read_text() != text:
                stale.append(name)
        else:
            path.write_text(text)
    if stale:
        print(f"stale schemas in {DOCS}: {stale}; run `python -m safetylab.results`")
        return 1
    print(f"{'checked' if check else 'wrote'} {len(ALL)} schemas in {DOCS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
