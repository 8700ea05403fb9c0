from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect


@login_not_required
def healthz(request):
    """200 when the database answers; load balancers and `make run`'s smoke test poll it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def home(request):
    return redirect("service-list")
