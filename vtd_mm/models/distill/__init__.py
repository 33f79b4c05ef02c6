from .distiller import RecognizerDistiller, video_logits

__all__ = ['RecognizerDistiller', 'video_logits']
