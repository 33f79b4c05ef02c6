"""Search the moments of a folder of videos with typed words.

An index is a folder: ``clips.faiss`` (a FAISS inner-product index over the
L2-normalised clip embeddings, with ids) and ``meta.json`` (the model that
made it, every video's file state, clip ids and times, and the SHA-256 of
``clips.faiss``). ``meta.json`` is written last, each file through a temporary
file and a rename: an index cut short or changed afterwards fails its checksum
and is refused by name, never searched.
"""
import bisect
import hashlib
import json
import os
import os.path as osp
from typing import Dict, List, Optional

import numpy as np
import torch
import torch.nn.functional as F

from ..datasets import BrokenVideoError
from ..utils import write_atomically
from .features import video_features

VECTORS, META = 'clips.faiss', 'meta.json'
FORMAT = 1


class SearchIndexError(ValueError):
    """An index that cannot be used: damaged, of another model, or absent."""


def _faiss():
    try:
        import faiss
    except ImportError as err:  # an optional dependency: the error says how to get it
        raise ImportError('video search needs FAISS: pip install faiss-cpu '
                          '(requirements.txt pins it)') from err
    return faiss


def model_digest(model) -> str:
    """SHA-256 of every tensor of ``model``'s state dict, by name: two models
    give the same digest only with the same weights, CLIP towers included."""
    h = hashlib.sha256()
    for name, tensor in sorted(model.state_dict().items()):
        h.update(name.encode())
        h.update(tensor.detach().to('cpu', torch.float32).contiguous().numpy().tobytes())
    return h.hexdigest()


def _sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            h.update(block)
    return h.hexdigest()


def file_state(path: str) -> Dict:
    st = os.stat(path)
    return dict(size=st.st_size, mtime_ns=st.st_mtime_ns)


