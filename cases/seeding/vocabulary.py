"""What synthetic rows are made of: names, places, notes and the weighted
tables that the people and encounter generators draw from.

Weighted lists are "value:weight" words; "+" joins the values of a
multi-select (HMIS gender and race are lists). ``_table`` turns one into a
lookup table for fast weighted picks.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from cases.seeding.specs import PROGRAMS
from navigator.models import ResponseModel


def _words(text: str) -> list[str]:
    """A list written as words, so long vocabularies stay readable."""
    return text.split()


WOMEN = _words("""Maria María Zoë Chloé Renée Inés Lucía Sofía Ana Guadalupe Jasmine
Keisha Aaliyah Emily Jessica Ashley Sarah Linda Patricia Barbara Susan Karen Nancy
Lisa Betty Dorothy Sandra Kimberly Donna Michelle Carol Amanda Melissa Deborah
Stephanie Rebecca Laura Sharon Cynthia Kathleen Amy Angela Shirley Anna Brenda
Pamela Nicole Samantha Christine Rachel Janet Heather Diane Ruth Julie Joyce
Victoria Kelly Christina Evelyn Lauren Megan Andrea Hannah Martha Gloria Teresa Sara
Madison Frances Jean Alice Judy Grace Denise Amber Doris Danielle Beverly Isabella
Diana Natalie Brittany Charlotte Kayla Lori Thi Mai Linh Hoa Mei Priya Aisha Fatima
Yolanda Rosa Carmen Leticia Marisol Dolores Beatriz Noémie Siobhán Ximena Itzel
Dakota Winona""")
MEN = _words("""James Robert John Michael David William Richard Joseph Thomas Charles
Christopher Daniel Matthew Anthony Mark Donald Steven Paul Andrew Joshua Kenneth
Kevin Brian George Timothy Ronald Edward Jason Jeffrey Ryan Jacob Gary Nicholas Eric
Jonathan Stephen Larry Justin Scott Brandon Benjamin Samuel Gregory Alexander Frank
Patrick Raymond Jack Dennis Jerry Tyler Aaron José Jesús Adam Nathan Henry Douglas
Zachary Peter Kyle Ethan Walter Noah Jeremy Christian Keith Roger Terry Gerald
Harold Sean Austin Carl Arthur Lawrence Dylan Jesse Jordan Bryan Billy Joe Bruce
Gabriel Logan Albert Willie Alan Juan Wayne Elijah Randy Roy Vincent Ralph Eugene
Russell Bobby Mason Philip Louis Luis Carlos Miguel Ángel Raúl Andrés Héctor Tomás
Joaquín Darnell DeShawn Tyrone Minh Duc Tuan Hiroshi Björn François Malik Omar""")
SURNAMES = [
    s.replace("_", " ")
    for s in _words("""Smith Johnson Williams Brown Jones Garcia García Miller Davis
Rodriguez Rodríguez Martinez Martínez Hernandez Hernández Lopez López Gonzalez
Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Pérez Thompson White
Harris Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott
Torres Nguyen Hill Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell
Carter Roberts Gómez Phillips Evans Turner Díaz Parker Cruz Edwards Collins Reyes
Stewart Morris Morales Murphy Cook Rogers Gutiérrez Ortiz Morgan Cooper Peterson
Bailey Reed Kelly Howard Ramos Kim Cox Ward Richardson Watson Brooks Chavez Wood
James Bennett Gray Mendoza Ruiz Hughes Price Álvarez Castillo Sanders Patel Myers
Long Ross Foster Jiménez Núñez Peña Muñoz Ibáñez Castañeda O'Neil O'Brien D'Angelo
McCarthy Tran Trần Le Pham Hoang Vo Begay Yazzie Tsosie Kowalski Müller Schröder
Washington Jefferson Banks Okafor Mensah Haddad Khoury Singh Yamamoto Tanaka Santos
Silva Oliveira García-López Smith-Jones Van_Houten""")
]
STREET_NAMES = _words("""Smokey Cowboy Red Professor Junebug Tiny Preacher Sunshine
Boots Chino Flaco Güero Doc Shorty Ghost Sarge Blue Peanut Bird Moon Cricket Tex
Bear Lucky Spider Cookie Duke Smiley Rocket""")
# Short forms people go by (Person.preferred_name).
NICKNAMES = dict(
    pair.split(":")
    for pair in _words("""Robert:Bob William:Bill Richard:Rick James:Jim
