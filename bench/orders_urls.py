"""URLs for bench/bench_orders.py: the application's URLs plus /bench/insert/, the baseline that
only inserts one row (through the same middleware stack), so that the overhead of Tongxin's own
submission (validation, suggestion, encryption, timeline, audit, notification) shows as a ratio."""

from django.db import connection
from django.http import JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from tongxin.urls import urlpatterns as app_urlpatterns

MINIMAL_TABLE = "bench_orders_minimal"


@csrf_exempt
def insert_one(request):
    with connection.cursor() as cur:
        cur.execute(f"INSERT INTO {MINIMAL_TABLE} (body, created_at) VALUES (%s, now()) RETURNING id",
                    [request.body[:4000].decode("utf-8", "replace")])
        pk = cur.fetchone()[0]
    return JsonResponse({"id": pk}, status=201)


urlpatterns = [path("bench/insert/", insert_one), *app_urlpatterns]
