"""The recorder's sink for alerts: each committed batch is shown to every rule of
ALERT_RULES; a firing is claimed in the history (``history``) and, when it is the first of
its cooldown, handed to the courier to be sent.

It runs in the writer's thread after the commit, never on a request: the rules read what
the batch wrote and ask the store little (``firings``); sending is the courier's thread's.
"""

import logging

from django.utils import timezone

from flowscope.alerts import budget_firings, destinations, firings, history
from flowscope.alerts.courier import courier, pending_deliveries
from flowscope.alerts.rules import RuleError, configured_rules
from flowscope.conf import flowscope_settings

logger = logging.getLogger("flowscope.alerts")


class Evaluator:
    """One a process (``evaluate_committed``); tests make more, as processes would."""

    def __init__(self, courier=courier, clock=timezone.now):
        self.courier, self.clock = courier, clock
        self.new_error_groups = firings.NewErrorGroups()
        self.budget_checks = budget_firings.BudgetChecks()
        self._read_from = self._rules = None

    def __call__(self, batch):
        rules = self.rules()
        if not rules:
            return
        at, found = self.clock(), destinations.configured()
        for rule in rules:
            for firing in self.find(rule, batch, at):
                event = history.record(firing, at, pending_deliveries(found))
                if event is not None:
                    self.courier.send(event, found)

    def forget(self):
        """Drop what was learnt of the store (the error groups known to be old): for a
        store emptied under a running process, as between tests."""
        self.new_error_groups = firings.NewErrorGroups()
        self.budget_checks = budget_firings.BudgetChecks()

    def find(self, rule, batch, at):
        if rule.kind in ("p95", "error_rate"):
            return firings.rollup_thresholds(rule, batch)
        if rule.kind == "new_error_group":
            return self.new_error_groups(rule, batch)
        if rule.kind == "latency_budget":
            return self.budget_checks(rule, batch, at)
        return firings.workflow_failure_rates(rule, batch, at)

    def rules(self):
        """The configured rules, read again only when the settings change; none (logged
        once) while one of them cannot be read: the system check names it."""
        entries = flowscope_settings.ALERT_RULES
        cooldown = flowscope_settings.ALERT_COOLDOWN_SECONDS
        if self._read_from is None or self._read_from != (id(entries), cooldown):
            self._read_from = (id(entries), cooldown)
            try:
                self._rules = configured_rules()
            except RuleError as exc:
                self._rules = []
                logger.error("flowscope alerts are off: ALERT_RULES: %s", exc)
        return self._rules


evaluate_committed = Evaluator()
