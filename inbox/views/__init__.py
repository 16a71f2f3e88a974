"""The inbox's pages, one module per thing they act on: threads (the agents' inbox), rejected
mail and blocked senders (admin settings), attachments and the image proxy. URLs: inbox.urls."""
