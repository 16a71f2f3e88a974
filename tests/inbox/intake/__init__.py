"""Intake tests (issue 3, section 1). RELIABILITY.md rows and where they are tested:

1 basic auth: test_mailgun_webhook, test_other_esps (Postmark, SendGrid) · 2 replayed signed post,
10 retries per ESP: test_mailgun_webhook, test_other_esps, test_ses_webhook · 3, 4 SNS signature,
topic allow-list, no auto-confirm: test_ses_webhook, test_sns · 5 SendGrid unsigned:
test_other_esps · 6, 7 3 MB / 41 MB / over-cap bodies: test_poison_and_size · 8 database down:
test_faults, test_smtp · 11 same Message-ID, other content: test_mailgun_webhook · 12, 13, 36, 37,
45, 46 poison mail stored and answered 200: test_poison_and_size · 14 Redis down, 16 lost on-commit
hook, 20 lost queue: test_faults, test_worker_integration · 15 on-commit and rollback, 17 stuck and
worker-killing rows, 18 time limits, 19 bounded retries then failed: test_faults · 27 forged spam
headers: test_verdicts · 49 envelope recipient routing: test_mailgun_webhook.
"""
