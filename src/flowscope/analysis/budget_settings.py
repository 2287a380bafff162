"""Latency budgets as configured in ``FLOWSCOPE["BUDGETS"]``, read and checked.

``{workflow type: {"total_ms": 800, "layers": {"api": 250, "database": 100, ...}}}``: the
p95 a workflow of the type may take in all, and in each layer; either may be left out.
Like alert rules and invariants they live in the settings, reviewed with the code.
"""

import math
from dataclasses import dataclass, field

from flowscope.conf import flowscope_settings
from flowscope.models import Layer

LAYERS = tuple(Layer.values)

KEYS = ("total_ms", "layers")


class BudgetError(ValueError):
    """A budget that cannot be read; the message says which and why."""


@dataclass(frozen=True)
class Budget:
    workflow_type: str
    total_ms: float | None = None
    layers: dict = field(default_factory=dict)  # {layer: ms}, in LAYERS order


def read_budget(workflow_type, entry):
    """A ``Budget`` from one entry of BUDGETS; ``BudgetError`` saying what is wrong."""
    where = f"budget {workflow_type!r}"
    if not isinstance(workflow_type, str) or not 1 <= len(workflow_type) <= 64:
        raise BudgetError(f"{where}: a workflow type is text of 1 to 64 characters")
    if not isinstance(entry, dict) or not entry or set(entry) - set(KEYS):
        raise BudgetError(f'{where} must be a dict with "total_ms", "layers" or both')
    total = entry.get("total_ms")
    if total is not None:
        _check_ms(where, "total_ms", total)
    layers = entry.get("layers", {})
    if not isinstance(layers, dict):
        raise BudgetError(f'{where}: "layers" must be a dict of ms by layer')
    unknown = sorted(str(layer) for layer in set(layers) - set(LAYERS))
    if unknown:
        raise BudgetError(f"{where}: {', '.join(unknown)} not a layer ({', '.join(LAYERS)})")
    for layer, ms in layers.items():
        _check_ms(where, f"layers[{layer!r}]", ms)
    ordered = {layer: float(layers[layer]) for layer in LAYERS if layer in layers}
    return Budget(workflow_type, None if total is None else float(total), ordered)


def _check_ms(where, key, value):
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if not number or not 0 < value < math.inf:  # nan is no number of milliseconds either
        raise BudgetError(f"{where}: {key} must be a number of milliseconds above 0")


def configured_budgets():
    """The budgets of BUDGETS by workflow type; ``BudgetError`` for the first one that
    cannot be read."""
    entries = flowscope_settings.BUDGETS
    if not isinstance(entries, dict):
        raise BudgetError("must be a dict of budgets by workflow type")
    return {name: read_budget(name, entry) for name, entry in entries.items()}
