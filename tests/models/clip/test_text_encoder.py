"""CLIPTextEncoder + TextPromptLearner: exactness, prompts, label sets, cache."""
import open_clip
import pytest
import torch

from vtd_mm.models import CLIPTextEncoder

from ...conftest import warnings_logged
from ...numerics import assert_close64
from ...open_clip_blocks import open_clip_block

NAMES = ['abseiling', 'playing_bagpipes', 'tying knot (not on a tie)',
         'passing American football (in game)', 'x']


def learner(n_ctx=4, depth=3, **kwargs):
    return dict(type='TextPromptLearner', n_ctx=n_ctx, depth=depth, **kwargs)


def reference_prompted(model, ctx, names, template='{}.'):
    """CoOp-style deep text prompts with open_clip's own modules, full 77 tokens."""
    n = ctx.shape[1]
    texts = [' '.join(['X'] * n) + ' ' + template.format(name.replace('_', ' '))
             for name in names]
    ids = open_clip.tokenize(texts)
    x = model.token_embedding(ids)
    x = torch.cat([x[:, :1], ctx[0].expand(len(names), -1, -1), x[:, 1 + n:]], 1)
    x = x + model.positional_embedding
    for i, block in enumerate(model.transformer.resblocks):
        if 1 <= i < ctx.shape[0]:
            x = torch.cat([x[:, :1], ctx[i].expand(len(names), -1, -1), x[:, 1 + n:]], 1)
        x = open_clip_block(model.transformer, block, x, model.attn_mask)
    x = model.ln_final(x)[torch.arange(len(names)), ids.argmax(-1)]
    return x @ model.text_projection


@pytest.mark.parametrize('mode', ['full', 'cut', 'shared_prefix'])
def test_prompts_off_equals_open_clip(tiny_arch, tiny_clip, tiny_clip_file, mode):
    enc = CLIPTextEncoder(arch=tiny_arch, pretrained=tiny_clip_file, mode=mode).double()
    tiny_clip.double()
    ids = open_clip.tokenize(['a dog.', 'someone playing the bagpipes loudly.', ''])
    with torch.no_grad():
        assert_close64(enc.encode_text(ids), tiny_clip.encode_text(ids))
        # the codebook of a label set without prompts = CLIP's zero-shot classifier
        texts = [f'a video of {n.replace("_", " ")}.' for n in NAMES]
        enc.template = 'a video of {}.'
        assert_close64(enc(NAMES), tiny_clip.encode_text(open_clip.tokenize(texts)))


@pytest.mark.parametrize('depth', [1, 3])
def test_deep_prompts_match_reference(tiny_arch, tiny_clip, tiny_clip_file, depth):
    enc = CLIPTextEncoder(arch=tiny_arch, pretrained=tiny_clip_file,
                          prompt_learner=learner(n_ctx=6, depth=depth)).double()
    with torch.no_grad():
        ours = enc(NAMES)
        ref = reference_prompted(tiny_clip.double(), enc.prompt_learner.ctx, NAMES)
    assert ours.shape == (len(NAMES), 32)
    assert_close64(ours, ref)


def test_cut_sequence_equals_full(tiny_arch):
    torch.manual_seed(0)
    enc = CLIPTextEncoder(arch=tiny_arch, prompt_learner=learner(n_ctx=8, depth=3),
                          mode='full')
    ids, eos = enc.tokenize(NAMES)
    assert int(eos.max()) + 1 < 30  # the cut is much shorter than 77
    enc.double()
    with torch.no_grad():
        full = enc(NAMES)
        enc.mode = 'cut'
        cut = enc(NAMES)
    assert_close64(cut, full)


def codebook_and_grads(enc, names):
    enc.zero_grad()
    out = enc(names)
    weights = torch.arange(out.numel(), dtype=out.dtype).view_as(out).sin()
    (out * weights).sum().backward()
    return out.detach(), enc.prompt_learner.ctx.grad.clone()


