"""The navigator's workspace: the pages that compose several features.

Today (recent encounters and the follow-ups due), the person page (the
timeline of encounters and follow-ups, the family contacts, the familiar-faces
panel) and logging an encounter with its proposed follow-up. They sit above
every feature they show and may use all of them; no feature imports them
(docs/decisions/0010-layers.md, checked by the import-linter contracts in
pyproject.toml).

- ``views``: the pages (``today``, ``person``, ``encounter_log``).
- ``selectors``: reads that join several features (the person timeline).
- ``urls``: their routes, included by ``navigator.urls`` with the names and
  paths they always had.
"""
