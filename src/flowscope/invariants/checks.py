"""System check of INVARIANTS: ``manage.py check`` names a rule that cannot be read; a
server started without checks logs it once and checks no invariant."""

from django.core import checks

from flowscope.invariants.rules import RuleError, configured_rules


@checks.register(checks.Tags.compatibility)
def check_invariants(app_configs=None, **kwargs):
    try:
        configured_rules()
    except RuleError as exc:
        return [
            checks.Error(
                f"FLOWSCOPE['INVARIANTS']: {exc}.",
                hint="{workflow type: [{'name': ..., 'kind': ..., and the kind's fields}]}; "
                "kinds and fields are listed in flowscope's docs/invariants.md.",
                id="flowscope.E180",
            )
        ]
    return []
