import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tongxin.settings")
application = get_wsgi_application()

# Load the word segmenter's dictionary (0.2 s) as the worker starts, not in a resident's first request.
from tongxin.orders.suggest import tokens  # noqa: E402

tokens("预热")
