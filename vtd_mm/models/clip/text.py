"""CLIP text tower that turns class names (with learnable prompts) into a codebook."""
import logging
import math
from collections import OrderedDict
from typing import List, NamedTuple, Optional, Sequence, Tuple

import torch
from mmaction.registry import MODELS
from mmengine.logging import print_log
from mmengine.model import BaseModule

from ...datasets.class_names import ClassNames, load_class_names
from ..checkpoint_fit import FrozenCLIPTowerState
from .blocks import SuffixLayout, run_block
from .tokenizer import get_tokenizer
from .tower_builder import build_tower
from .weight_cache import release_unclaimed
from .weights_file import TEXT

_PLACEHOLDER_ID = 0  # context slots; their embeddings are replaced


class PackedPrompts(NamedTuple):
    """Class suffixes packed after a shared prefix of ``prefix_len`` tokens.

    Attributes:
        tokens: suffix token ids ``[T]``, class after class, by suffix length.
        positions: their positions in the prompt ``[T]``.
        groups: ``(start row, classes, length)`` per run of equal length.
        eos_rows: row of each class's EOS in the packed sequence ``[K]``
            (class order).
    """
    prefix_len: int
    tokens: torch.Tensor
    positions: torch.Tensor
    groups: Tuple[Tuple[int, int, int], ...]
    eos_rows: torch.Tensor


def pack_prompts(ids: torch.Tensor, eos: torch.Tensor, prefix_len: int) -> PackedPrompts:
    """Pack prompts ``ids`` [K, L] (EOS at ``eos`` [K]) after their common prefix."""
    lengths = eos - prefix_len + 1                          # suffix tokens, EOS included
    if int(lengths.min()) < 1:
        raise ValueError('Every prompt needs at least one token after the prefix.')
    tokens, positions, groups, rows, classes = [], [], [], [], []
    start = prefix_len
    for length in torch.unique(lengths).tolist():
        idx = torch.nonzero(lengths == length).flatten()
        tokens.append(ids[idx, prefix_len:prefix_len + length].reshape(-1))
        positions.append(torch.arange(prefix_len, prefix_len + length).repeat(len(idx)))
        groups.append((start, len(idx), length))
        rows.append(start + torch.arange(len(idx)) * length + length - 1)
        classes.append(idx)
        start += len(idx) * length
    eos_rows = torch.empty_like(eos)
    eos_rows[torch.cat(classes)] = torch.cat(rows)
    return PackedPrompts(prefix_len, torch.cat(tokens), torch.cat(positions),
                         tuple(groups), eos_rows)


def suffix_layout(packed: PackedPrompts, device) -> SuffixLayout:
    """Where each packed suffix row goes in ``[K, S]`` rows of the longest
    suffix ``S``, and back."""
    longest = max(length for _, _, length in packed.groups)
    gather, scatter, slot = [], [], 0
    for start, classes, length in packed.groups:
        rows = start - packed.prefix_len + torch.arange(classes * length).view(classes, length)
        padded = torch.cat([rows, rows[:, :1].expand(-1, longest - length)], dim=1)
        gather.append(padded.reshape(-1))
        scatter.append((slot + torch.arange(classes)[:, None] * longest
                        + torch.arange(length)).reshape(-1))
        slot += classes * longest
    return SuffixLayout(torch.cat(gather).to(device), torch.cat(scatter).to(device),
                        slot // longest, longest,
                        torch.ones(longest, longest, dtype=torch.bool, device=device).tril())


class _RecentLabelSets(OrderedDict):
    """The entries of the last ``size`` label sets; the least recently used
    one is dropped first."""

    def __init__(self, size: int = 4):  # a default: copies are rebuilt without arguments
        super().__init__()
        self.size = size

    def get(self, key):
        if key not in self:
            return None
        self.move_to_end(key)
        return self[key]

    def put(self, key, value):
        self[key] = value
        self.move_to_end(key)
        while len(self) > self.size:
            self.popitem(last=False)
        return value


