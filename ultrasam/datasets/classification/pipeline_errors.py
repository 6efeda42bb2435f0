"""Classification datasets whose pipeline failures name the image and the list."""
from typing import Any, Optional

from ..ultrasound_coco import ImagePipelineError


class NamedPipelineFailures:
    """Mixin for mmpretrain datasets: a transform that fails raises
    :class:`ImagePipelineError` naming the annotation file, the sample index,
    the image file and the transform (tools print it as one line), instead
    of a traceback from deep inside the data loader."""

    def prepare_data(self, idx: int) -> Optional[dict]:
        """Run the pipeline on sample ``idx``, one transform at a time.

        Raises:
            ImagePipelineError: A transform failed.
        """
        data = self.get_data_info(idx)
        for transform in self.pipeline.transforms:
            try:
                data = transform(data)
            except Exception as err:
                raise ImagePipelineError(
                    self._pipeline_failure(data, transform, err)) from err
            if data is None:
                return None
        return data

    def _pipeline_failure(self, results: Any, transform: Any,
                          err: Exception) -> str:
        where = (f'{self.ann_file}: sample {results.get("sample_idx")} '
                 f'({results.get("img_path")})'
                 if isinstance(results, dict) else f'{self.ann_file}')
        return (f'{where}: {type(transform).__name__} failed: '
                f'{type(err).__name__}: {err}')
