"""Phonetic keys of names: the typos trigrams miss (jhon/john, mraia/maria).

Trigram similarity of a short name with two letters swapped is near zero
(jhon/john 0.11), yet the two sound alike. American Soundex, as the US
National Archives specify it for the census indexes ("The Soundex Indexing
System", archives.gov/research/census/soundex):

- keep the first letter;
- code the others b f p v → 1, c g j k q s x z → 2, d t → 3, l → 4,
  m n → 5, r → 6; drop vowels, y, h and w;
- letters with the same code side by side count once, and so do two such
  letters separated only by h or w (Ashcraft A261); a vowel or y between
  them keeps both (Tymczak T522); the first letter takes part (Pfister P236);
- the first four characters, padded with zeros (Rubin R150).

A person's key (``person_search_phonetic``) holds the code of every word of
their names and aliases, so that ``search_phonetic LIKE '% J500 %'`` finds
them on PostgreSQL and SQLite alike.
"""

from __future__ import annotations

import functools

# Same minimum as cases.selectors.MIN_FUZZY_WORD: a code of one or two letters
# ("Li" L000, "Bo" B000) would match every Lee, Lu, Bob and Bea.
MIN_PHONETIC_WORD = 3

_CODES = {
    **dict.fromkeys("bfpv", "1"),
    **dict.fromkeys("cgjkqsxz", "2"),
    **dict.fromkeys("dt", "3"),
    "l": "4",
    **dict.fromkeys("mn", "5"),
    "r": "6",
}
_NOT_SEPARATING = frozenset("hw")


@functools.lru_cache(maxsize=20_000)
def soundex(word: str) -> str:
    """``"Robert"`` → ``"R163"``; ``""`` for a word without a letter a–z.

    Letters outside a–z (digits, ø, Cyrillic) are skipped: call with a name
    already folded by ``cases.text.normalize_name`` (José → jose).
    """
    letters = [c for c in word.lower() if "a" <= c <= "z"]
    if not letters:
        return ""
    out = [letters[0].upper()]
    previous = _CODES.get(letters[0], "")
    for letter in letters[1:]:
        code = _CODES.get(letter)
        if code is None:
            if letter not in _NOT_SEPARATING:
                previous = ""  # a vowel or y: the same code may follow again
            continue
        if code != previous:
            out.append(code)
            if len(out) == 4:
                break
        previous = code
    return "".join(out).ljust(4, "0")


def person_search_phonetic(search_text: str) -> str:
    """The Soundex codes of the words of ``Person.search_text``.

    ``"jose | nunez | jose nunez"`` → ``" J200 N520 "``: each code once, in
    first-seen order, words of fewer than three letters left out, with a
    space at either end so that every code is matched as a whole
    (``LIKE '% J200 %'``). ``""`` when no word has a code.
    """
    codes: dict[str, None] = {}
    for word in search_text.split():
        if len(word) >= MIN_PHONETIC_WORD and (code := soundex(word)):
            codes[code] = None
    return f" {' '.join(codes)} " if codes else ""
