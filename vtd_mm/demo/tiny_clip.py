"""The demo's tiny CLIP: architecture, contrastive pretraining on clean frames."""
import math
import os

import numpy as np
import torch
import torch.nn.functional as F

from ..utils import write_atomically
from .world import class_names, clean_frame

TINY_CLIP_ARCH = dict(
    embed_dim=64,
    quick_gelu=True,
    vision_cfg=dict(image_size=32, patch_size=8, width=96, layers=3, head_width=32),
    text_cfg=dict(context_length=16, vocab_size=49408, width=64, heads=2, layers=3))

WEIGHTS = os.path.join(os.path.dirname(__file__), 'weights', 'tiny_clip_world.pt')

# CLIP's pixel normalisation (0-1 range), as for real CLIP weights
MEAN = (0.48145466, 0.4578275, 0.40821073)
STD = (0.26862954, 0.26130258, 0.27577711)


def to_tensor(images: np.ndarray) -> torch.Tensor:
    """uint8 RGB [B, H, W, 3] -> normalised float [B, 3, H, W]."""
    x = torch.from_numpy(images).permute(0, 3, 1, 2).float() / 255
    return (x - torch.tensor(MEAN)[:, None, None]) / torch.tensor(STD)[:, None, None]


def batch(rng: np.random.Generator, size: int):
    frames, captions, labels = zip(*(clean_frame(rng) for _ in range(size)))
    return np.stack(frames), list(captions), list(labels)


def zero_shot_accuracy(model, tokenizer, seed: int = 12345, count: int = 1000) -> float:
    """Accuracy over the colour-shape classes on fresh clean frames."""
    names = class_names()
    rng = np.random.default_rng(seed)
    images, _, labels = batch(rng, count)
    with torch.no_grad():
        text = F.normalize(model.encode_text(tokenizer([f'a {n}.' for n in names])), dim=-1)
        image = F.normalize(model.encode_image(to_tensor(images)), dim=-1)
    pred = (image @ text.t()).argmax(-1)
    return float((pred == torch.tensor([names.index(label) for label in labels])).float().mean())


def pretrain(seed: int = 0, steps: int = 1000, batch_size: int = 128, lr: float = 2e-3,
             warmup: int = 50, log=print):
    """Contrastive image-text pretraining on generated clean frames.

    Deterministic for a seed (and thread count): the data stream and the
    initialisation both come from the seed.
    """
    import open_clip
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    cfg = {k: v for k, v in TINY_CLIP_ARCH.items() if k != 'quick_gelu'}
    model = open_clip.CLIP(**cfg, quick_gelu=True)
    tokenizer = open_clip.tokenizer.SimpleTokenizer(
        context_length=TINY_CLIP_ARCH['text_cfg']['context_length'])
    opt = torch.optim.AdamW(model.parameters(), lr=lr, betas=(0.9, 0.98), weight_decay=0.1)
    for step in range(steps):
        scale = min(1.0, (step + 1) / warmup) * 0.5 * (1 + math.cos(math.pi * step / steps))
        for group in opt.param_groups:
            group['lr'] = lr * scale
        images, captions, _ = batch(rng, batch_size)
        image = F.normalize(model.encode_image(to_tensor(images)), dim=-1)
        text = F.normalize(model.encode_text(tokenizer(captions)), dim=-1)
        logits = model.logit_scale.exp() * image @ text.t()
        target = torch.arange(batch_size)
        loss = (F.cross_entropy(logits, target) + F.cross_entropy(logits.t(), target)) / 2
        opt.zero_grad()
        loss.backward()
        opt.step()
        with torch.no_grad():
            model.logit_scale.clamp_(0, math.log(100))
        if step % 100 == 0 or step == steps - 1:
            log(f'step {step:5d}  loss {loss.item():.4f}  lr {lr * scale:.2e}')
    model.eval()
    return model, tokenizer


def weights_digest(path: str) -> str:
    """SHA-256 of the tensors of a weights file (names, dtypes, shapes, values).

    ``torch.save`` writes a random serialisation id into every file, so two
    files with the same weights differ as bytes; this digest does not.
    """
    import hashlib
    sd = torch.load(path, map_location='cpu', weights_only=True)
    digest = hashlib.sha256()
    for key in sorted(sd):
        t = sd[key].contiguous().reshape(-1)
        digest.update(f'{key}|{t.dtype}|{tuple(t.shape)}|'.encode())
        digest.update(t.view(torch.uint8).numpy().tobytes() if t.numel() else b'')
    return digest.hexdigest()


def save_openai_layout(model, path: str):
    """Save like OpenAI's releases: a plain state dict in fp16."""
    sd = {k: v.detach().half() for k, v in model.state_dict().items()}
    write_atomically(path, lambda tmp: torch.save(sd, tmp))
