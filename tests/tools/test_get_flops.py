"""tools/analysis/get_flops.py counts every part, attention included (analytic check)."""
import os
import sys

from ..paths import ROOT  # noqa: E402

sys.path.insert(0, os.path.join(ROOT, 'tools', 'analysis'))
import get_flops  # noqa: E402

TINY_CFG = os.path.join(ROOT, 'tests', 'configs', 'vtd_tiny.py')


def vit_macs(frames, image=32, patch=8, width=64, layers=3, n_ctx=2, embed=32):
    """Multiply-adds of a CLIP ViT with n_ctx prompt tokens, written out."""
    grid = (image // patch) ** 2
    tokens = 1 + grid + n_ctx
    conv = grid * 3 * patch * patch * width
    linear = layers * 12 * tokens * width * width      # qkv (3) + out (1) + mlp (4 + 4)
    attention = layers * 2 * tokens * tokens * width   # QK^T and AV
    return frames * (conv + linear + width * embed), frames * attention


def test_counts_match_the_architecture(capsys):
    os.environ['VTD_TINY_DATA'] = '/nonexistent'
    try:
        parts = get_flops.main([TINY_CFG, '--frames', '4', '--labels', 'a,b,c,d,e'])
    finally:
        os.environ.pop('VTD_TINY_DATA')
    total, attention = vit_macs(4)
    assert parts['vision']['attention'] == 2 * attention            # FLOPs = 2 x MACs
    assert parts['vision']['other'] == 2 * total
    assert parts['text']['attention'] > 0 and parts['text']['other'] > 0
    assert parts['head']['other'] > 0
    table = capsys.readouterr().out
    assert '5 class names' in table and '| first view of a label set |' in table
    # the text tower scales with the label set (counted for the names given)
    more = get_flops.main([TINY_CFG, '--frames', '4', '--labels', ','.join('abcdefghij')])
    assert more['text']['other'] > parts['text']['other']
