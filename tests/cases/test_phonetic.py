"""American Soundex (cases.phonetic) and the phonetic key stored per person."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cases.phonetic import person_search_phonetic, soundex
from cases.text import normalize_name, person_search_text


@pytest.mark.parametrize(
    ("name", "code"),
    [
        # The classic examples (National Archives; Wikipedia, "Soundex").
        ("Robert", "R163"),
        ("Rupert", "R163"),
        ("Rubin", "R150"),
        ("Ashcraft", "A261"),  # h does not separate s and c
        ("Ashcroft", "A261"),
        ("Tymczak", "T522"),  # the vowel separates z and k
        ("Pfister", "P236"),  # f has the first letter's code
        ("Honeyman", "H555"),
        ("Lee", "L000"),
        ("Gutierrez", "G362"),
        ("Jackson", "J250"),
        # The typos this is for.
        ("jhon", "J500"),
        ("john", "J500"),
        ("smtih", "S530"),
        ("smith", "S530"),
        ("mraia", "M600"),
        ("maria", "M600"),
    ],
)
def test_classic_examples(name, code):
    assert soundex(name) == code


def test_letters_outside_a_to_z_are_skipped():
    assert soundex("søren") == soundex("soren") == "S650"
    assert soundex("123") == soundex("") == soundex("Пётр") == ""


def test_the_key_of_a_person():
    text = person_search_text(["José", "Núñez", "José Núñez", "Jo", "O'Neil"])
    # jose J200, nunez N520, "jo" and "o" too short, neil N400, oneil O540.
    assert person_search_phonetic(text) == " J200 N520 N400 O540 "
    assert person_search_phonetic("") == person_search_phonetic("li | bo") == ""


@given(st.text())
def test_codes_are_a_letter_and_three_digits(value):
    code = soundex(normalize_name(value))
    assert code == "" or (
        len(code) == 4 and "A" <= code[0] <= "Z" and code[1:].isdigit()
    )


@given(st.lists(st.text()))
def test_every_code_is_whole_and_once(names):
    key = person_search_phonetic(person_search_text(names))
    codes = key.split()
    assert len(codes) == len(set(codes))
    assert key == (f" {' '.join(codes)} " if codes else "")