@pytest.mark.parametrize('with_cp', [False, True])
def test_shared_prefix_equals_full_sequence(tiny_arch, with_cp):
    """Codebook and prompt gradients (every depth) of the shared prefix = full 77 tokens."""
    torch.manual_seed(0)
    enc = CLIPTextEncoder(arch=tiny_arch, prompt_learner=learner(n_ctx=8, depth=3),
                          mode='full', with_cp=with_cp)
    names = NAMES + ['a', 'juggling', 'tai chi']  # several classes per suffix length
    enc.double()
    enc.mode = 'full'
    full, full_grad = codebook_and_grads(enc, names)
    enc.mode = 'shared_prefix'
    shared, shared_grad = codebook_and_grads(enc, names)
    assert_close64(shared, full)
    assert_close64(shared_grad, full_grad)
    assert all(shared_grad[i].abs().sum() > 0 for i in range(3))


def test_packed_layout(tiny_arch):
    enc = CLIPTextEncoder(arch=tiny_arch, prompt_learner=learner(n_ctx=8))
    names = NAMES + ['a', 'tai chi']
    ids, eos = enc.tokenize(names)
    packed = enc.packed(names)
    lengths = eos - 9 + 1
    assert packed.prefix_len == 9 and len(packed.tokens) == int(lengths.sum())
    assert sum(c * n for _, c, n in packed.groups) == len(packed.tokens)
    rows = packed.eos_rows - packed.prefix_len
    assert (packed.tokens[rows] == enc.tokenizer.eot_token_id).all()
    assert (packed.positions[rows] == eos).all()  # each EOS keeps its position in the prompt


def test_gradients_reach_prompts_only(tiny_arch):
    enc = CLIPTextEncoder(arch=tiny_arch, prompt_learner=learner(n_ctx=4, depth=3))
    enc(NAMES).square().sum().backward()
    assert all(p.grad is None and not p.requires_grad for p in enc.text.parameters())
    grad = enc.prompt_learner.ctx.grad
    for layer in range(3):
        assert grad[layer].abs().sum() > 0, f'no gradient at depth {layer}'


@pytest.mark.parametrize('n_ctx', [4, 10])
def test_ctx_init_any_length(tiny_arch, tiny_clip_file, n_ctx):
    enc = CLIPTextEncoder(arch=tiny_arch, pretrained=tiny_clip_file,
                          prompt_learner=learner(n_ctx=n_ctx, depth=2,
                                                 ctx_init='a photo of a'))
    words = enc.embed_words('a photo of a')
    assert words.shape[0] == 4
    ctx = enc.prompt_learner.ctx.detach()
    torch.testing.assert_close(ctx[0, n_ctx - 4:], words, atol=0, rtol=0)
    if n_ctx > 4:  # the remaining slots are random, not copies of words
        assert ctx[0, :n_ctx - 4].abs().max() < 0.2
    with pytest.raises(ValueError, match='more than n_ctx'):
        CLIPTextEncoder(arch=tiny_arch, prompt_learner=learner(n_ctx=2, ctx_init='a photo of a'))


def test_label_sources_agree(tiny_arch, tmp_path):
    enc = CLIPTextEncoder(arch=tiny_arch, prompt_learner=learner()).eval()
    txt = tmp_path / 'labels.txt'
    txt.write_text('\n'.join(NAMES) + '\n\n')
    csv = tmp_path / 'labels.csv'
    rows = [f'{i},"{n}"' for i, n in enumerate(NAMES)]
    csv.write_text('id,name\n' + '\n'.join(reversed(rows)) + '\n')
    with torch.no_grad():
        ref = enc(NAMES)
        torch.testing.assert_close(enc(str(txt)), ref, atol=0, rtol=0)
        torch.testing.assert_close(enc(str(csv)), ref, atol=0, rtol=0)
        # underscores are spaces
        spaced = [n.replace('_', ' ') for n in NAMES]
        torch.testing.assert_close(enc(spaced), ref, atol=0, rtol=0)
    bad = tmp_path / 'bad.csv'
    bad.write_text('id,name\n0,a\n2,b\n')
    with pytest.raises(ValueError, match='without gaps'):
        enc(str(bad))
    with pytest.raises(FileNotFoundError, match='missing.txt'):
        enc(str(tmp_path / 'missing.txt'))
    # the Kinetics-400 label file shipped with the package
    enc.class_names = None
    with pytest.raises(ValueError, match='No class names'):
        enc()
    from vtd_mm.datasets import load_class_names
    k400 = load_class_names('kinetics_400_labels.csv')
    assert len(k400) == 400 and k400[0] == 'abseiling' and k400[-1] == 'zumba'


