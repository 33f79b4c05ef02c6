"""``pretrained``: None, a local file or an open_clip tag (downloaded)."""
import os
from typing import Optional


def _looks_like_path(s: str) -> bool:
    return (os.sep in s or '/' in s or
            s.endswith(('.pt', '.pth', '.bin', '.safetensors', '.ckpt')))


def _download(arch_name: str, tag: str) -> str:
    import open_clip
    cfg = open_clip.get_pretrained_cfg(arch_name, tag)
    if not cfg:
        tags = open_clip.list_pretrained_tags_by_model(arch_name)
        raise ValueError(
            f'pretrained={tag!r} is neither an existing file nor an open_clip tag '
            f'of {arch_name!r} (known tags: {tags}). Pass the path of a local '
            'CLIP weights file, a tag, or None for random weights.')
    try:
        path = open_clip.download_pretrained(cfg)
    except Exception as err:  # network errors come in many types
        raise RuntimeError(
            f'Could not download the CLIP weights {arch_name!r} / {tag!r} '
            f'({type(err).__name__}: {err}). Without network, download the file '
            'on another machine and pass its local path, e.g. '
            f"pretrained='checkpoints/{arch_name}.pt'.") from err
    if not path or not os.path.isfile(path):
        raise RuntimeError(f'Download of {arch_name!r} / {tag!r} gave no file; '
                           'pass a local CLIP weights file instead.')
    return path


def resolve_pretrained(pretrained: Optional[str], arch_name: Optional[str]):
    """``None`` | local file | open_clip tag -> local path (or None)."""
    if pretrained is None:
        return None
    pretrained = os.path.expanduser(os.fspath(pretrained))
    if os.path.isfile(pretrained):
        return pretrained
    if _looks_like_path(pretrained):
        raise FileNotFoundError(
            f'CLIP weights file not found: {pretrained!r}. Pass the path of an '
            "OpenAI archive (e.g. ViT-B-16.pt) or an open_clip state dict, an "
            "open_clip tag such as 'openai' (needs network), or None.")
    if arch_name is None:
        raise ValueError(f'pretrained={pretrained!r} is a tag; a tag needs an '
                         'open_clip model name as arch.')
    return _download(arch_name, pretrained)
