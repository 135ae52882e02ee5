"""Secrets written in clear in ../shared/corpus: what the converter turns into Airflow variables (environment,
parameter defaults, withEnv, EnvInject) and what it flags in shell text, by kind, with each place, so that false
positives can be read one by one. Usage: python bench/secrets_corpus.py
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from jenkins2flow.convert.estate import convert_estate, iter_jobs

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


def main() -> None:
    estate = convert_estate(iter_jobs([str(CORPUS / "jenkinsfiles"), str(CORPUS / "configxml")]))
    moved: Counter[str] = Counter()
    flagged: Counter[str] = Counter()
    places: list[str] = []
    for conv in estate.conversions:
        for use in conv.credentials:
            if use.binding.startswith("literal"):
                moved[use.binding] += 1
                places.append(f"variable {use.airflow_id}: {use.binding} at {Path(use.span.path).name}:"
                              f"{use.span.line}")
        for diag in conv.diagnostics:
            if "of the script holds a secret in clear" in diag.message:
                kind = diag.message.split("(", 1)[1].split(")", 1)[0]
                flagged[kind] += 1
                places.append(f"shell {kind} at {Path(diag.span.path).name}:{diag.span.line}")
    jobs = sum(1 for c in estate.conversions if any(u.binding.startswith("literal") for u in c.credentials))
    print(f"{len(estate.conversions)} jobs; {sum(moved.values())} values moved to Airflow variables in {jobs} jobs; "
          f"{sum(flagged.values())} secrets flagged in shell text")
    for kind, n in (moved + flagged).most_common():
        print(f"  {n:4d}  {kind}")
    for place in places:
        print(f"  - {place}")


if __name__ == "__main__":
    main()
