# Where the zero-shot test sets live, each a COCO folder (images/ + annotations/test.json);
# override with --cfg-options test_dataloader.dataset.data_root=DIR. Each root is a US-43d
# build of that one dataset (its test part is annotations/test.json), e.g.
#   python tools/dataset_converters/build_us43d.py --raw-root RAW \
#       --out data/zero_shot/busbra --datasets BUS-BRA
# (mmotu2d: MMOTU-2D, gist514db: GIST514-DB, busi: BUSI, tn3k: TN3K; see README, US-43d).
busbra_root = 'data/zero_shot/busbra/'
mmotu2d_root = 'data/zero_shot/mmotu2d/'
gist514db_root = 'data/zero_shot/gist514db/'
busi_root = 'data/zero_shot/busi/'
tn3k_root = 'data/zero_shot/tn3k/'
