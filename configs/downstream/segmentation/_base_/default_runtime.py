# Runtime of the segmentation configs: the package's runtime (default_scope
# 'mmdet', iteration-based training, RNG state in checkpoints) keeping the best
# checkpoint by validation COCO segm mAP and drawing class-labelled overlays
# with mmdet's DetLocalVisualizer (`tools/test.py ... --show-dir DIR`; the
# UltrasoundVisualizationHook reads the image as the pipeline does, DICOM and
# 16-bit included).
_base_ = '../../../_base_/default_runtime.py'

default_hooks = dict(
    checkpoint=dict(
        interval=1000, max_keep_ckpts=1, save_best='coco/segm_mAP',
        rule='greater'))
custom_hooks = [dict(type='RNGStateHook'), dict(type='ParameterCountHook')]
visualizer = dict(_delete_=True, type='DetLocalVisualizer',
                  vis_backends={{_base_.vis_backends}}, name='visualizer')
