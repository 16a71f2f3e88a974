"""Writes of channels_cfg, one module per thing they act on: `wizard` (a draft's steps),
`verification` (the custom from address), `channels` (connect, disconnect, test email, and what
the inbound pipeline records on a channel), `signature_images` (a signature's uploaded images)."""
