from .dump_predictions import DumpPredictions, own_memory
from .named_sets import loader_for_set, named_test_sets
from .protocol_summary import format_table, harmonic_mean, mean_std, summarize

__all__ = ['DumpPredictions', 'format_table', 'harmonic_mean', 'loader_for_set', 'mean_std',
           'named_test_sets', 'own_memory', 'summarize']
