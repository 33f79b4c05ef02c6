"""CLIP's byte-pair-encoding tokenizer without PyTorch, for deployments that
encode new words with an exported text tower (tools/deploy/onnx_infer.py).

It reads the merge list CLIP was trained with (``bpe_simple_vocab_16e6``,
49,152 tokens: 256 byte symbols, the same with an end-of-word mark, 48,894
merges, start and end of text) from a gzip file or from the bytes stored in
an exported text tower. The text is cleaned as CLIP cleans it (ftfy, HTML
entities unescaped twice, runs of white space to one space, lower case), cut
into words, numbers and punctuation, and each piece is merged pair by pair,
the pair learnt first merged first. A test checks it gives open_clip's ids.
Needs the ``regex`` and ``ftfy`` packages (dependencies of open_clip).
"""
import gzip
import html
from typing import Dict, List, Tuple

import ftfy
import regex

VOCAB_SIZE = 49152
START, END = '<start_of_text>', '<end_of_text>'
WORD_END = '</w>'
PIECES = regex.compile(
    r"<start_of_text>|<end_of_text>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+",
    regex.IGNORECASE)


def byte_symbols() -> Dict[int, str]:
    """Each byte as the printable character that stands for it: printable
    Latin-1 bytes stand for themselves, the others (controls, space, ...) for
    the characters from U+0100 on, in byte order."""
    printable = [*range(ord('!'), ord('~') + 1), *range(ord('\xa1'), ord('\xac') + 1),
                 *range(ord('\xae'), ord('\xff') + 1)]
    symbols = {b: chr(b) for b in printable}
    others = [b for b in range(256) if b not in symbols]
    symbols.update({b: chr(256 + n) for n, b in enumerate(others)})
    return {b: symbols[b] for b in printable + others}  # vocabulary order


class ClipBPE:
    """``encode(text) -> [ids]`` as CLIP's tokenizer (no start / end tokens).

    Args:
        merges_gz (bytes): the gzip-compressed merge list.
    """

    def __init__(self, merges_gz: bytes):
        lines = gzip.decompress(merges_gz).decode('utf-8').split('\n')
        merges = [tuple(line.split()) for line in lines[1:VOCAB_SIZE - 256 - 2 + 1]]
        self.bytes = byte_symbols()
        vocab = list(self.bytes.values())
        vocab += [s + WORD_END for s in vocab]
        vocab += [''.join(pair) for pair in merges] + [START, END]
        self.ids = {token: i for i, token in enumerate(vocab)}
        self.ranks = {pair: i for i, pair in enumerate(merges)}
        self.start_id, self.end_id = self.ids[START], self.ids[END]
        self._pieces: Dict[str, Tuple[str, ...]] = {START: (START, ), END: (END, )}

    @staticmethod
    def clean(text: str) -> str:
        text = html.unescape(html.unescape(ftfy.fix_text(text))).strip()
        return ' '.join(text.split()).lower()

    def merge(self, piece: str) -> Tuple[str, ...]:
        """One piece's symbols merged until no learnt pair is left."""
        if piece in self._pieces:
            return self._pieces[piece]
        word = [*piece[:-1], piece[-1] + WORD_END]
        while len(word) > 1:
            pairs = {(a, b) for a, b in zip(word, word[1:])}
            best = min(pairs, key=lambda p: self.ranks.get(p, float('inf')))
            if best not in self.ranks:
                break
            merged, i = [], 0
            while i < len(word):
                if i + 1 < len(word) and (word[i], word[i + 1]) == best:
                    merged.append(word[i] + word[i + 1])
                    i += 2
                else:
                    merged.append(word[i])
                    i += 1
            word = merged
        self._pieces[piece] = tuple(word)
        return self._pieces[piece]

    def encode(self, text: str) -> List[int]:
        ids = []
        for piece in PIECES.findall(self.clean(text)):
            symbols = ''.join(self.bytes[b] for b in piece.encode('utf-8'))
            ids += [self.ids[s] for s in self.merge(symbols)]
        return ids
