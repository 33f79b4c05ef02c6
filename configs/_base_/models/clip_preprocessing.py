# CLIP's pixel normalisation (OpenAI's mean / std in 0-255 units), for every
# model that feeds frames to a CLIP vision tower.
model = dict(
    data_preprocessor=dict(
        type='ActionDataPreprocessor',
        mean=[122.771, 116.746, 104.094],
        std=[68.501, 66.632, 70.323],
        format_shape='NCHW'))
