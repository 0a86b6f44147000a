"""Line numbers in a YAML (or JSON) definition file, by key path: where a finding points.

The values come from cfn-flip's loader (gate/dynamo/template.py), which keeps no positions; this
composes the same text into YAML nodes (tags such as `!Sub` need no constructor to be composed)
and walks them by key path.
"""

from __future__ import annotations

from pathlib import Path

import yaml


class Lines:
    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self.node: yaml.Node | None = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
        except (OSError, yaml.YAMLError, UnicodeDecodeError):
            self.node = None

    def _walk(self, keys: tuple[str | int, ...]) -> tuple[yaml.Node | None, yaml.Node | None]:
        """(key node, value node) at the path."""
        node, key_node = self.node, None
        for k in keys:
            if isinstance(node, yaml.MappingNode):
                hit = next(((kn, vn) for kn, vn in node.value if getattr(kn, "value", None) == k), None)
                if hit is None:
                    return None, None
                key_node, node = hit
            elif isinstance(node, yaml.SequenceNode) and isinstance(k, int) and 0 <= k < len(node.value):
                key_node, node = node.value[k], node.value[k]
            else:
                return None, None
        return key_node, node

    def line(self, *keys: str | int) -> int | None:
        """1-based line of the key at `keys` (of the item, for a list index); None when it is not there."""
        key_node, _ = self._walk(keys)
        return key_node.start_mark.line + 1 if key_node is not None else None

    def nearest(self, *keys: str | int) -> int:
        """The line of `keys`, else of the longest prefix of it that is there, else 1."""
        for n in range(len(keys), 0, -1):
            got = self.line(*keys[:n])
            if got is not None:
                return got
        return 1
