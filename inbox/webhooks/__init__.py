"""ESP inbound webhooks: anymail's views, made to keep the raw MIME and to store before answering.

`views` adapts each ESP (auth, SNS signatures, where the raw MIME is), `receivers` holds the one
receiver of anymail's `inbound` signal, `raw` the event shape every path into intake shares.
"""
