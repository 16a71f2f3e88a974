"""Views of channels_cfg: `wizard` (connect a channel, and its edit pages), `channels` (the list
and a channel's actions), `verification` (the custom from address), `signature_images` (upload
and serve a signature's images)."""
