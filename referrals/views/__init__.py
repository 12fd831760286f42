"""The caseworker's referral pages: parse, call one service or selector,
render.

``board`` (the board of referrals by status, with one-tap moves),
``detail`` (one referral: history, notes, moves, edit), ``refer`` (search
the directory, choose, see the consent answer, send) and ``actions`` (the
POSTs: a status move, a note, an edit). Out of scope is 404 everywhere
(``navigator.views.AccessErrorsMiddleware``).
"""

from referrals.views.actions import referral_edit, referral_move, referral_note_add
from referrals.views.board import referral_board
from referrals.views.detail import referral_detail
from referrals.views.refer import referral_consent_check, referral_refer

__all__ = [
    "referral_board",
    "referral_consent_check",
    "referral_detail",
    "referral_edit",
    "referral_move",
    "referral_note_add",
    "referral_refer",
]
