"""A service's kind is compared with a name only where a service is chosen; everywhere else asks
its facts (`tuner.config.service_facts`).

A third service must be one new row in the facts table, not a hunt through the code for
`kind == "together"`. So every module of tuner/ is parsed, and a comparison that switches on a
service kind outside the places that may read it fails here, naming the file and line:

- a kind (`kind`, `x.kind`, `x_kind`) compared with a service's name (`"openai"`, `"azure"`,
  `"together"`, or the `OPENAI` / `AZURE` / `TOGETHER` constants), or with another service's
  kind (`target.kind == source.kind`, `capabilities.kind != plan.target_kind`);
- any other value compared with a service's name (`report.service != "together"`);
- `rules_family(...)` compared with anything (ask `facts.rules` instead);
- a `match` on a service's name.

Other kinds (a message part's `kind == "text"`, an error's `exc.kind in (...)`, a model's
`model.kind != kind`) are no service's and pass.
"""

from __future__ import annotations

import ast
import itertools
from pathlib import Path

from tuner.config.service_facts import SERVICE_FACTS

ROOT = Path(__file__).resolve().parents[1]
TUNER = ROOT / "tuner"

# Where the kind may be read: the settings file's reader and writer and the facts table
# (tuner/config), the settings form, the factory that opens a service (tuner/api/open.py),
# the two service packages, and the emulator (it is the services).
ALLOWED = (
    "tuner/config/",
    "tuner/ui/screens/settings.py",
    "tuner/api/open.py",
    "tuner/api/providers/openai/",
    "tuner/api/providers/together/",
    "tuner/emulator/",
)

SERVICE_NAMES = frozenset(SERVICE_FACTS)
SERVICE_CONSTANTS = frozenset(name.upper() for name in SERVICE_FACTS)


def _name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _is_service_name(node: ast.expr) -> bool:
    """`"together"`, `TOGETHER`, `kinds.TOGETHER`, or a tuple / list / set holding one. An enum
    member (`RulesFamily.TOGETHER`, `ModelTable.AZURE`) is a fact, not a kind's name."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str) and node.value in SERVICE_NAMES
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return any(_is_service_name(item) for item in node.elts)
    if isinstance(node, ast.Attribute):
        module = isinstance(node.value, ast.Name) and node.value.id.islower()
        return module and node.attr in SERVICE_CONSTANTS
    return _name(node) in SERVICE_CONSTANTS


def _is_kind(node: ast.expr) -> bool:
    name = _name(node)
    return name is not None and (name == "kind" or name.endswith("_kind"))


def _is_service_kind_pair(left: ast.expr, right: ast.expr) -> bool:
    """Two kinds that are surely services': `a.kind` and `b.kind`, or one named `..._kind`."""
    if not (_is_kind(left) and _is_kind(right)):
        return False
    both_attributes = isinstance(left, ast.Attribute) and isinstance(right, ast.Attribute)
    named = any((_name(side) or "").endswith("_kind") for side in (left, right))
    return both_attributes or named


def _is_rules_family_call(node: ast.expr) -> bool:
    return isinstance(node, ast.Call) and _name(node.func) == "rules_family"


def switches(source: str) -> list[int]:
    """The lines of `source` that switch on a service kind by name."""
    found: set[int] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            pairs = itertools.pairwise(operands)
            if (
                any(_is_service_name(side) for side in operands)
                or any(_is_rules_family_call(side) for side in operands)
                or any(_is_service_kind_pair(a, b) for a, b in pairs)
            ):
                found.add(node.lineno)
        elif isinstance(node, ast.match_case):
            pattern = node.pattern
            if isinstance(pattern, ast.MatchValue) and _is_service_name(pattern.value):
                found.add(pattern.lineno)
    return sorted(found)


def _allowed(relative: str) -> bool:
    return any(relative == place or relative.startswith(place) for place in ALLOWED)


def test_no_service_kind_switch_outside_the_allowed_places() -> None:
    offenders = []
    for path in sorted(TUNER.rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if _allowed(relative):
            continue
        offenders += [f"{relative}:{line}" for line in switches(path.read_text(encoding="utf-8"))]
    assert not offenders, (
        "these lines compare a service kind with a name; ask its facts instead "
        "(profile.facts, connection.facts, capabilities.facts, facts_for(kind)):\n"
        + "\n".join(offenders)
    )


def test_the_allowed_places_exist() -> None:
    """A moved or renamed module must not leave a stale exception behind."""
    for place in ALLOWED:
        assert (ROOT / place).exists(), place


def test_the_check_finds_each_kind_of_switch() -> None:
    source = "\n".join(
        [
            'if profile.kind == "together": pass',  # 1
            'if connection.kind != "azure": pass',  # 2
            'if kind in ("openai", "azure"): pass',  # 3
            "if rules_family(service) == OPENAI: pass",  # 4
            "if kinds.rules_family(service) != x: pass",  # 5
            "if target.kind == source.kind: pass",  # 6
            "if capabilities.kind != plan.target_kind: pass",  # 7
            'if report.service != "together": pass',  # 8
            "if service == TOGETHER: pass",  # 9
            'match kind:\n    case "azure": pass',  # 10, 11
        ]
    )
    assert switches(source) == [1, 2, 3, 4, 5, 6, 7, 8, 9, 11]


def test_the_check_leaves_other_kinds_and_facts_alone() -> None:
    source = "\n".join(
        [
            'if kind == "text": pass',
            "if exc.kind in (ErrorKind.AUTH, ErrorKind.NO_KEY): pass",
            "if model.kind != kind: pass",
            'if message.kind == "more": pass',
            "if facts.rules is RulesFamily.TOGETHER: pass",
            "if profile.facts.models_need_deployment: pass",
            'catalog = default_catalog(profile.kind if profile else "openai")',
        ]
    )
    assert switches(source) == []
