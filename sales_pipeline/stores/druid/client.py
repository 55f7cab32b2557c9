"""HTTP to Druid with ``requests``: auth, TLS, timeouts, and retries for transient failures only.

Transient: connection refused/reset, timeouts, HTTP 502/503/504 (a service restarting, a leader
changing). Everything else (4xx, a 500 carrying Druid's error) is returned at once: retrying a
wrong query or a refused spec only delays the message a person needs.
"""

from __future__ import annotations

import html
import re
import time
from dataclasses import dataclass
from typing import Any

import requests

from ..base import StoreError

TRANSIENT_STATUS = {502, 503, 504}


class DruidUnreachable(StoreError):
    """Druid did not answer (after retries)."""


@dataclass(frozen=True)
class DruidEndpoints:
    sql: str  # router or broker: /druid/v2/sql
    overlord: str  # router or overlord: /druid/indexer/v1
    coordinator: str  # router or coordinator: /druid/coordinator/v1


class DruidClient:
    """One ``requests.Session`` with the store's auth, TLS and timeout settings."""

    def __init__(
        self,
        url: str,
        *,
        overlord_url: str = "",
        coordinator_url: str = "",
        auth: tuple[str, str] | None = None,
        verify: bool | str = True,
        timeout: float = 30.0,
        retries: int = 4,
        backoff: float = 0.5,
    ) -> None:
        self.url = url.rstrip("/")
        self._overlord = overlord_url.rstrip("/")
        self._coordinator = coordinator_url.rstrip("/")
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.session = requests.Session()
        self.session.auth = auth
        self.session.verify = verify

    def request(self, method: str, url: str, *, what: str, **kwargs: Any) -> requests.Response:
        """Send with retries on transient failures; ``what`` names the operation in messages."""
        kwargs.setdefault("timeout", self.timeout)
        delay = self.backoff
        for attempt in range(self.retries + 1):
            try:
                response = self.session.request(method, url, **kwargs)
            except (requests.ConnectionError, requests.Timeout) as error:
                if attempt == self.retries:
                    raise DruidUnreachable(
                        f"Druid did not answer at {url} ({what}) after {self.retries + 1} attempts: "
                        f"{type(error).__name__}. Check that Druid is running (local: `sales-pipeline druid "
                        "status`) and that DRUID_URL points at its router or broker.",
                        transient=True,
                    ) from error
            else:
                if response.status_code not in TRANSIENT_STATUS or attempt == self.retries:
                    return response
            time.sleep(delay)
            delay = min(delay * 2, 8.0)
        raise AssertionError("unreachable")

    def endpoints(self) -> DruidEndpoints:
        """Overlord and coordinator: configured, or the leaders the cluster itself announces."""
        overlord, coordinator = self._overlord, self._coordinator
        if not (overlord and coordinator):
            leaders = self._leaders()
            missing = [role for role in ("overlord", "coordinator") if role not in leaders]
            if missing:
                raise DruidUnreachable(
                    f"Druid at {self.url} announces no {' and no '.join(missing)} leader: the service is down or "
                    "still starting (local: `sales-pipeline druid status`), or set DRUID_OVERLORD_URL / "
                    "DRUID_COORDINATOR_URL when they are not reachable at the addresses Druid announces.",
                    transient=True,
                )
            overlord, coordinator = overlord or leaders["overlord"], coordinator or leaders["coordinator"]
            self._overlord, self._coordinator = overlord, coordinator
        return DruidEndpoints(self.url, overlord, coordinator)

    def _leaders(self) -> dict[str, str]:
        """From sys.servers; behind a router (which proxies both APIs) the router URL itself is used."""
        probe = self.request("GET", f"{self.url}/druid/indexer/v1/leader", what="find the overlord")
        if probe.ok:
            return {"overlord": self.url, "coordinator": self.url}
        rows = self.sql_rows(
            "SELECT server_type, host, plaintext_port, tls_port FROM sys.servers "
            "WHERE is_leader = 1 AND server_type IN ('overlord', 'coordinator')"
        )
        scheme = self.url.split("://")[0]
        leaders = {}
        for server_type, host, plain, tls in rows:
            port = tls if scheme == "https" and tls and tls > 0 else plain
            leaders[server_type] = f"{scheme}://{host}:{port}"
        return leaders

    def sql(self, query: str, parameters: list[dict[str, Any]] | None = None) -> list[list[Any]]:
        """Rows with a header: [names, druid types, sql types, *rows]."""
        body = {
            "query": query,
            "parameters": parameters or [],
            "resultFormat": "array",
            "header": True,
            "typesHeader": True,
            "sqlTypesHeader": True,
            "context": {"sqlTimeZone": "Etc/UTC"},
        }
        response = self.request("POST", f"{self.url}/druid/v2/sql", what="SQL query", json=body)
        if not response.ok:
            raise StoreError(f"Druid rejected the query ({response.status_code}): {_error_text(response)}\n{query}")
        return response.json()

    def sql_rows(self, query: str, parameters: list[dict[str, Any]] | None = None) -> list[list[Any]]:
        return self.sql(query, parameters)[3:]

    def json(self, method: str, url: str, *, what: str, **kwargs: Any) -> Any:
        response = self.request(method, url, what=what, **kwargs)
        if not response.ok:
            raise StoreError(f"Druid refused to {what} ({response.status_code} at {url}): {_error_text(response)}")
        return response.json() if response.content else None


def _error_text(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        title = re.search(r"<title>(.*?)</title>", response.text, re.S)  # Jetty's HTML error page
        return html.unescape(title.group(1)) if title else response.text[:2000]
    if isinstance(body, dict):
        parts = [str(body.get(k)) for k in ("error", "errorMessage", "errorClass") if body.get(k)]
        return ": ".join(parts) or str(body)[:2000]
    return str(body)[:2000]
