"""Writes to the inbox, one module per area: intake (storing deliveries), inbound (applying the
pipeline's decisions), threads (agent actions), outbound (replies)."""
