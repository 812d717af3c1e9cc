"""Small, safe expressions for table specs: row rules, computed columns, check values.

A spec writes arithmetic the way the document states it::

    rule: "punteggio_totale == punti_popolazione + punti_n_volontari + punti_rischio_sismico"
    value: "totale_riparto / pop_0_6"
    parsed: "sum(totale_riparto)"

Names are a row's columns (in a row rule or computed column) or the figures the spec
declares (in a check), numbers are exact decimals, and the operators are ``+ - * /``,
comparisons, ``and``/``or``/``not`` and ``x if c else y``. Functions: ``sum(col)``,
``count()``, ``min(col)``, ``max(col)`` over the table's rows (in checks); ``abs``,
``round(x, n)``, ``coalesce(x, 0)`` (an empty cell as 0) anywhere. Nothing else parses:
no attribute access, no indexing, no imports -- a spec cannot run code.
"""

from __future__ import annotations

import ast
import operator
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Any, Callable

_BIN = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}
_CMP = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}
AGGREGATES = {"sum", "count", "min", "max"}
SCALARS = {"abs", "round", "coalesce"}


class ExprError(ValueError):
    """An expression a spec may not contain (the message says which part)."""


@lru_cache(maxsize=512)
def compile_expr(source: str) -> ast.Expression:
    """Parse and vet ``source``; raises :class:`ExprError` for anything outside the language."""
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except SyntaxError as e:
        raise ExprError(f"not an expression: {source!r} ({e.msg})") from None
    for node in ast.walk(tree):
        ok = (
            isinstance(
                node,
                (
                    ast.Expression,
                    ast.BinOp,
                    ast.UnaryOp,
                    ast.Compare,
                    ast.BoolOp,
                    ast.IfExp,
                    ast.Name,
                    ast.Constant,
                    ast.Load,
                    ast.Call,
                    ast.And,
                    ast.Or,
                    ast.Not,
                    ast.USub,
                    ast.UAdd,
                ),
            )
            or type(node) in _BIN
            or type(node) in _CMP
        )
        if not ok:
            raise ExprError(f"{type(node).__name__} is not allowed in {source!r}")
        if isinstance(node, ast.Call) and (
            not isinstance(node.func, ast.Name)
            or node.func.id not in AGGREGATES | SCALARS
            or node.keywords
        ):
            raise ExprError(
                f"unknown function in {source!r} (allowed: "
                f"{', '.join(sorted(AGGREGATES | SCALARS))})"
            )
        if (
            isinstance(node, ast.Constant)
            and node.value is not None
            and not isinstance(node.value, (int, float, str))
        ):
            raise ExprError(f"constant {node.value!r} is not allowed in {source!r}")
    return tree


def names(source: str) -> set[str]:
    """Column or figure names an expression reads (function names excluded)."""
    tree = compile_expr(source)
    funcs = {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call)}
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} - funcs


def _dec(v):
    if isinstance(v, float):
        return Decimal(str(v))
    if isinstance(v, bool):
        return v
    if isinstance(v, int):
        return Decimal(v)
    return v


def evaluate(source: str, lookup: Callable[[str], Any], rows: list[dict] | None = None) -> Any:
    """Value of ``source``; ``lookup(name)`` gives a name's value; aggregates run over
    ``rows`` (a table's rows), and are refused where there are none (a row rule)."""
    return _eval(compile_expr(source).body, lookup, rows, source)


def _eval(node, lookup, rows, source):
    ev = lambda n: _eval(n, lookup, rows, source)  # noqa: E731
    if isinstance(node, ast.Constant):
        return _dec(node.value)
    if isinstance(node, ast.Name):
        return _dec(lookup(node.id))
    if isinstance(node, ast.BinOp):
        a, b = ev(node.left), ev(node.right)
        if a is None or b is None:
            return None
        if isinstance(node.op, ast.Div) and b == 0:
            return None
        return _BIN[type(node.op)](a, b)
    if isinstance(node, ast.UnaryOp):
        v = ev(node.operand)
        if isinstance(node.op, ast.Not):
            return not v
        return None if v is None else (-v if isinstance(node.op, ast.USub) else v)
    if isinstance(node, ast.Compare):
        left = ev(node.left)
        for op, right_node in zip(node.ops, node.comparators):
            right = ev(right_node)
            if (left is None or right is None) and type(op) not in (ast.Eq, ast.NotEq):
                return False  # an empty cell is not less or more than anything
            if not _CMP[type(op)](left, right):
                return False
            left = right
        return True
    if isinstance(node, ast.BoolOp):
        vals = [ev(v) for v in node.values]
        return all(vals) if isinstance(node.op, ast.And) else any(vals)
    if isinstance(node, ast.IfExp):
        return ev(node.body) if ev(node.test) else ev(node.orelse)
    return _call(node, lookup, rows, source, ev)


def _call(node: ast.Call, lookup, rows, source, ev):
    fn = node.func.id
    if fn in AGGREGATES:
        if rows is None:
            raise ExprError(f"{fn}() needs a table: not allowed in a row rule ({source!r})")
        if fn == "count":
            return Decimal(len(rows))
        col = node.args[0]
        vals = [
            _dec(_eval(col, lambda n, r=r: r.get(n) if n in r else lookup(n), None, source))
            for r in rows
        ]
        vals = [v for v in vals if v is not None]
        if fn == "sum":
            return sum(vals, Decimal(0))
        return (min if fn == "min" else max)(vals) if vals else None
    args = [ev(a) for a in node.args]
    if fn == "abs":
        return None if args[0] is None else abs(args[0])
    if fn == "coalesce":
        return next((a for a in args if a is not None), None)
    places = int(args[1]) if len(args) > 1 else 0
    if args[0] is None:
        return None
    return args[0].quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