def test_token_cache_keeps_the_recent_label_sets(tiny_arch, monkeypatch):
    """The token ids follow the codebooks' policy: the last CACHED_LABEL_SETS
    label sets, least recently used dropped first (seen from the tokenizer's
    work: a cached label set is not tokenized again)."""
    enc = CLIPTextEncoder(arch=tiny_arch, prompt_learner=learner())
    texts = []
    encode = enc.tokenizer.encode
    monkeypatch.setattr(enc.tokenizer, 'encode', lambda text: texts.append(text) or encode(text))

    def tokenized(names):
        """How many prompts the tokenizer encoded for ``names`` now."""
        before = len(texts)
        ids, eos = enc.tokenize(names)
        assert ids.shape[0] == eos.shape[0] == len(names)
        return len(texts) - before

    sets = [[f'class {i}', f'other {i}'] for i in range(enc.CACHED_LABEL_SETS + 1)]
    first = enc.tokenize(sets[0])[0]
    for names in sets[1:-1]:
        assert tokenized(names) == 2
    assert tokenized(sets[0]) == 0                  # cached; used again: now the most recent
    assert tokenized(sets[-1]) == 2                 # one too many: sets[1] is dropped
    assert tokenized(sets[0]) == 0 and torch.equal(enc.tokenize(sets[0])[0], first)
    assert tokenized(sets[2]) == 0 and tokenized(sets[1]) == 2


def test_codebook_cache(tiny_arch, monkeypatch):
    enc = CLIPTextEncoder(arch=tiny_arch, prompt_learner=learner(),
                          class_names=NAMES).double()
    calls = []
    project = enc.text.project  # the last step of every codebook build
    monkeypatch.setattr(enc.text, 'project', lambda x: calls.append(1) or project(x))
    enc.train()
    enc(), enc()
    assert len(calls) == 2  # training: always recomputed (gradients flow)
    enc.eval()
    with torch.no_grad():
        first = enc()
        assert enc() is first and len(calls) == 3  # cached
        other = enc(NAMES[:2])  # a new label set is encoded...
        assert other.shape[0] == 2 and len(calls) == 4
        assert_close64(other, first[:2])  # packed differently: equal up to rounding
        again = enc()  # ...and the default one is still cached when it comes back
        assert again is first and len(calls) == 4
        for k in range(2, 2 + enc.CACHED_LABEL_SETS):  # until it is evicted
            enc(NAMES[:k] + ['extra'])
        assert len(calls) == 4 + enc.CACHED_LABEL_SETS
        again = enc()
        assert len(calls) == 5 + enc.CACHED_LABEL_SETS
        torch.testing.assert_close(again, first, atol=0, rtol=0)
        n = len(calls)
        # a parameter change invalidates it (not a uniform shift: LayerNorm removes those)
        ctx = enc.prompt_learner.ctx
        ctx.add_(0.1 * torch.randn(ctx.shape, generator=torch.Generator().manual_seed(0),
                                   dtype=ctx.dtype))
        changed = enc()
        assert len(calls) == n + 1 and not torch.allclose(changed, again)
        enc.load_state_dict({k: v.clone() for k, v in enc.state_dict().items()})
        enc()
        assert len(calls) == n + 2  # loading weights invalidates it
    enc.train()
    enc.eval()
    with torch.no_grad():
        enc()
    assert len(calls) == n + 3  # a train/eval switch drops the cache


