"""Helpers shared by the privacy tests: the seed-thread parser, who must be hidden, one-unit tables.

The seed parser (``fixtures/privacy/seed_parser.py``) reads the example threads
independently of the ingesters, so that the tests know the people in them without
trusting the code under test.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re

import pandas as pd

import workbench as wb

FIX = os.path.join(os.path.dirname(__file__), "fixtures", "privacy")


def _load_parser():
    spec = importlib.util.spec_from_file_location("privacy_seed_parser", os.path.join(FIX, "seed_parser.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


seeds = _load_parser()


def present(name: str, text: str) -> bool:
    """Whether ``name`` occurs as a whole word (any case) in ``text``."""
    return re.search(r"(?<!\w)" + re.escape(name) + r"(?!\w)", text, re.IGNORECASE) is not None


def people_to_hide(examples):
    """Authors of seed 000, handles of seed 001, and the parts of display names such as ``Name (@handle)``."""
    authors = seeds.seed000_authors(examples / "wordpress_not_all_like_that.txt")
    handles = seeds.seed001_handles(examples / "twitter_unrolled_thread.txt")
    parts = []
    for a in authors:  # "Lisa Rodrigues (@LisaSaysThis)" hides "Lisa Rodrigues" and "LisaSaysThis" too
        m = re.match(r"^(.*?)\s*\(@(\w+)\)$", a)
        if m:
            parts += [m.group(1), m.group(2)]
    return authors, handles, parts


def seed_units_of(examples) -> pd.DataFrame:
    """The two seed threads as one units table (read by the seed parser, not the ingesters)."""
    u0 = seeds.seed000_units(examples / "wordpress_not_all_like_that.txt")
    u1 = seeds.seed001_units(examples / "twitter_unrolled_thread.txt")
    return pd.concat([u0, u1], ignore_index=True)


def tricky_strings() -> dict:
    with open(os.path.join(FIX, "tricky_strings.json"), encoding="utf-8") as fh:
        return json.load(fh)


def one(text: str, uid: str = "u1", author: str = "") -> pd.DataFrame:
    """A units table of one unit."""
    return wb.make_units([{"unit_id": uid, "thread_id": "t", "text": text, "author": author}])
