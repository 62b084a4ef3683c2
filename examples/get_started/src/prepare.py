"""Stage 1: split the posts of data/data.xml into train.tsv and test.tsv.

A post is labelled 1 when it is tagged `python`; its text is its title and body.
"""

from __future__ import annotations

import csv
import random
import re
import xml.etree.ElementTree as ET
from pathlib import Path

TAG = re.compile(r"<[^>]+>")


def main(src: str, out: str, split: float, seed: int) -> dict[str, int]:
    """Read the posts, split them at random (`split`: the share of test posts), write both."""
    rows = []
    for post in ET.parse(src).getroot().iter("row"):
        text = f"{post.get('Title', '')} {TAG.sub(' ', post.get('Body', ''))}"
        label = 1 if "<python>" in post.get("Tags", "") else 0
        rows.append((post.get("Id", ""), label, " ".join(text.split())))
    generator = random.Random(seed)
    train, test = [], []
    for row in rows:
        (test if generator.random() < split else train).append(row)
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    for name, part in (("train.tsv", train), ("test.tsv", test)):
        with open(folder / name, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, delimiter="\t", lineterminator="\n")
            writer.writerow(["id", "label", "text"])
            writer.writerows(part)
    return {"train": len(train), "test": len(test)}
