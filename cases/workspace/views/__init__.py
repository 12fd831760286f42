"""Pages of the workspace (see ``cases.workspace``): parse, call, render.

Patch a name where it is read, e.g. ``cases.workspace.views.today.paginate``.
"""

from cases.workspace.views.today import today

__all__ = ["today"]
