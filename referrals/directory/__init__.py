"""The partner-agency directory: its writes (``services``), the Open Referral
HSDS 3.0 import and export (``hsds``), its pages and its API. The reads and
access functions are ``referrals.selectors``' (one place for the whole app)."""
