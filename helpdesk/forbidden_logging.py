"""Expected refusals log one line: a 403 is an answer we chose, not a fault to debug.

Django logs every PermissionDenied that reaches its handler (`agent_required`,
`admin_required`) as "Forbidden (Permission denied): <path>" with the exception's traceback.
The filter keeps the line, adds the refusal's reason, and drops the traceback; anything else
(a 500, a 403 that is not a PermissionDenied) passes untouched.
"""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied


class ExpectedRefusalsOneLine(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) != 403 or not record.exc_info:
            return True
        error = record.exc_info[1]
        if not isinstance(error, PermissionDenied):
            return True
        reason = str(error)
        if reason:
            record.msg, record.args = "%s (%s)", (record.getMessage(), reason)
        record.exc_info = None
        record.exc_text = None
        return True
