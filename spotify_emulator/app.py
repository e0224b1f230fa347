"""Routing and the per-request pipeline of the emulator: latency, faults, the bearer check, scopes, the handler.

Independent of the HTTP server, so the order in which Spotify's behaviours apply is readable in one place.
"""

from __future__ import annotations

import json
import re
import sys
import time
import traceback
from dataclasses import dataclass

from spotify_emulator import accounts, api, control, unexpected
from spotify_emulator.faults import Fault
from spotify_emulator.http import Request, Response, api_error
from spotify_emulator.paging import BadRequest
from spotify_emulator.state import EmulatorState
from spotify_emulator.triggers import Trigger


@dataclass(frozen=True)
class Route:
    method: str
    template: str
    pattern: re.Pattern[str]
    handler: api.Handler
    scope: str | None = None

    @classmethod
    def build(cls, method: str, template: str, handler: api.Handler, scope: str | None = None) -> Route:
        def group(match: re.Match[str]) -> str:
            name, _, rule = match.group(1).partition(":")
            return f"(?P<{name}>{rule or '[^/]+?'})"

        regex = re.sub(r"\{([^}]+)\}", group, template)
        display = re.sub(r"\{([^}:]+)(:[^}]*)?\}", r"{\1}", template)
        return cls(method, display, re.compile(f"^{regex}$"), handler, scope)


def _fault_response(fault: Fault) -> Response:
    if fault.kind == "drop":
        return Response(0, drop=True)
    headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
    return api_error(fault.status, fault.message, fault.reason, headers)


class EmulatorApp:
    def __init__(self, state: EmulatorState) -> None:
        self.state = state
        self.api_routes = [Route.build(m, t, h, s) for m, t, h, s in api.ROUTES]
        self.other_routes = [
            Route.build("GET", "/authorize", lambda st, rq: accounts.authorize(st.tokens, rq)),
            Route.build("POST", "/api/token", lambda st, rq: accounts.token(st.tokens, rq)),
            *(Route.build(m, t, h) for m, t, h in control.ROUTES),
        ]

    @staticmethod
    def _match(routes: list[Route], request: Request) -> tuple[Route | None, bool]:
        """The route for the request, and whether the path exists under another method."""
        path_known = False
        for route in routes:
            found = route.pattern.match(request.path)
            if found:
                path_known = True
                if route.method == request.method:
                    request.params = found.groupdict()
                    return route, True
        return None, path_known

    def handle(self, request: Request) -> Response:
        if request.path.startswith("/v1/"):
            return self._api(request)
        route, path_known = self._match(self.other_routes, request)
        endpoint = f"{request.method} {route.template if route else request.path}"
        if route is None:
            response = api_error(405 if path_known else 404, "Method not allowed" if path_known else "Not found")
        else:
            response = self._run(route, request)
        if not request.path.startswith(("/images/", "/_emulator/")):
            self.state.stats.record(endpoint, response.status)
        return response

    def _api(self, request: Request) -> Response:
        state = self.state
        route, path_known = self._match(self.api_routes, request)
        endpoint = f"{request.method} {route.template}" if route else f"{request.method} (unknown)"
        state.stats.enter()
        try:
            for trigger in state.triggers.due():
                self._fire(trigger)
            # Faults scoped to accounts (`FaultSettings.accounts`) spare the others' requests entirely.
            faulty = state.settings.faults.applies_to(state.tokens.account_of(request))
            latency = state.settings.faults.latency_ms
            if faulty and latency > 0:
                time.sleep(latency / 1000)
            request_key = f"{request.method} {request.path}?{request.raw_query}"
            fault = state.faults.decide(request_key) if faulty else None
            if fault is not None:
                response = _fault_response(fault)
            elif route is None:
                status = 405 if path_known else 404
                response = api_error(status, "Method not allowed" if path_known else "Service not found")
            else:
                access = accounts.bearer(state.tokens, request)
                if isinstance(access, Response):
                    response = access
                elif route.scope and route.scope not in access.scopes:
                    response = api_error(403, "Insufficient client scope")
                else:
                    request.account = access.account
                    response = self._run(route, request)
                    if faulty:
                        response = self._corrupted(self._unexpected(response, endpoint), endpoint, request_key)
        finally:
            state.stats.leave()
        status = "dropped" if response.drop else response.status
        state.stats.record(endpoint, status, response.headers.get("Retry-After"))
        return response

    def _fire(self, trigger: Trigger) -> None:
        """Apply a scheduled change through the control routes, exactly as a test posting it would."""
        for step in trigger.then:
            body = json.dumps(step.get("body") or {}).encode()
            control_request = Request("POST", f"/_emulator/{step['path'].lstrip('/')}", "", {}, body)
            answer = self.handle(control_request)
            if answer.status != 200:
                print(f"spotify_emulator: scheduled {step} failed: {answer.body!r}", file=sys.stderr)

    def _unexpected(self, response: Response, endpoint: str) -> Response:
        """The answer with values outside Spotify's vocabularies when the `unexpected_values` fault is on."""
        faults = self.state.settings.faults
        if not faults.unexpected_values or response.status != 200 or endpoint not in unexpected.ENDPOINTS:
            return response
        payload = unexpected.rewrite(endpoint, json.loads(response.body), faults.seed)
        body = json.dumps(payload, separators=(",", ":")).encode()
        return Response(200, body, {**response.headers, "Content-Type": "application/json; charset=utf-8"})

    def _corrupted(self, response: Response, endpoint: str, request_key: str) -> Response:
        """The answer as the `corrupt_*` faults deliver it: only real 200 answers are corrupted."""
        if response.status != 200:
            return response
        kind = self.state.faults.corruption(endpoint, request_key)
        if kind is None:
            return response
        status, body, content_type = self.state.faults.corrupt(kind, response.body, request_key)
        return Response(status, body, {"Content-Type": content_type})

    def _run(self, route: Route, request: Request) -> Response:
        try:
            with self.state.lock:
                return route.handler(self.state, request)
        except BadRequest as exc:
            return exc.response()
        except Exception:  # the emulator's own bug: answer like Spotify would, and say it loudly
            traceback.print_exc(file=sys.stderr)
            return api_error(500, "Server error")
