# Where the zero-shot test sets live, each a COCO folder (images/ + annotations/test.json);
# override with --cfg-options test_dataloader.dataset.data_root=DIR.
busbra_root = 'data/zero_shot/busbra/'
mmotu2d_root = 'data/zero_shot/mmotu2d/'
gist514db_root = 'data/zero_shot/gist514db/'
busi_root = 'data/zero_shot/busi/'
tn3k_root = 'data/zero_shot/tn3k/'
