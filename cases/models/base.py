"""Shared model parts of the case records.

``SoftDeletable`` lives in ``navigator.softdelete`` beside the one soft
delete / restore mechanism every record type uses; re-exported here for the
case models and their migrations' history.
"""

from navigator.softdelete import SoftDeletable

__all__ = ["SoftDeletable"]
