"""Name normalisation for search: case- and accent-insensitive."""

from __future__ import annotations

import re
import unicodedata

_NON_WORD = re.compile(r"[^\w]+", re.UNICODE)


def normalize_name(value: str) -> str:
    """``"José  O'Neil"`` → ``"jose o neil"``."""
    decomposed = unicodedata.normalize("NFKD", value or "")
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(_NON_WORD.sub(" ", stripped.casefold()).split())


def person_search_text(names: list[str]) -> str:
    seen: list[str] = []
    for name in names:
        norm = normalize_name(name)
        if norm and norm not in seen:
            seen.append(norm)
    return " | ".join(seen)
