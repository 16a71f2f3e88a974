"""The ESP webhooks: real payloads, real auth and signatures, posted to our routes."""
