"""Outbound webhooks to partner agencies (issue 10; docs/decisions/0015).

- ``events``: the messages, written in the transaction of the change.
- ``signing``: Standard Webhooks 1.0 headers.
- ``delivery``: claiming and sending them, with retries.
- ``services`` / ``selectors``: endpoints, secrets, the managers' view.
"""
