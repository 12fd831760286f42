"""Signing in and the user's own account: allauth (login, password reset,
MFA, the sessions list) and axes (failed sign-ins), wired to Navigator's
rules, audit log and pages. docs/decisions/0004-login-throttling-and-mfa.md."""
