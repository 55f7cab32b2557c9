"""Dashboard settings, read from the environment when the app starts (defaults suit `make dev`)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from ..settings import Settings

LOCAL_DAGSTER_URL = "http://127.0.0.1:3000"


@dataclass(frozen=True)
class DashboardSettings:
    pipeline: Settings
    dagster_url: str = LOCAL_DAGSTER_URL  # GraphQL, as this process reaches the webserver
    dagster_public_url: str = ""  # links for people's browsers (default: dagster_url)
    password: str = ""  # empty: no password prompt (put production behind SSO, see README)
    currency: str = "$"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> DashboardSettings:
        env = os.environ if env is None else env
        return cls(
            pipeline=Settings.from_env(env),
            dagster_url=env.get("SALES_DAGSTER_URL", LOCAL_DAGSTER_URL),
            dagster_public_url=env.get("SALES_DAGSTER_PUBLIC_URL", ""),
            password=env.get("SALES_DASHBOARD_PASSWORD", ""),
            currency=env.get("SALES_CURRENCY_SYMBOL", "$"),
        )
