"""`POST /bench/floor`: what a minimal Django app does for a submit, and nothing more.

1. read `Authorization: Bearer <token>`, hash it (SHA-256, as Antenna stores tokens) and find
   the token by its hash: one indexed SELECT on `accounts_apitoken.key_hash` (unique), refusing
   revoked and expired tokens (401);
2. parse the JSON body (400 if it is not a JSON object);
3. insert one row (`bench_floor_floorrow`: user id, body, time) in autocommit: one INSERT;
4. answer 201 with `{"id": ...}`.

No membership, allocation, budget, ledger, audit or schema validation: that is the floor.
"""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from antenna.accounts.models import ApiToken
from antenna_bench.floor.models import FloorRow


@csrf_exempt
@require_POST
def floor_submit(request: HttpRequest) -> HttpResponse:
    scheme, _, key = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not key:
        return JsonResponse({"detail": "Unauthorized"}, status=401)
    user_id = (ApiToken.objects.filter(key_hash=ApiToken.hash_key(key), revoked_at__isnull=True,
                                       expires_at__gt=timezone.now())
               .values_list("user_id", flat=True).first())
    if user_id is None:
        return JsonResponse({"detail": "Unauthorized"}, status=401)
    try:
        body = json.loads(request.body)
    except ValueError:
        body = None
    if not isinstance(body, dict):
        return JsonResponse({"detail": "Send a JSON object."}, status=400)
    row = FloorRow.objects.create(user_id=user_id, body=request.body.decode())
    return JsonResponse({"id": row.pk}, status=201)
