"""open_clip's BPE tokenizer."""
import functools


@functools.lru_cache(maxsize=4)
def get_tokenizer(context_length: int):
    """open_clip's BPE tokenizer (its vocabulary ships in the wheel)."""
    from open_clip.tokenizer import SimpleTokenizer
    return SimpleTokenizer(context_length=context_length)