def test_long_name_is_truncated_with_warning(tiny_arch, mmlog):
    enc = CLIPTextEncoder(arch=tiny_arch, prompt_learner=learner(n_ctx=16))
    ids, eos = enc.tokenize(['word ' * 80])
    assert int(eos[0]) == 76 and int(ids[0, 76]) == enc.tokenizer.eot_token_id
    logged = warnings_logged(mmlog)
    assert len(logged) == 1 and "Class name 'word word" in logged[0] and 'truncated' in logged[0]


def test_colliding_class_names_are_an_error(tiny_arch):
    """Names that give the same prompt would share a codebook row: one of them
    could never be predicted. Equal names, names equal after the tokenizer's
    normalisation, and names equal after truncation are all refused by name."""
    from mmaction.registry import MODELS
    enc = CLIPTextEncoder(arch=tiny_arch, prompt_learner=learner(n_ctx=16))
    for names, clash in [(['dive', 'run', 'dive'], "['dive', 'dive']"),
                         (['Dive', 'run', 'dive '], "['Dive', 'dive ']"),
                         (['ride_bike', 'ride bike'], "['ride_bike', 'ride bike']"),
                         (['word ' * 80 + 'a', 'word ' * 80 + 'b', 'c'], 'word word')]:
        with pytest.raises(ValueError, match='give identical text prompts') as err:
            enc.tokenize(names)
        assert clash in str(err.value)
    enc.tokenize(['dive', 'run', 'dive in'])  # distinct: fine
    head = dict(type='VTDHead', num_classes=3, in_channels=32,
                text_encoder=dict(type='CLIPTextEncoder', arch=tiny_arch))
    with pytest.raises(ValueError, match=r"\['Dive', 'dive'\]"):  # at build time
        MODELS.build(dict(head, class_names=['Dive', 'run', 'dive']))
    built = MODELS.build(dict(head, class_names=['a', 'b', 'c']))
    with pytest.raises(ValueError, match='identical text prompts'):  # and at a swap
        built.set_class_names(['a', 'b', 'A'])
    assert built.class_names == ['a', 'b', 'c']


def test_shipped_label_sets_give_distinct_prompts(tiny_arch):
    """Every label file of the package, with the configs' longest context (16)."""
    import glob
    import os

    from vtd_mm.datasets import load_class_names
    enc = CLIPTextEncoder(arch=tiny_arch, prompt_learner=learner(n_ctx=16))
    files = glob.glob(os.path.join(os.path.dirname(vtd_mm_file()), 'datasets', 'labels', '*.csv'))
    assert len(files) >= 15
    for path in files:
        enc.tokenize(load_class_names(path))


def vtd_mm_file():
    import vtd_mm
    return vtd_mm.__file__


def test_codebook_cache_follows_cpu_autocast(tiny_arch):
    """A codebook cached in fp32 is not reused under CPU bf16 autocast, nor the
    reverse (torch.is_autocast_enabled() without a device sees CUDA only)."""
    enc = CLIPTextEncoder(arch=tiny_arch, prompt_learner=learner(), class_names=NAMES).eval()
    with torch.no_grad():
        fp32 = enc()
        with torch.autocast('cpu', dtype=torch.bfloat16):
            bf16 = enc()
            assert enc() is bf16
        assert enc() is fp32
    assert fp32.dtype == torch.float32 and bf16.dtype == torch.bfloat16


def test_codebook_cache_follows_the_template(tiny_arch):
    """A changed template gives other prompts: the cached codebook is not reused."""
    enc = CLIPTextEncoder(arch=tiny_arch, prompt_learner=learner(), class_names=NAMES).eval()
    with torch.no_grad():
        first = enc()
        enc.template = 'a video of {}.'
        other = enc()
    assert other is not first and not torch.allclose(other, first)
