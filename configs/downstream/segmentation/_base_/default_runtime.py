# Runtime of the segmentation configs: the package's runtime (default_scope
# 'mmdet', iteration-based training, RNG state in checkpoints) keeping the best
# checkpoint by validation COCO segm mAP, appending every test's Dice / IoU /
# mAP to <work_dir>/results.csv (SegmentationResultsHook; a leaf names its
# initialisation, tools/analysis_tools/collect_results.py makes the table) and
# drawing class-labelled overlays
# with mmdet's DetLocalVisualizer (`tools/test.py ... --show-dir DIR`; the
# UltrasoundVisualizationHook reads the image as the pipeline does, DICOM and
# 16-bit included).
_base_ = '../../../_base_/default_runtime.py'

default_hooks = dict(
    checkpoint=dict(
        interval=1000, max_keep_ckpts=1, save_best='coco/segm_mAP',
        rule='greater'),
    results=dict(type='SegmentationResultsHook'))
custom_hooks = [dict(type='RNGStateHook'), dict(type='ParameterCountHook')]
visualizer = dict(_delete_=True, type='DetLocalVisualizer',
                  vis_backends={{_base_.vis_backends}}, name='visualizer')
