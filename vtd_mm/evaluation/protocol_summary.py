"""Mean +- std over splits / seeds, and base / novel / harmonic mean."""
import math
from typing import Dict, List, Optional, Sequence


def harmonic_mean(base: float, novel: float) -> float:
    """``2 b n / (b + n)``; 0 when both are 0."""
    return 0.0 if base + novel == 0 else 2 * base * novel / (base + novel)


def mean_std(values: Sequence[float], ddof: int = 1) -> Dict[str, float]:
    """Mean and standard deviation (``ddof=1``: sample std, as ``statistics.stdev``;
    ``ddof=0``: population std, numpy's default). One value has std 0."""
    n = len(values)
    if n == 0:
        raise ValueError('no values')
    mean = sum(values) / n
    if n - ddof <= 0:
        std = 0.0
    else:
        std = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - ddof))
    return dict(mean=mean, std=std, n=n)


def summarize(records: List[dict], ddof: int = 1) -> dict:
    """Group the results of named test sets.

    Args:
        records: one dict per (checkpoint, test set): ``name``, ``group``,
            ``checkpoint`` and ``value`` (the metric, e.g. top-1 in %).
        ddof: delta degrees of freedom of the std (1: sample std, 0: population).

    Returns:
        dict: ``sets`` (the records), ``groups`` (group -> mean, std, n,
        values; values pool the sets and checkpoints of the group, so the
        std runs over splits, over seeds, or over both), and ``base_novel``:
        for every group ``base...`` with a matching ``novel...`` group (e.g.
        ``base`` / ``novel``), the two means and their harmonic mean.
    """
    groups: Dict[str, List[float]] = {}
    for record in records:
        groups.setdefault(record['group'], []).append(float(record['value']))
    summary_groups = {g: dict(mean_std(v, ddof), values=v) for g, v in groups.items()}
    pairs = {}
    for group in summary_groups:
        if group.startswith('base'):
            novel = 'novel' + group[len('base'):]
            if novel in summary_groups:
                b, n = summary_groups[group]['mean'], summary_groups[novel]['mean']
                pairs[group[len('base'):].lstrip('_') or 'all'] = dict(
                    base=b, novel=n, hm=harmonic_mean(b, n),
                    base_group=group, novel_group=novel)
    return dict(sets=list(records), groups=summary_groups, base_novel=pairs, ddof=ddof)


def format_table(summary: dict, metric: Optional[str] = None) -> str:
    """Markdown tables: per test set, per group (mean +- std), base / novel / HM."""
    unit = f' ({metric})' if metric else ''
    lines = [f'| test set | group | checkpoint | value{unit} |', '|---|---|---|---|']
    for r in summary['sets']:
        lines.append(f"| {r['name']} | {r['group']} | {r['checkpoint']} | {r['value']:.2f} |")
    lines += ['', '| group | mean +- std | n |', '|---|---|---|']
    for group, s in summary['groups'].items():
        lines.append(f"| {group} | {s['mean']:.2f} +- {s['std']:.2f} | {s['n']} |")
    if summary['base_novel']:
        lines += ['', '| split | base | novel | HM |', '|---|---|---|---|']
        for tag, p in summary['base_novel'].items():
            lines.append(f"| {tag} | {p['base']:.2f} | {p['novel']:.2f} | {p['hm']:.2f} |")
    return '\n'.join(lines)
