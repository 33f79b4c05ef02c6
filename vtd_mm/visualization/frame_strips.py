"""Pictures and videos of what VTD-CLIP reads: each frame with its token
(the class name it reads as) and its weight for the predicted class."""
import os.path as osp
from typing import Dict, Optional


def read_frames(path, indices):
    """Frames ``indices`` of the video ``path``, ``[T, H, W, 3]`` uint8 RGB."""
    import decord
    reader = decord.VideoReader(path, num_threads=1)
    return reader.get_batch(list(indices)).asnumpy()


def save_frame_strip(frames, tokens, weights, title: str, path: str, figsize,
                     interpolation: Optional[str] = None) -> str:
    """PNG of frames side by side, each titled with its token and weight."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, len(frames), figsize=figsize, squeeze=False)
    for ax, frame, token, weight in zip(axes[0], frames, tokens, weights):
        ax.imshow(frame, interpolation=interpolation)
        ax.set_title(f'{token}\nw={weight:.2f}', fontsize=7)
        ax.axis('off')
    fig.suptitle(title, fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def draw_strip(result: Dict, path: str, max_width: int = 160) -> str:
    """PNG: the frames of the first view at their original resolution (scaled
    to ``max_width``), each with its token and weight; the title gives the
    prediction and the video token."""
    import cv2
    view = result['views'][0]
    inds = [f['index'] for f in view['frames']]
    if any(i is None for i in inds):
        raise ValueError('no frame indices to draw (3D backbone time steps)')
    frames = read_frames(result['video'], inds)
    h, w = frames.shape[1:3]
    scale = min(1.0, max_width / w)
    frames = [cv2.resize(f, (max(1, int(w * scale)), max(1, int(h * scale))),
                         interpolation=cv2.INTER_AREA) for f in frames]
    best = result['top_k'][0]
    title = (f"{osp.basename(result['video'])}: \"{best['name']}\" ({best['score']:.2f}); "
             f"video token \"{view['video_token']}\"")
    return save_frame_strip(frames, [f['token'] for f in view['frames']],
                            [f['weight'] for f in view['frames']], title, path,
                            figsize=(1.7 * len(frames), 1.7 * h / w + 0.9))


def put_lines(frame, lines, scale: float = 1.0):
    """Write ``lines`` top left on ``frame`` (in place), white on a black
    outline so that they read on any picture; ``scale`` 1 suits 480 px wide
    frames."""
    import cv2
    for n, text in enumerate(lines):
        y = int((16 + 16 * n) * scale)
        for colour, thickness in (((0, 0, 0), 3), ((255, 255, 255), 1)):
            cv2.putText(frame, text, (5, y), cv2.FONT_HERSHEY_SIMPLEX, 0.45 * scale, colour,
                        thickness, cv2.LINE_AA)
    return frame


def write_video_with_lines(video: str, path: str, lines_at, max_width: int = 480) -> str:
    """MP4 of the whole ``video`` (scaled to ``max_width``) with the text lines
    ``lines_at(index, time_s)`` written on each frame; read and written frame
    by frame."""
    import cv2
    import decord
    reader = decord.VideoReader(video, num_threads=1)
    fps = float(reader.get_avg_fps()) or 25.0
    first = reader[0].asnumpy()
    h, w = first.shape[:2]
    scale = min(1.0, max_width / w)
    size = (max(2, int(w * scale)) // 2 * 2, max(2, int(h * scale)) // 2 * 2)
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'mp4v'), fps, size)
    if not writer.isOpened():
        raise RuntimeError(f'OpenCV cannot write {path}')
    times = reader.get_frame_timestamp(range(len(reader)))[:, 0]
    for i in range(len(reader)):
        frame = cv2.cvtColor(cv2.resize(reader[i].asnumpy(), size), cv2.COLOR_RGB2BGR)
        writer.write(put_lines(frame, lines_at(i, float(times[i]))))
    writer.release()
    return path


def write_annotated_video(result: Dict, path: str, max_width: int = 480) -> str:
    """MP4 of the whole video with the top-3 classes written on every frame and,
    on sampled frames, the token that frame reads as."""
    tokens = {f['index']: f for f in result['views'][0]['frames'] if f['index'] is not None}
    top = [f"{c['name']} {c['score']:.2f}" for c in result['top_k'][:3]]

    def lines_at(i, _):
        if i not in tokens:
            return top
        return top + [f"frame reads: {tokens[i]['token']} (w={tokens[i]['weight']:.2f})"]
    return write_video_with_lines(result['video'], path, lines_at, max_width)


def draw_stream_frame(frame, result: Optional[Dict]):
    """A copy of ``frame`` (RGB) with the current top words of a stream and
    the newest frame's token (``result`` of :func:`vtd_mm.apis.stream.stream_results`)."""
    out = frame.copy()
    if result is None:
        return out
    lines = [f'{name} {score:.2f}' for name, score in result['top_k']]
    lines.append(f"frame reads: {result['tokens'][-1]}")
    return put_lines(out, lines, scale=max(out.shape[1] / 480, 0.47))
