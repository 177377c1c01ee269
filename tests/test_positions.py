"""The engine's fast positions are LibCST's PositionProvider positions, node for node."""
from pathlib import Path

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper, PositionProvider

from keras_lint.positions import node_positions

ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted((ROOT / "fixtures").rglob("*.py"))[:40] + sorted((ROOT / "keras_lint" / "rules").glob("*.py"))[:6]
ODD = [
    "x = 1\r\ny = (\r\n  2)\r\n",
    "if a:\n    pass\nelif b:  # c\n\n    pass\nelse:\n    x = [\n1,\n]\n",
    "@d\nclass C(B, metaclass=M):\n    '''doc'''\n    def f(self, *a, k=1, **kw) -> int:\n        return (yield)\n",
    "x = f'{a!r:>{w}}' \\\n    + 'b'\nwith a as b, c:\n    try:\n        pass\n    except* E:\n        pass\n",
    "\tif x:\n\t\tpass\n" [1:],
]


@pytest.mark.parametrize("source", [p.read_bytes() for p in SOURCES] + [s.encode() for s in ODD])
def test_same_positions_as_position_provider(source):
    module = cst.parse_module(source)
    expected = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    got, code = node_positions(module, list(expected))
    assert code == module.code
    assert dict(got) == dict(expected)
    for node in list(expected)[::13]:  # one node at a time: only its subtree is recorded
        alone, _ = node_positions(module, [node])
        assert alone[node] == expected[node]
