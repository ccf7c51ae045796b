"""Settings for bench/bench_orders.py only: the app's settings plus a URLconf that adds the
baseline endpoint (one INSERT, nothing else). Never used by the application itself."""

from tongxin.settings import *  # noqa: F401,F403

ROOT_URLCONF = "orders_urls"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
