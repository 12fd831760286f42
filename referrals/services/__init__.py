"""Writes of referrals: create and send (one or a group), edit, the status
moves of the lifecycle, notes. Callers import from ``referrals.services``."""

from referrals.services.attachments import referral_attachment_add
from referrals.services.lifecycle import (
    referral_act,
    referral_expire,
    referral_transition,
)
from referrals.services.referrals import (
    MAX_GROUP_SIZE,
    ReferralChanges,
    ReferralData,
    referral_create,
    referral_note_add,
    referral_send_group,
    referral_update,
)
from referrals.services.settings import ReferralSettingsData, referral_settings_save

__all__ = [
    "MAX_GROUP_SIZE",
    "ReferralChanges",
    "ReferralData",
    "ReferralSettingsData",
    "referral_act",
    "referral_attachment_add",
    "referral_create",
    "referral_expire",
    "referral_note_add",
    "referral_send_group",
    "referral_settings_save",
    "referral_transition",
    "referral_update",
]