class VideoSearchIndex:
    """Clip embeddings of videos, searchable by typed words.

    Build with :meth:`create` (or :meth:`open` an existing one), fill with
    :meth:`update`, save with :meth:`save`; :meth:`search` takes a query
    embedding. :func:`query_embedding` makes one from words with the model
    that made the index.
    """

    def __init__(self, folder: str, meta: Dict, vectors):
        self.folder, self.meta, self.vectors = folder, meta, vectors

    @classmethod
    def create(cls, folder: str, model, config: str, checkpoint: Optional[str],
               sample_fps: float, stride: Optional[int],
               precision: str = 'fp32') -> 'VideoSearchIndex':
        """A new, empty index of ``model``'s clip embeddings, computed in
        ``precision`` (resolved; kept for every later update)."""
        faiss = _faiss()
        dim = model.cls_head.text_encoder.embed_dim
        meta = dict(format=FORMAT, config=osp.abspath(config),
                    checkpoint=checkpoint and osp.abspath(checkpoint),
                    model_digest=model_digest(model), dim=dim, sample_fps=sample_fps,
                    stride=stride, precision=precision, next_id=0, videos={})
        return cls(folder, meta, faiss.IndexIDMap2(faiss.IndexFlatIP(dim)))

    @classmethod
    def open(cls, folder: str) -> 'VideoSearchIndex':
        """Read and check an index: both files there, the vectors' checksum
        and count as ``meta.json`` says."""
        faiss = _faiss()
        meta_path, vec_path = osp.join(folder, META), osp.join(folder, VECTORS)
        if not osp.isfile(meta_path):
            raise SearchIndexError(f'{folder} is not a video search index (no {META}); make one '
                              'with tools/search.py index.')
        try:
            with open(meta_path) as f:
                meta = json.load(f)
        except (OSError, ValueError) as err:
            raise SearchIndexError(f'{meta_path} is damaged ({err}); rebuild the index.') from err
        if meta.get('format') != FORMAT:
            raise SearchIndexError(f'{folder}: index format {meta.get("format")!r}, this version '
                              f'reads {FORMAT}; rebuild the index.')
        if not osp.isfile(vec_path) or _sha256(vec_path) != meta.get('vectors_sha256'):
            raise SearchIndexError(f'{vec_path} is missing or damaged (its checksum is not the one '
                              f'{META} records: a write cut short, or the file changed); '
                              'rebuild the index.')
        vectors = faiss.read_index(vec_path)
        count = sum(v['ids'][1] - v['ids'][0] for v in meta['videos'].values())
        if vectors.ntotal != count or vectors.d != meta['dim']:
            raise SearchIndexError(f'{folder}: {vectors.ntotal} vectors of width {vectors.d}, but '
                              f'{META} lists {count} of width {meta["dim"]}; rebuild the index.')
        return cls(folder, meta, vectors)

    @property
    def precision(self) -> str:
        """The precision of the index's embeddings (fp32 for an index that does not say)."""
        return self.meta.get('precision', 'fp32')

    def check_model(self, model) -> None:
        """Refuse a model other than the one that made the index."""
        if model_digest(model) != self.meta['model_digest']:
            raise SearchIndexError(
                f'{self.folder} was made with another model or CLIP file (config '
                f'{self.meta["config"]}, checkpoint {self.meta["checkpoint"]}): its embeddings '
                'and these words would not share one space. Use that model, or a new index.')

    def update(self, model, videos: List[str], batch_size: int = 8,
               progress: bool = False, workers: int = 0) -> Dict[str, list]:
        """Index new and changed videos (by size and modification time) and
        drop the entries of files that no longer exist. A video that cannot
        be decoded is skipped and reported; it stays out of the index.
        ``workers``: see :func:`~vtd_mm.apis.timeline.run_windows`; the
        embeddings are computed in the index's precision."""
        precision = self.precision
        done = dict(added=[], updated=[], unchanged=[], dropped=self.drop_missing(), skipped=[])
        for video in videos:
            path, state = osp.abspath(video), file_state(video)
            old = self.meta['videos'].get(path)
            if old is not None and old['state'] == state:
                done['unchanged'].append(path)
                continue
            try:
                out = video_features(model, video, self.meta['sample_fps'], self.meta['stride'],
                                     batch_size, progress, workers, precision)
            except BrokenVideoError as err:
                done['skipped'].append(dict(video=path, error=str(err)))
                continue
            if old is not None:
                self._remove(path)
            vectors = F.normalize(torch.from_numpy(out['clip_embeddings']), dim=-1).numpy()
            first = self.meta['next_id']
            ids = np.arange(first, first + len(vectors), dtype=np.int64)
            self.vectors.add_with_ids(np.ascontiguousarray(vectors, np.float32), ids)
            self.meta['next_id'] = int(ids[-1]) + 1 if len(ids) else first
            self.meta['videos'][path] = dict(
                state=state, duration=round(float(out['duration']), 3),
                ids=[first, self.meta['next_id']],
                clips=np.round(out['clip_times'], 3).tolist())
            done['updated' if old is not None else 'added'].append(path)
        return done

    def pending(self, videos: List[str]) -> List[str]:
        """The videos of ``videos`` that are new or changed for this index."""
        return [v for v in videos
                if self.meta['videos'].get(osp.abspath(v), {}).get('state') != file_state(v)]

    def merge(self, shard: 'VideoSearchIndex') -> List[str]:
        """Take every video of ``shard`` (an index of the same model), in place
        of this index's entry for it; returns their paths."""
        if shard.meta['model_digest'] != self.meta['model_digest']:
            raise SearchIndexError(f'{shard.folder} was made with another model than '
                                   f'{self.folder}: they cannot be merged.')
        for path, entry in shard.meta['videos'].items():
            if path in self.meta['videos']:
                self._remove(path)
            count = entry['ids'][1] - entry['ids'][0]
            vectors = np.stack([shard.vectors.reconstruct(i) for i in range(*entry['ids'])]) \
                if count else np.zeros((0, self.meta['dim']), np.float32)
            first = self.meta['next_id']
            if count:
                self.vectors.add_with_ids(vectors, np.arange(first, first + count, dtype=np.int64))
            self.meta['next_id'] = first + count
            self.meta['videos'][path] = dict(entry, ids=[first, first + count])
        return list(shard.meta['videos'])

    def drop_missing(self) -> List[str]:
        """Drop the entries of files that no longer exist; returns their paths."""
        gone = [p for p in self.meta['videos'] if not osp.exists(p)]
        for path in gone:
            self._remove(path)
        return gone

    def _remove(self, path: str) -> None:
        first, end = self.meta['videos'].pop(path)['ids']
        if end > first:
            self.vectors.remove_ids(np.arange(first, end, dtype=np.int64))

    def save(self) -> None:
        """``clips.faiss``, then ``meta.json`` with its checksum: each whole
        or not at all."""
        faiss = _faiss()
        os.makedirs(self.folder, exist_ok=True)
        vec_path = osp.join(self.folder, VECTORS)
        write_atomically(vec_path, lambda tmp: faiss.write_index(self.vectors, tmp))
        self.meta['vectors_sha256'] = _sha256(vec_path)

        def dump(tmp):
            with open(tmp, 'w') as f:
                json.dump(self.meta, f, indent=1)
        write_atomically(osp.join(self.folder, META), dump)

    def search(self, query: np.ndarray, top_k: int = 5) -> List[Dict]:
        """The ``top_k`` moments closest to the unit vector ``query`` [D]:
        ``video``, ``start``, ``end`` (s), ``score`` (cosine similarity)."""
        if self.vectors.ntotal == 0:
            return []
        scores, ids = self.vectors.search(np.asarray(query, np.float32)[None], top_k)
        # each video owns a contiguous id range: find a hit's video by bisection
        owners = sorted((v['ids'][0], path) for path, v in self.meta['videos'].items()
                        if v['ids'][1] > v['ids'][0])
        firsts = [first for first, _ in owners]
        hits = []
        for score, i in zip(scores[0], ids[0]):
            if i < 0:
                continue
            path = owners[bisect.bisect_right(firsts, int(i)) - 1][1]
            v = self.meta['videos'][path]
            start, end = v['clips'][int(i) - v['ids'][0]]
            hits.append(dict(video=path, start=start, end=end, score=round(float(score), 4)))
        return hits


def query_embedding(model, words: str) -> np.ndarray:
    """The unit text embedding [D] of ``words`` (the model's prompts and template)."""
    words = words.strip()
    if not words:
        raise ValueError('an empty query: type the words to search for.')
    with torch.no_grad():
        embedding = model.cls_head.text_encoder([words])[0].float()
    return F.normalize(embedding, dim=-1).numpy()