@MODELS.register_module()
class CLIPTextEncoder(FrozenCLIPTowerState, BaseModule):
    """Frozen CLIP text tower + prompt learner: class names -> codebook ``[K, D]``.

    Class ``k`` is encoded as ``SOS, P_1..P_n, tokens(template.format(name_k)),
    EOS`` and pooled at EOS: ``c_k = ln_final(h_EOS) @ text_projection`` (not
    normalised). Underscores in names become spaces.

    Sequence modes (all give the same codebook up to float rounding):

    - ``'shared_prefix'`` (default): SOS and the context slots come before
      every class name and are the same for all classes (so are the deep
      prompts that replace them), so under causal attention their hidden
      states are computed once, and only each class's own tokens (name, '.',
      EOS) are computed per class, attending to the shared prefix. Suffixes
      are packed without padding (:func:`pack_prompts`).
    - ``'cut'``: every prompt padded to the longest prompt of the label set.
      Causal attention and EOS pooling mean later positions never reach any
      ``c_k``, so this is exact.
    - ``'full'``: every prompt padded to the context length (77), as CLIP does.

    Two caches with one policy, the last ``CACHED_LABEL_SETS`` label sets
    (least recently used dropped first): the token ids of a label set (in
    every mode) and, in eval mode, its codebook; a codebook is rebuilt when a
    parameter, the device/dtype or the autocast state change.

    Args:
        arch (str | dict | None): open_clip model name or config dict.
        pretrained (str | None): CLIP weights file, open_clip tag, or None.
        prompt_learner (dict | None): config of a prompt learner, e.g.
            ``dict(type='TextPromptLearner', n_ctx=16, depth=12)``; None
            encodes the plain templates (zero-shot CLIP).
        class_names (list | str | None): default label set (list, ``.txt`` or
            ``id,name`` ``.csv``) used when ``forward`` gets no names.
        template (str): text around each name, ``'{}.'`` by default.
        mode (str): ``'shared_prefix'`` (default), ``'cut'`` or ``'full'``.
        freeze_clip (bool): freeze every CLIP weight (default).
        with_cp (bool): activation checkpointing per transformer block.
        quick_gelu (bool | None): True for QuickGELU (every OpenAI CLIP),
            False for GELU; None takes it from the arch or the file and warns
            when the file does not tell (see ``choose_activation``).

    Checkpoints loaded into it must fit (see :mod:`..checkpoint_fit`).
    """

    clip_attr = 'text'

    MODES = ('shared_prefix', 'cut', 'full')
    CACHED_LABEL_SETS = 4

    def __init__(self, arch='ViT-B-16', pretrained=None, prompt_learner=None,
                 class_names: Optional[ClassNames] = None, template: str = '{}.',
                 mode: str = 'shared_prefix', freeze_clip: bool = True,
                 with_cp: bool = False, quick_gelu=None, init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        if mode not in self.MODES:
            raise ValueError(f'mode must be one of {self.MODES}, got {mode!r}.')
        if '{}' not in template:
            raise ValueError(f"template must contain '{{}}', got {template!r}.")
        self.text, self.arch, weights, quick_gelu = build_tower(TEXT, arch, pretrained, quick_gelu)
        self._init_clip_state(weights, quick_gelu, freeze_clip)
        scale = None if weights is None else weights.state_dict.get('logit_scale')
        self.init_logit_scale = float(scale) if scale is not None else math.log(1 / 0.07)
        self.mode, self.template, self.with_cp = mode, template, with_cp
        self.context_length = self.text.context_length
        self.width = self.text.width
        self.embed_dim = self.text.output_dim
        self.num_layers = len(self.text.transformer.resblocks)
        self.tokenizer = get_tokenizer(self.context_length)
        if freeze_clip:
            self.text.requires_grad_(False)
        if prompt_learner is not None:
            self.prompt_learner = MODELS.build(
                prompt_learner,
                default_args=dict(width=self.width, num_layers=self.num_layers,
                                  embed_words=self.embed_words))
        else:
            self.prompt_learner = None
        self.class_names = None if class_names is None else load_class_names(class_names)
        self._tokens = _RecentLabelSets(self.CACHED_LABEL_SETS)     # ids, EOS, layout
        self._codebooks = _RecentLabelSets(self.CACHED_LABEL_SETS)  # eval only

    @property
    def n_ctx(self) -> int:
        return 0 if self.prompt_learner is None else self.prompt_learner.n_ctx

    def embed_words(self, text: str) -> torch.Tensor:
        """Token embeddings ``[m, width]`` of ``text`` (no SOS/EOS)."""
        ids = torch.tensor(self.tokenizer.encode(text), dtype=torch.long,
                           device=self.text.token_embedding.weight.device)
        return self.text.token_embedding(ids)

    def _prompts(self, names: Sequence[str]):
        """Token ids ``[K, context_length]``, EOS positions ``[K]`` and the
        shared-prefix layout of the prompts of ``names`` (cached)."""
        key = (tuple(names), self.n_ctx, self.template)
        cached = self._tokens.get(key)
        if cached is None:
            tok, n = self.tokenizer, self.n_ctx
            room = self.context_length - 2 - n
            ids = torch.zeros(len(names), self.context_length, dtype=torch.long)
            for k, name in enumerate(names):
                body = tok.encode(self.template.format(name.replace('_', ' ')))
                if len(body) > room:
                    print_log(f'Class name {name!r} takes {len(body)} tokens; '
                              f'{room} fit after {n} context tokens: truncated.',
                              logger='current', level=logging.WARNING)
                    body = body[:room]
                row = [tok.sot_token_id] + [_PLACEHOLDER_ID] * n + body + [tok.eot_token_id]
                ids[k, :len(row)] = torch.tensor(row)
            self._check_distinct(names, ids, room)
            eos = ids.argmax(dim=-1)
            cached = self._tokens.put(key, (ids, eos, pack_prompts(ids, eos, 1 + n)))
        return cached

    def _check_distinct(self, names: Sequence[str], ids: torch.Tensor, room: int) -> None:
        """Classes whose prompts are the same token sequence get the same
        codebook row, so one of them could never be predicted: an error."""
        groups = {}
        for name, row in zip(names, ids.tolist()):
            groups.setdefault(tuple(row), []).append(name)
        clashes = [group for group in groups.values() if len(group) > 1]
        if clashes:
            raise ValueError(
                f'{sum(map(len, clashes))} class names give identical text prompts '
                f'(template {self.template!r}; the tokenizer lower-cases and '
                f"normalises spaces, '_' reads as ' ', and a prompt keeps {room} "
                f'tokens after the context): {clashes[:5]}. Each group would share '
                'one codebook row and all but one of its classes could never be '
                'predicted: make the names distinct (or shorter).')

    def tokenize(self, names: Sequence[str]) -> Tuple[torch.Tensor, torch.Tensor]:
        """Prompt token ids ``[K, context_length]`` and EOS positions ``[K]``.

        The context slots hold placeholder ids. EOS positions are taken here,
        before any cut (EOS has the largest id, so it is the argmax).
        """
        return self._prompts(names)[:2]

    def packed(self, names: Sequence[str]) -> PackedPrompts:
        """The shared-prefix layout of the prompts of ``names``."""
        return self._prompts(names)[2]

    @staticmethod
    def _with_context(x: torch.Tensor, ctx: Optional[torch.Tensor]) -> torch.Tensor:
        """Put ``ctx`` [n, W] into positions 1..n of ``x`` [K, L, W]."""
        if ctx is None:
            return x
        n = ctx.shape[0]
        return torch.cat([x[:, :1], ctx.to(x.dtype).expand(x.shape[0], -1, -1),
                          x[:, 1 + n:]], dim=1)

    def _encode_shared_prefix(self, ids: torch.Tensor, packed: PackedPrompts,
                              prompted: bool) -> torch.Tensor:
        """The prefix once, the packed class suffixes after it -> [K, D]."""
        t = self.text
        device = t.token_embedding.weight.device
        learner = self.prompt_learner if prompted else None
        p = packed.prefix_len
        x = t.token_embedding(torch.cat([ids[0, :p], packed.tokens]).to(device))
        if learner is not None:
            x = self._with_context(x[None], learner.layer_context(0))[0]
        positions = torch.cat([torch.arange(p), packed.positions]).to(device)
        x = x + t.positional_embedding[positions].to(x.dtype)
        layout = suffix_layout(packed, device)
        for i, block in enumerate(t.transformer.resblocks):
            if learner is not None and i > 0:
                x = self._with_context(x[None], learner.layer_context(i))[0]
            x = run_block(block, x, self.with_cp, shared_prefix=True,
                          prefix_len=p, layout=layout)
        return self.text.project(t.ln_final(x[packed.eos_rows.to(device)]))

    def _encode(self, ids: torch.Tensor, eos: torch.Tensor, prompted: bool,
                packed: Optional[PackedPrompts] = None) -> torch.Tensor:
        """Token ids [K, 77] + EOS positions [K] -> text embeddings [K, D].

        ``packed`` is the shared-prefix layout of ``ids`` when already known.
        """
        if self.mode == 'shared_prefix':
            if packed is None:
                packed = pack_prompts(ids, eos, 1 + (self.n_ctx if prompted else 0))
            return self._encode_shared_prefix(ids, packed, prompted)
        t = self.text
        device = t.token_embedding.weight.device
        length = self.context_length if self.mode == 'full' else int(eos.max()) + 1
        ids, eos = ids[:, :length].to(device), eos.to(device)
        learner = self.prompt_learner if prompted else None
        x = t.token_embedding(ids)
        if learner is not None:
            x = self._with_context(x, learner.layer_context(0))
        x = x + t.positional_embedding[:length].to(x.dtype)
        for i, block in enumerate(t.transformer.resblocks):
            if learner is not None and i > 0:
                x = self._with_context(x, learner.layer_context(i))
            x = run_block(block, x, self.with_cp, is_causal=True)
        x = t.ln_final(x[torch.arange(x.shape[0], device=device), eos])
        return self.text.project(x)

    def encode_prompt_ids(self, ids: torch.Tensor) -> torch.Tensor:
        """Codebook of prompt token ids ``[K, context_length]`` as
        :meth:`tokenize` gives them (context slots hold placeholders; the
        learnt prompts go in), in the current ``mode`` ('full' or 'cut')."""
        if self.mode == 'shared_prefix':
            raise ValueError("encode_prompt_ids computes whole sequences: set mode 'full' or "
                             "'cut' (the shared prefix needs the class names).")
        return self._encode(ids, ids.argmax(dim=-1), prompted=True)

    def encode_text(self, ids: torch.Tensor) -> torch.Tensor:
        """open_clip's ``encode_text`` (no prompts): ids [K, 77] -> [K, D]."""
        return self._encode(ids, ids.argmax(dim=-1), prompted=False)

    def _cache_key(self, names):
        t = self.text.token_embedding.weight
        kind = t.device.type
        autocast = torch.is_autocast_enabled(kind) and torch.get_autocast_dtype(kind)
        return (tuple(names), self.template, self.mode, t.device, t.dtype, autocast,
                tuple(p._version for p in self.parameters()))

    def init_weights(self):
        """The CLIP weights come from the file; the model is built by now
        (the Runner calls this before training): free what no tower took."""
        super().init_weights()
        release_unclaimed()

    def forward(self, class_names: Optional[ClassNames] = None) -> torch.Tensor:
        """Codebook ``[K, embed_dim]`` of ``class_names`` (default: ``self.class_names``)."""
        if class_names is None:
            if self.class_names is None:
                raise ValueError('No class names: pass them to forward() or set '
                                 'class_names in the config.')
            names: List[str] = self.class_names
        else:
            names = load_class_names(class_names)
        key = None if self.training else self._cache_key(names)
        cached = None if key is None else self._codebooks.get(key)
        if cached is not None:
            return cached
        ids, eos, packed = self._prompts(names)
        codebook = self._encode(ids, eos, prompted=True, packed=packed)
        if key is not None and not codebook.requires_grad:
            # a few label sets (e.g. base and novel test sets taking turns)
            self._codebooks.put(key, codebook)
        return codebook

    def train(self, mode: bool = True):
        if mode:  # eval() again (each test run) keeps the cached codebooks
            self._codebooks.clear()
        return super().train(mode)
