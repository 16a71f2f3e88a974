import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
# Web requests plan each query for its own parameters (an inbox search's pattern decides its
# plan); workers keep PostgreSQL's generic plans for the pipeline's fixed statements.
os.environ.setdefault("DATABASE_PLAN_CACHE_MODE", "force_custom_plan")
application = get_wsgi_application()
