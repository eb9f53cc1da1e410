"""An agency's form as its template plus overrides, merged key by key (docs/forms.md).

Rules, the same for the operator's YAML and for what ``flask tenants export`` writes:

* maps merge deeply: a key given replaces or merges into the template's, a key set to
  ``null`` is removed (``rules: {norm_waiting: null}``: the rule does not apply);
* lists of items that have a ``key`` (columns) or a ``code`` (catalogues) merge by it: an item
  with a known key changes only the fields it names, an unknown key adds the item at the end,
  ``remove: true`` drops the item, ``after: KEY`` places it right after that item (``after: ""``
  first); items with ``after`` are placed in the order the override lists them;
* any other value (text, numbers, a list of plain values) replaces the template's.

:func:`overrides` computes the smallest override that :func:`merge` turns back into a given form,
so an export followed by a sync changes nothing.
"""

from __future__ import annotations

import copy

#: Control keys of a list item's override; no form item has fields of these names.
REMOVE, AFTER = "remove", "after"


def _item_key(item) -> str | None:
    if isinstance(item, dict):
        value = item.get("key", item.get("code"))
        return value if isinstance(value, str) else None
    return None


def _keyed(value) -> bool:
    return isinstance(value, list) and bool(value) and all(_item_key(i) for i in value)


def _id_field(item: dict) -> str:
    return "key" if "key" in item else "code"


def merge(base, override):
    """The template ``base`` with ``override`` applied (neither is changed)."""
    if isinstance(base, dict) and isinstance(override, dict):
        out = copy.deepcopy(base)
        for key, value in override.items():
            if value is None:
                out.pop(key, None)
            elif key in out:
                out[key] = merge(out[key], value)
            else:
                out[key] = copy.deepcopy(value)
        return out
    if _keyed(base) and isinstance(override, list) and all(_item_key(i) for i in override):
        return _merge_items(base, override)
    return copy.deepcopy(override)


def _merge_items(base: list[dict], override: list[dict]) -> list[dict]:
    items = {_item_key(i): copy.deepcopy(i) for i in base}
    order = [_item_key(i) for i in base]
    moves = []
    for change in override:
        key = _item_key(change)
        fields = {k: v for k, v in change.items() if k not in (REMOVE, AFTER)}
        if change.get(REMOVE):
            items.pop(key, None)
            order = [k for k in order if k != key]
            continue
        if key in items:
            items[key] = merge(items[key], fields)
        else:
            items[key] = copy.deepcopy(fields)
            order.append(key)
        if AFTER in change:
            moves.append((key, change[AFTER] or ""))
    for key, anchor in moves:
        order.remove(key)
        position = order.index(anchor) + 1 if anchor in order else 0
        order.insert(position, key)
    return [items[k] for k in order]


def overrides(base: dict, target: dict) -> dict:
    """The override that turns ``base`` into ``target`` under :func:`merge`."""
    out = _diff_map(base, target)
    if merge(base, out) != target:  # pragma: no cover - a bug in _diff, never a user's input
        raise AssertionError("overrides do not reproduce the form")
    return out


def _diff(base, target):
    if isinstance(base, dict) and isinstance(target, dict):
        return _diff_map(base, target)
    if _keyed(base) and _keyed(target):
        return _diff_items(base, target)
    return copy.deepcopy(target)


def _diff_map(base: dict, target: dict) -> dict:
    out = {}
    for key, value in target.items():
        if key not in base:
            out[key] = copy.deepcopy(value)
        elif base[key] != value:
            out[key] = _diff(base[key], value)
    for key in base:
        if key not in target:
            out[key] = None
    return out


def _diff_items(base: list[dict], target: list[dict]) -> list[dict]:
    old = {_item_key(i): i for i in base}
    changes: list[dict] = []
    for item in target:
        key = _item_key(item)
        if key not in old:
            changes.append(copy.deepcopy(item))
        elif old[key] != item:
            changes.append({_id_field(item): key, **_diff_map(old[key], item)})
    new_keys = {_item_key(i) for i in target}
    removed = [
        {_id_field(i): _item_key(i), REMOVE: True} for i in base if _item_key(i) not in new_keys
    ]
    if _merge_items(base, changes + removed) == target:
        return changes + removed
    # The order changed: state it for every item, in the target's order (each item placed after
    # the one before it reproduces the order whatever the template's was).
    by_key = {_item_key(c): c for c in changes}
    ordered, previous = [], ""
    for item in target:
        key = _item_key(item)
        change = dict(by_key.get(key) or {_id_field(item): key})
        change[AFTER] = previous
        ordered.append(change)
        previous = key
    return ordered + removed
