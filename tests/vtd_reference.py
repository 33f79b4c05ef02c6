"""An independent VTD-CLIP in the layout of the authors' code, from the method's formulas.

Towers are open_clip's (a public ``open_clip.CLIP``, nn.MultiheadAttention
blocks), split into the image and text encoders of the authors' layout; prompts, the
CoOp-style prompt learner with token prefix/suffix buffers, the LRF fusion and
the head are written out here, without any vtd_mm code.
"""
import math

import open_clip
import torch
import torch.nn as nn
import torch.nn.functional as F

from .open_clip_blocks import open_clip_block


class LRF(nn.Module):
    def __init__(self, dim, heads, hidden):
        super().__init__()
        self.heads = heads
        self.multihead_attn1 = nn.Module()
        for name in ('q_proj', 'k_proj', 'v_proj', 'out_proj'):
            setattr(self.multihead_attn1, name, nn.Linear(dim, dim))
        self.fc1, self.fc2 = nn.Linear(dim, hidden), nn.Linear(hidden, dim)

    def forward(self, f, z):
        """f [T, D] frames, z [M, D] tokens (eval: no dropout)."""
        a = self.multihead_attn1
        q, k, v = a.q_proj(f), a.k_proj(z), a.v_proj(z)
        d = f.shape[1] // self.heads
        outs = []
        for h in range(self.heads):
            s = slice(h * d, (h + 1) * d)
            w = torch.softmax(q[:, s] @ k[:, s].t() / math.sqrt(d), dim=-1)
            outs.append(w @ v[:, s])
        return f + self.fc2(F.relu(self.fc1(a.out_proj(torch.cat(outs, dim=1)))))


class ReferenceVTD(nn.Module):

    def __init__(self, arch, class_names, n_vis, d_vis, n_txt, d_txt, fusion_heads=4,
                 quick_gelu=True):
        """``quick_gelu``: the authors build their towers with OpenAI's CLIP code."""
        super().__init__()
        self.n_vis, self.n_txt = n_vis, n_txt
        clip = open_clip.CLIP(arch['embed_dim'], arch['vision_cfg'], arch['text_cfg'],
                              quick_gelu=quick_gelu)
        self.image_encoder = clip.visual
        self.text_encoder = nn.Module()
        for name in ('token_embedding', 'positional_embedding', 'transformer', 'ln_final',
                     'text_projection'):
            setattr(self.text_encoder, name, getattr(clip, name))
        self.text_encoder.register_buffer('attn_mask', clip.attn_mask, persistent=False)
        wv, wt = self.image_encoder.conv1.out_channels, clip.ln_final.weight.shape[0]
        self.image_encoder.VPT = nn.Parameter(0.02 * torch.randn(n_vis, wv))
        for i in range(1, d_vis):
            self.image_encoder.transformer.resblocks[i].VPT_shallow = nn.Parameter(
                0.02 * torch.randn(n_vis, wv))
        for i in range(1, d_txt):
            self.text_encoder.transformer.resblocks[i].VPT_shallow = nn.Parameter(
                0.02 * torch.randn(n_txt, wt))
        self.prompt_learner = nn.Module()
        self.prompt_learner.ctx = nn.Parameter(0.02 * torch.randn(n_txt, wt))
        prompts = [' '.join(['X'] * n_txt) + ' ' + name + '.' for name in class_names]
        self.tokenized = open_clip.tokenize(prompts)
        with torch.no_grad():
            emb = self.text_encoder.token_embedding(self.tokenized)
        self.prompt_learner.register_buffer('token_prefix', emb[:, :1].clone())
        self.prompt_learner.register_buffer('token_suffix', emb[:, 1 + n_txt:].clone())
        dim = arch['embed_dim']
        self.lrf = LRF(dim, fusion_heads, 4 * dim)
        self.logit_scale = nn.Parameter(torch.tensor(math.log(1 / 0.07)))

    def refresh_token_buffers(self):
        with torch.no_grad():
            emb = self.text_encoder.token_embedding(self.tokenized)
        self.prompt_learner.token_prefix.copy_(emb[:, :1])
        self.prompt_learner.token_suffix.copy_(emb[:, 1 + self.n_txt:])

    def encode_frames(self, x):
        v, n = self.image_encoder, self.n_vis
        t = v.conv1(x).flatten(2).transpose(1, 2)
        t = torch.cat([v.class_embedding.expand(t.shape[0], 1, -1), t], 1) + v.positional_embedding
        t = v.ln_pre(torch.cat([t, v.VPT.expand(t.shape[0], -1, -1)], 1))
        for block in v.transformer.resblocks:
            if hasattr(block, 'VPT_shallow'):
                t = torch.cat([t[:, :-n], block.VPT_shallow.expand(t.shape[0], -1, -1)], 1)
            t = open_clip_block(v.transformer, block, t)
        return v.ln_post(t[:, 0]) @ v.proj

    def encode_classes(self):
        p, t, n = self.prompt_learner, self.text_encoder, self.n_txt
        k = p.token_prefix.shape[0]
        x = torch.cat([p.token_prefix, p.ctx.expand(k, -1, -1), p.token_suffix], 1)
        x = x + t.positional_embedding
        for block in t.transformer.resblocks:
            if hasattr(block, 'VPT_shallow'):
                x = torch.cat([x[:, :1], block.VPT_shallow.expand(k, -1, -1), x[:, 1 + n:]], 1)
            x = open_clip_block(t.transformer, block, x, t.attn_mask)
        x = t.ln_final(x)[torch.arange(k), self.tokenized.argmax(-1)]
        return x @ t.text_projection

    def forward(self, videos):
        """videos [V, T, 3, H, W] -> logits [V, K] (spec steps 2-6)."""
        c = self.encode_classes()
        out = []
        for clip in videos:
            f = self.encode_frames(clip)                                     # [T, D]
            s = F.normalize(f, dim=-1) @ F.normalize(c, dim=-1).t()          # [T, K]
            w = torch.softmax(s / 0.01, dim=0)
            tokens = torch.cdist(f, c).argmin(dim=1)                         # [T]
            votes = torch.zeros(c.shape[0], dtype=w.dtype).index_add_(
                0, tokens, w[torch.arange(len(f)), tokens])
            z = c[votes.argmax()][None]
            fused = self.lrf(f, z)
            cos = F.normalize(fused, dim=-1) @ F.normalize(c, dim=-1).t()
            out.append(self.logit_scale.exp() * (w * cos).sum(0) / w.sum(0))
        return torch.stack(out)
