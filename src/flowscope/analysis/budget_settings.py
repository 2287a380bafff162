"""Latency budgets as configured in ``FLOWSCOPE["BUDGETS"]``, read and checked.

``{workflow type: {"total_ms": 800, "layers": {"api": 250, ...}, "steps": {"payment_gateway.charge":
200, ...}}}``: the p95 a workflow of the type may take in all, in each layer and in the steps
of a name; any may be left out. Like alert rules and invariants they live in the settings,
reviewed with the code.

A step is named as the workflow page names it (``TraceStep.name``: "POST
/api/v1/orders/checkout/" for a request, the normalized SQL of a query, a custom step's
name). A browser's fetch is named like the request it reaches, so a name may be qualified
with its layer as the page's step titles write it ("api: POST /api/v1/orders/checkout/"):
then only that layer's steps of the name count.
"""

import math
from dataclasses import dataclass, field

from flowscope.conf import flowscope_settings
from flowscope.models import Layer

LAYERS = tuple(Layer.values)

KEYS = ("total_ms", "layers", "steps")
MAX_STEP_NAME = 500  # TraceStep.name's length
LAYER_SEPARATOR = ": "


class BudgetError(ValueError):
    """A budget that cannot be read; the message says which and why."""


@dataclass(frozen=True)
class Budget:
    workflow_type: str
    total_ms: float | None = None
    layers: dict = field(default_factory=dict)  # {layer: ms}, in LAYERS order
    steps: dict = field(default_factory=dict)  # {step key: ms}, as declared


def step_of(key):
    """``(layer or None, name)`` a step budget's key counts: "api: POST /x/" counts the API
    steps named "POST /x/", "POST /x/" the steps of that name in every layer."""
    layer, separator, name = key.partition(LAYER_SEPARATOR)
    return (layer, name) if separator and layer in LAYERS else (None, key)


def read_budget(workflow_type, entry):
    """A ``Budget`` from one entry of BUDGETS; ``BudgetError`` saying what is wrong."""
    where = f"budget {workflow_type!r}"
    if not isinstance(workflow_type, str) or not 1 <= len(workflow_type) <= 64:
        raise BudgetError(f"{where}: a workflow type is text of 1 to 64 characters")
    if not isinstance(entry, dict) or not entry or set(entry) - set(KEYS):
        raise BudgetError(f'{where} must be a dict with "total_ms", "layers" and/or "steps"')
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
    steps = _read_steps(where, entry.get("steps", {}))
    return Budget(workflow_type, None if total is None else float(total), ordered, steps)


def _read_steps(where, steps):
    if not isinstance(steps, dict):
        raise BudgetError(f'{where}: "steps" must be a dict of ms by step name')
    for key, ms in steps.items():
        if not isinstance(key, str) or not 1 <= len(step_of(key)[1].strip()) <= MAX_STEP_NAME:
            raise BudgetError(
                f"{where}: steps[{key!r}]: a step is named by text of 1 to {MAX_STEP_NAME} "
                "characters, as the workflow page shows it"
            )
        _check_ms(where, f"steps[{key!r}]", ms)
    return {key: float(ms) for key, ms in steps.items()}


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
