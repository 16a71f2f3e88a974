"""Replies on their way out: composing them (pure) before the service stores and sends them."""
