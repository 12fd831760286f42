"""Partner agencies as principals: their tokens, who counts as a partner,
and the boundary that keeps them to the partner endpoints (issue 10;
docs/decisions/0014-partner-principal.md)."""
