"""Build a "For you" evaluation set (``papers.jsonl`` and ``interactions.jsonl``) from real data in
``../shared/data`` for ``paperwire recommend eval``.

Papers: the arXiv daily listings of ``arxiv_daily/dw-dengwei_cs`` (dated by listing, first date kept)
and the Hugging Face daily lists of ``hf_daily_papers`` (dated by their list); ``--papers hf`` keeps
only the latter. Users, by ``--users``:

- ``hf``: each Hugging Face submitter (``submittedOnDailyBy``) and each organisation a paper was
  listed under; their papers are their ``up`` interactions, dated by the list.
- ``authors``: each author (by name) of at least ``--min-papers`` papers; an author "upvotes" the
  papers they wrote, on their listing date (a stand-in for interest: people read their own field).

    .venv/bin/python bench/recommend_set.py --users hf /tmp/rec-hf
    .venv/bin/python -m paperwire recommend eval /tmp/rec-hf --split-date 2026-06-15
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "data"


def _arxiv(papers: dict[str, dict[str, object]], authored: dict[str, list[str]]) -> None:
    for path in sorted((SHARED / "arxiv_daily" / "dw-dengwei_cs").glob("*.jsonl")):
        day = path.stem
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            rec = json.loads(line)
            if rec["id"] in papers:
                continue
            papers[rec["id"]] = {
                "id": rec["id"],
                "title": " ".join(rec["title"].split()),
                "abstract": " ".join(rec["summary"].split()),
                "categories": rec["categories"],
                "date": day,
            }
            for name in rec["authors"]:
                authored[name].append(rec["id"])


def _hf(
    papers: dict[str, dict[str, object]],
    users: dict[str, list[str]],
    authored: dict[str, list[str]],
) -> None:
    for path in sorted((SHARED / "hf_daily_papers").glob("daily_papers_2026-*.json")):
        day = path.stem.removeprefix("daily_papers_")
        for item in json.loads(path.read_text(encoding="utf-8")):
            paper = item["paper"]
            pid = paper["id"]
            if pid not in papers:
                papers[pid] = {
                    "id": pid,
                    "title": " ".join(paper["title"].split()),
                    "abstract": " ".join(paper["summary"].split()),
                    "categories": [],
                    "date": day,
                }
                for author in paper.get("authors") or []:
                    authored[author["name"]].append(pid)
            submitter = (paper.get("submittedOnDailyBy") or {}).get("user")
            if submitter:
                users[f"hf:{submitter}"].append(pid)
            org = item.get("organization") or paper.get("organization")
            if isinstance(org, dict) and org.get("name"):
                users[f"org:{org['name']}"].append(pid)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--users", choices=("hf", "authors"), default="hf")
    parser.add_argument("--min-papers", type=int, default=4)
    parser.add_argument(
        "--papers",
        choices=("all", "hf"),
        default="all",
        help="hf: only the Hugging Face lists' papers (a smaller set, quicker to embed)",
    )
    args = parser.parse_args()
    papers: dict[str, dict[str, object]] = {}
    users: dict[str, list[str]] = defaultdict(list)
    authored: dict[str, list[str]] = defaultdict(list)
    if args.papers == "all":
        _arxiv(papers, authored)
    _hf(papers, users, authored)
    if args.users == "authors":
        users = defaultdict(list)
        for name, ids in authored.items():
            if len(set(ids)) >= args.min_papers:
                users[f"author:{name}"] = sorted(set(ids))
    args.out.mkdir(parents=True, exist_ok=True)
    with open(args.out / "papers.jsonl", "w", encoding="utf-8") as fh:
        for paper in papers.values():
            fh.write(json.dumps(paper) + "\n")
    count = 0
    with open(args.out / "interactions.jsonl", "w", encoding="utf-8") as fh:
        for user, ids in sorted(users.items()):
            for pid in dict.fromkeys(ids):
                row = {"user": user, "paper": pid, "date": papers[pid]["date"], "signal": "up"}
                fh.write(json.dumps(row) + "\n")
                count += 1
    print(f"{len(papers)} papers, {len(users)} users, {count} interactions in {args.out}")


if __name__ == "__main__":
    main()
