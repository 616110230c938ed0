"""The WSGI application that gunicorn serves (see ``kuzbass serve``)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kuzbass.platform.settings")
application = get_wsgi_application()
