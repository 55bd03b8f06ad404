"""Advisors: the deterministic rule advisor (default) and the OpenAI advisor (optional)."""

from __future__ import annotations

import os
from typing import Mapping

from octo_desktop.advisor.base import Advisor, AdvisorError, Consultation, call_cost_usd
from octo_desktop.advisor.rule import RuleAdvisor
from octo_desktop.config import Config, ConfigError

__all__ = ["Advisor", "AdvisorError", "Consultation", "RuleAdvisor", "call_cost_usd", "check_advisor",
           "make_advisor"]


def check_advisor(config: Config, environ: Mapping[str, str] = os.environ) -> None:
    """Raise ``ConfigError`` now if the configured advisor cannot run (e.g. OpenAI without a key)."""
    if config.advisor.kind == "openai":
        from octo_desktop.advisor.openai_advisor import AdvisorSetupError, resolve_connection

        try:
            resolve_connection(config.advisor, environ)
        except AdvisorSetupError as exc:
            raise ConfigError(str(exc)) from exc


def make_advisor(config: Config, environ: Mapping[str, str] = os.environ) -> Advisor:
    """Build the configured advisor: the rule advisor, or the OpenAI advisor (imported only then)."""
    if config.advisor.kind == "openai":
        from octo_desktop.advisor.openai_advisor import AdvisorSetupError, OpenAIAdvisor

        try:
            return OpenAIAdvisor(config.advisor, environ=environ)
        except AdvisorSetupError as exc:
            raise ConfigError(str(exc)) from exc
    return RuleAdvisor()
