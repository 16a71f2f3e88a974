"""Tests of the inbox app; docs/reliability.md says which test proves each promise."""
