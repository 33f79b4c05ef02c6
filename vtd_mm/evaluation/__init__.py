from .dump_predictions import DumpPredictions, own_memory
from .protocol_summary import format_table, harmonic_mean, mean_std, summarize
from .named_sets import evaluate_test_sets, loader_for_set, named_test_sets

__all__ = ['DumpPredictions', 'own_memory', 'evaluate_test_sets', 'format_table', 'harmonic_mean', 'mean_std', 'summarize',
           'loader_for_set', 'named_test_sets']
