"""Reads of the inbox that are more than a one-line filter, one module per area."""
