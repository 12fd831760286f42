"""Pages of the workspace (see ``cases.workspace``): parse, call, render.

``today`` (Today), ``person`` (the person page and its timeline),
``encounter_log`` (logging an encounter with its proposed follow-up). Patch a
name where it is read, e.g. ``cases.workspace.views.person.TIMELINE_PAGE_SIZE``.
"""

from cases.workspace.views.encounter_log import encounter_create
from cases.workspace.views.person import person_detail
from cases.workspace.views.today import today

__all__ = ["encounter_create", "person_detail", "today"]
