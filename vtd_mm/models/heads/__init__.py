from .vtd_head import VTDHead

__all__ = ['VTDHead']