Michael:Mike Joseph:Joe Thomas:Tom Christopher:Chris Daniel:Dan Anthony:Tony
Kenneth:Ken Alexander:Alex Benjamin:Ben Nicholas:Nick Jonathan:Jon Samuel:Sam
José:Pepe Jesús:Chuy Guadalupe:Lupe Dolores:Lola Patricia:Pat Kathleen:Kathy
Rebecca:Becky Samantha:Sam Victoria:Vicky Stephanie:Steph Deborah:Debbie
Elizabeth:Liz Jessica:Jess Christina:Tina Beatriz:Bea""")
)
# The first people are fixed, so every demo has the names that exercise
# accent-insensitive search ("jose nunez" finds José Núñez, "zoe" finds Zoë).
CURATED = (
    ("José", "Núñez", "man", ("Joe Nunez", "Flaco")),
    ("Zoë", "Ashford-Brown", "woman", ("Zoe Brown",)),
    ("Renée", "O'Connor", "woman", ("Renee Oconnor",)),
    ("Mai", "Nguyễn", "woman", ("Nguyễn Thị Mai",)),
    ("Björn", "Søndergaard", "man", ("Bear",)),
)
RELATIONSHIPS = _words("""mother father sister brother daughter son spouse partner
grandmother aunt uncle cousin caregiver legal_guardian conservator friend""")
LANGUAGES = """English:78 Spanish:14 Vietnamese:2 Tagalog:1 Mandarin:1
American_Sign_Language:1 Arabic:1 Korean:1 :1"""
GENDERS = """man:54 woman:40 transgender+woman:1 transgender+man:0.5 non_binary:1.5
culturally_specific:0.3 questioning:0.2 doesnt_know:0.5 prefers_not:0.5
not_collected:1.5"""
RACES = """white:34 hispanic:18 white+hispanic:10 black:15 asian:6 american_indian:2
pacific_islander:1 middle_eastern:1 black+white:2 not_collected:6 doesnt_know:2
prefers_not:3"""
VETERAN = "no:80 yes:7 doesnt_know:3 prefers_not:1 not_collected:9"
HOUSING = """housed:35 with_family_friends:15 unsheltered:22 emergency_shelter:10
transitional:5 institutional:3 hotel_motel:4 unknown:6"""
# Familiar faces are mostly people without a home (the programs' experience).
HOUSING_FAMILIAR = """unsheltered:55 emergency_shelter:20 hotel_motel:8
with_family_friends:7 housed:7 unknown:3"""
HOUSED = ("housed", "with_family_friends", "transitional")
SAFETY_NOTES = (
    "Dog on the property; ask them to secure it before approaching.",
    "Responds well to a calm voice; uniforms close by escalate.",
    "History of seizures; medication is in the blue backpack.",
    "Hard of hearing; face them when speaking.",
    "Carries a pocket knife for work; ask, do not reach.",
    "Prefers female responders after past trauma.",
    "Speaks Spanish when stressed; bring a Spanish speaker if possible.",
    "Calming plan: offer water and a seat outside, give space.",
)
LOCATION_NOTES = (
    "Usually near the library in the mornings.",
    "Camps by the creek trail; blue tent.",
    "Sleeps in a silver sedan near the park.",
    "Often at the transit center after 5 pm.",
    "Stays at the rescue mission most nights.",
)
WHO = _words("""male,_20s male,_30s male,_40s male,_50s male,_60s female,_20s
female,_30s female,_40s female,_50s person,_age_unknown""")
SOURCES: dict[str, str] = {
    ResponseModel.EMBEDDED: "officer_request:45 911_call:35 outreach:12 "
    "provider:4 self:4",
    ResponseModel.ON_CALL: "officer_request:70 911_call:20 provider:6 self:2 "
    "outreach:2",
    ResponseModel.MHP_DISPATCHED: "911_call:70 self:10 provider:10 outreach:8 "
    "officer_request:2",
}
CONCERNS = """mental_health:40 substance_use:15 homelessness:14 welfare_check:12
suicidal_ideation:7 family_conflict:7 developmental_disability:3 other:2"""
DISPOSITIONS = """resources_provided:30 resolved_on_scene:28 refused_services:12
transport_crisis_center:8 transport_hospital:7 involuntary_evaluation:6
transport_walk_in:3 arrested:3 other:3"""
DIVERTING = {
    "resolved_on_scene",
    "resources_provided",
    "transport_crisis_center",
    "transport_walk_in",
}
# Crisis calls cluster in the afternoon and evening (hour:weight).
HOURS = """0:2 1:2 2:1 3:1 4:1 5:1 6:2 7:3 8:4 9:5 10:6 11:6 12:6 13:7 14:7 15:7 16:7
17:7 18:6 19:6 20:5 21:4 22:3 23:3"""
SOURCE_TEXT = {
    "officer_request": "Officer requested a navigator on scene",
    "911_call": "911 caller reported a person in distress",
    "outreach": "Contact made during street outreach",
    "provider": "Provider called for a check on their client",
    "self": "Person walked in and asked for help",
}
CONCERN_TEXT = {
    "mental_health": "reported hearing voices and not sleeping for days",
    "substance_use": "appeared intoxicated and asked about detox",
    "homelessness": "sleeping in a car and asked about shelter beds",
    "welfare_check": "neighbour had not seen them for a week",
    "suicidal_ideation": "disclosed thoughts of suicide; safety plan reviewed",
    "family_conflict": "argument with family at home, no injuries",
    "developmental_disability": "caregiver reported escalating behaviour",
    "other": "needed help replacing lost ID and medication",
}
DISPOSITION_TEXT = {
    "resources_provided": "Gave resource card and scheduled a follow-up.",
    "resolved_on_scene": "De-escalated; resolved on scene.",
    "refused_services": "Declined services; left contact card.",
    "transport_crisis_center": "Voluntary transport to the crisis center.",
    "transport_hospital": "Transported to the ED for medical clearance.",
    "involuntary_evaluation": "Met criteria; evaluation hold requested.",
    "transport_walk_in": "Drove them to the walk-in clinic.",
    "arrested": "Officers arrested on an outstanding warrant.",
    "other": "See follow-up notes.",
}
OFFICERS = _words("""Alvarez Brennan Chen Dawson Estrada Fischer Gallagher Hayes Ito
Jensen Kaur Lindqvist Moreno Novak Ortega Price Quinn Rossi Sato Tafoya""")


# The programs' shares of the people, as a weighted list of PROGRAMS indexes.
_SHARES = " ".join(f"{i}:{p.share}" for i, p in enumerate(PROGRAMS))


def _table(weights: str, size: int = 1000) -> list[Any]:
    """A weighted list as a lookup table: ``table[int(random() * len(table))]``
    is a weighted pick, several times faster than ``random.choices``."""
    pairs = []
    for word in weights.split():
        value, weight = word.rsplit(":", 1)
        value = value.replace("_", " ") if value[:1].isupper() else value
        pairs.append(
            (tuple(value.split("+")) if "+" in value else value, float(weight))
        )
    total = sum(w for _, w in pairs)
    table: list[Any] = []
    for item, share in pairs:
        table.extend([item] * max(1, round(share / total * size)))
    return table


def _pick(seq: Sequence[Any], rand: Callable[[], float]) -> Any:
    return seq[int(rand() * len(seq))]
