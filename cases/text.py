"""Name normalisation for search: case-, accent- and punctuation-insensitive."""

from __future__ import annotations

import functools
import re
import unicodedata

_NON_WORD = re.compile(r"[^\w]+", re.UNICODE)
# Marks inside a name that people type or leave out at will: O'Neil / ONeil,
# Mary-Jane / MaryJane, J.R. / JR. (Spaces are not among them: "de la Cruz"
# stays three words, each searchable on its own.)
_INNER_MARKS = re.compile(r"['\u2019\u02bc`\u00b4.\-\u2010\u2011]+")


def normalize_name(value: str | None) -> str:
    """``"José  O'Neil"`` → ``"jose o neil"``."""
    decomposed = unicodedata.normalize("NFKD", value or "")
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(_NON_WORD.sub(" ", stripped.casefold()).split())


def person_search_text(names: list[str]) -> str:
    """The names as search matches them, each also with inner marks removed.

    ``["O'Neil"]`` → ``"o neil | oneil"``: the query ``o'neil`` (two words)
    and the query ``oneil`` both find the person.
    """
    seen: list[str] = []
    for name in names:
        for norm in _search_forms(name or ""):
            if norm not in seen:
                seen.append(norm)
    return " | ".join(seen)


@functools.lru_cache(maxsize=200_000)
def _search_forms(name: str) -> tuple[str, ...]:
    # Cached: names repeat (a bulk import, the seed's 100,000 people drawn
    # from a few hundred names), and normalising is most of a person's
    # search text's cost.
    forms: list[str] = []
    for variant in (name, _INNER_MARKS.sub("", name)):
        norm = normalize_name(variant)
        if norm and norm not in forms:
            forms.append(norm)
    return tuple(forms)
